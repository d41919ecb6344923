"""A short-lived fleet member for the stale-shared-token tests (run as a script).

    stale_worker.py <mode: sync|asyncio|trio> <cache: file|redis|cluster> <location> <token_url>

Builds its own PingOneWorkerAuth on the shared cache, calls get_token() (or aget_token()) once,
prints ``<fingerprint> <seconds the call took>`` and exits without close(), as a cron job or
CLI run would.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import httpx

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth, RedisTokenCache

#: Token request timeout of the members: long enough for a loaded test machine (the test
#: holds the one refresh request open until the other members have finished).
HTTP_TIMEOUT = 120.0


def make_cache(kind: str, location: str) -> Any:
    if kind == "file":
        return EncryptedFileTokenCache(location, key=os.environ["STALE_TEST_FILE_KEY"])
    return RedisTokenCache(location, cluster=kind == "cluster", socket_timeout=5.0)


def make_auth(kind: str, location: str, token_url: str, **kwargs: Any) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        token_endpoint=token_url,
        allow_loopback_http=True,
        cache=make_cache(kind, location),
        **kwargs,
    )


def main() -> None:
    mode, kind, location, token_url = sys.argv[1:5]
    started = time.monotonic()
    if mode == "sync":
        auth = make_auth(kind, location, token_url, http_client=httpx.Client(timeout=HTTP_TIMEOUT))
        token = auth.get_token()
    else:
        auth = make_auth(
            kind, location, token_url, async_http_client=httpx.AsyncClient(timeout=HTTP_TIMEOUT)
        )
        if mode == "asyncio":
            import asyncio

            token = asyncio.run(auth.aget_token())
        else:
            import trio

            token = trio.run(auth.aget_token)
    print(token.fingerprint, f"{time.monotonic() - started:.3f}", flush=True)


if __name__ == "__main__":
    main()
