"""A WSGI app for the gunicorn tests: a module-level PingOneWorkerAuth and a module-level
``httpx.Client`` that is warmed at import, i.e. in the gunicorn master under ``--preload``,
before the workers are forked (the pattern the README warns about for the client itself).

``/health`` answers ``ok``; ``/call`` makes one API call through the warmed client and
answers ``{"pid": <this worker>, "owner": <process the token was issued to>, "status": …}``.
``PM_CACHE=file`` gives the auth an ``EncryptedFileTokenCache`` in ``PM_CACHE_DIR`` (shared
by the workers) instead of its memory cache.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth

API_URL = os.environ["PM_API_URL"]

cache: Any = None
if os.environ.get("PM_CACHE") == "file":
    cache = EncryptedFileTokenCache(os.environ["PM_CACHE_DIR"])

auth = PingOneWorkerAuth(
    CANARY_CLIENT_ID,
    CANARY_SECRET,
    CANARY_ENV_ID,
    token_endpoint=os.environ["PM_TOKEN_URL"],
    allow_loopback_http=True,
    cache=cache,
)
client = httpx.Client(auth=auth, timeout=30)
# Warm-up in the parent: the token request and its keep-alive socket to the token endpoint
# happen here, before fork.
client.get(API_URL).raise_for_status()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/health":
        body = b"ok"
    elif path == "/call":
        response = client.get(API_URL)
        owner = response.json().get("owner") if response.status_code == 200 else None
        body = json.dumps(
            {"pid": os.getpid(), "owner": owner, "status": response.status_code}
        ).encode()
    else:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
