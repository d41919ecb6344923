"""A token request ended by `close()` while it sleeps before a retry shows no secret.

The closed error is thrown into the suspended token flow, so its traceback runs through the
flow's frames (the request it built, the answer it got): rendered with locals, nothing of
the client secret or of an answer that echoed it may show, sync and async.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time

import httpx
from leak_support import exposure

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import PingOneWorkerAuth, RetryPolicy, TokenError

SLOW_RETRY = RetryPolicy(
    max_attempts=3, backoff_base=600.0, backoff_max=600.0, jitter=0.0, total_budget=10_000.0
)


def _echoing_503(request: httpx.Request) -> httpx.Response:
    """A 503 whose body echoes the credentials it was sent (header and form)."""
    echoed = request.headers.get("Authorization", "") + " " + request.content.decode()
    return httpx.Response(503, text=f"unavailable for {echoed} {CANARY_SECRET}")


def _auth(**options: object) -> PingOneWorkerAuth:
    return PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        auth_method="client_secret_post",
        retry=SLOW_RETRY,
        wait_timeout=600,
        **options,  # type: ignore[arg-type]
    )


def _sleeping(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "sleep":
            return True
        frame = frame.f_back
    return False


def test_sync_closed_retry_hides_the_secret() -> None:
    """get_token() sleeping before a retry, then close(): the closed error hides the secret."""
    with httpx.Client(transport=httpx.MockTransport(_echoing_503)) as client:
        auth = _auth(http_client=client)
        out: list[BaseException] = []

        def run() -> None:
            try:
                auth.get_token()
            except BaseException as exc:
                out.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 30
        while not _sleeping(thread) and time.monotonic() < deadline:
            time.sleep(0.01)
        auth.close()
        thread.join(30)
    assert len(out) == 1
    assert isinstance(out[0], TokenError)
    assert out[0].error == "closed"
    assert_no_canary(exposure(out[0]))


def test_async_closed_retry_hides_the_secret() -> None:
    """aget_token() sleeping before a retry, then aclose(): the same, on asyncio."""

    async def main() -> BaseException:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_echoing_503)) as client:
            auth = _auth(async_http_client=client)
            leader = asyncio.create_task(auth.aget_token())
            for _ in range(100_000):
                await asyncio.sleep(0)
                if auth._closing._current._callbacks:  # the leader sleeps on the signal
                    break
            await auth.aclose()
            try:
                await asyncio.wait_for(leader, 30)
            except TokenError as exc:
                return exc
        raise AssertionError("aget_token() did not fail")

    error = asyncio.run(main())
    assert isinstance(error, TokenError)
    assert error.error == "closed"
    assert_no_canary(exposure(error))
