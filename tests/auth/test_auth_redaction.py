"""The redaction canary pushed through the auth flow: logs, hook events, errors, reprs."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from auth_support import EventRecorder, FakeClock, Lib

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    TokenEndpointUnreachableError,
    TokenProtocolError,
    TokenRequestError,
    request_client_credentials_token,
)
from httpx_pingone_worker._core._retry import RetryPolicy

API = f"https://api.pingone.com/v1/environments/{CANARY_ENV_ID}"
TOKEN_URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/token"


def _token_ok(lib: Lib) -> Any:
    return lib.Response(
        200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 1000}
    )


def _collect(caplog: pytest.LogCaptureFixture, events: EventRecorder) -> str:
    parts = [r.getMessage() for r in caplog.records]
    parts += [r.exc_text or "" for r in caplog.records]
    parts += events.lines()
    parts += [json.dumps(dict(e.fields)) for e in events.events]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt"]
)
def test_canary_never_leaks_through_a_full_lifecycle(
    lib: Lib, debug_logs: pytest.LogCaptureFixture, events: EventRecorder, method: str
) -> None:
    """Fetch, refresh, 401 and failures at DEBUG: no secret/token in logs, events, reprs."""
    clock = FakeClock()
    answers = [_token_ok(lib), _token_ok(lib), lib.Response(503, text=f"down {CANARY_TOKEN}")]

    def handler(request: lib.Request) -> lib.Response:
        if request.url.path.endswith("/as/token"):
            return answers.pop(0) if answers else _token_ok(lib)
        return lib.Response(401 if len(answers) == 2 else 200)

    auth = lib.WorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        auth_method=method,
        clock=clock,
        sleep=clock.sleep,
    )
    with lib.Client(auth=auth, transport=lib.MockTransport(handler)) as client:
        client.get(API)  # fetch + 401 + refetch
        clock.advance(850)
        client.get(API)  # the background refresh fails with 503 echoing the token: fallback
        assert auth.wait_for_refresh(10)
    text = _collect(debug_logs, events)
    assert "[🎯 WORKER]" in text
    assert "[✅ TOKEN]" in text
    assert "[💾 CACHE]" in text
    assert "[⛔ WORKER-ERROR]" in text
    assert "[🔧 WORKER]" in text
    assert_no_canary(text)
    assert_no_canary(repr(auth))
    assert_no_canary(repr(auth.current_token))
    assert_no_canary(repr(auth.credentials))


def test_canary_not_in_token_errors(
    lib: Lib, debug_logs: pytest.LogCaptureFixture, events: EventRecorder
) -> None:
    """Error bodies echoing the secret or token never reach messages, reprs or logs."""
    clock = FakeClock()
    bodies = [
        lib.Response(
            400,
            json={"error": "invalid_client", "error_description": f"bad {CANARY_SECRET}"},
        ),
        lib.Response(200, text=f"<html>{CANARY_TOKEN} {CANARY_SECRET}</html>"),
        lib.Response(502, text=f"proxy {CANARY_SECRET}"),
    ]
    errors: list[BaseException] = []
    for body in bodies:
        transport = lib.MockTransport(lambda _request, body=body: body)
        with lib.Client(transport=transport) as client:
            with pytest.raises(
                (TokenRequestError, TokenProtocolError, TokenEndpointUnreachableError)
            ) as info:
                request_client_credentials_token(
                    TOKEN_URL,
                    CANARY_CLIENT_ID,
                    CANARY_SECRET,
                    client=client,
                    clock=clock,
                    retry=RetryPolicy(max_attempts=1),
                )
            errors.append(info.value)
    for err in errors:
        assert_no_canary(str(err))
        assert_no_canary(repr(err))
        assert_no_canary(str(err.__cause__))
    assert_no_canary(_collect(debug_logs, events))


def test_canary_async_flow_logs(
    lib: Lib, debug_logs: pytest.LogCaptureFixture, events: EventRecorder
) -> None:
    """The async flow's DEBUG logs and events hold no canary either."""
    clock = FakeClock()

    async def handler(request: lib.Request) -> lib.Response:
        if request.url.path.endswith("/as/token"):
            return _token_ok(lib)
        return lib.Response(200)

    auth = lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, clock=clock)

    async def main() -> None:
        async with lib.AsyncClient(auth=auth, transport=lib.MockTransport(handler)) as c:
            await c.get(API)
            clock.advance(850)
            await c.get(API)  # starts the background refresh
            assert await auth.await_for_refresh(10)

    asyncio.run(main())
    text = _collect(debug_logs, events)
    assert "[🔄 REFRESH]" in text
    assert_no_canary(text)


def test_secret_and_token_are_registered_for_redaction(
    lib: Lib,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A library log line that mentions the secret or token gets them masked."""
    from httpx_pingone_worker._core._logging import get_logger

    auth = lib.WorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        http_client=lib.Client(transport=lib.MockTransport(lambda _r: _token_ok(lib))),
    )
    auth.get_token()
    with caplog.at_level(logging.DEBUG, logger="httpx_pingone_worker"):
        get_logger("auth").debug("oops %s and %s", CANARY_SECRET, CANARY_TOKEN)
    assert_no_canary("\n".join(r.getMessage() for r in caplog.records))
