"""A FastAPI app for the uvicorn ``--workers`` test: a module-level PingOneWorkerAuth and a
module-level ``httpx.AsyncClient`` in every worker process (uvicorn spawns its workers, so
each imports this module itself).

``/health`` answers ``ok``; ``/call`` makes one API call and answers
``{"pid": <this worker>, "owner": <process the token was issued to>, "status": …}``.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
from fastapi import FastAPI

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import PingOneWorkerAuth

API_URL = os.environ["PM_API_URL"]

auth = PingOneWorkerAuth(
    CANARY_CLIENT_ID,
    CANARY_SECRET,
    CANARY_ENV_ID,
    token_endpoint=os.environ["PM_TOKEN_URL"],
    allow_loopback_http=True,
)
client = httpx.AsyncClient(auth=auth, timeout=30)
app = FastAPI()


@app.get("/health")
async def health() -> str:
    return "ok"


@app.get("/call")
async def call() -> dict[str, Any]:
    response = await client.get(API_URL)
    owner = response.json().get("owner") if response.status_code == 200 else None
    return {"pid": os.getpid(), "owner": owner, "status": response.status_code}
