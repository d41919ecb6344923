"""A token's lifetime counts from the moment it was asked for; a malformed 200 is a server fault.

- A slow token response (a proxy, a descheduled thread) must not make the library believe the
  token lives longer than the server meant: ``expires_in`` is counted from when the request was
  sent, so the delay can only make the library refresh early, never send an expired token.
- A 200 whose body is not a token response (a maintenance page, a truncated body) is retried
  under the ``RetryPolicy`` like a 503, and a clear ``TokenProtocolError`` ends a persistent one.
- Any positive lifetime the server grants is accepted (more than 30 days is kept as 30 days).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from auth_support import API_URL, CLIENT_ID, ENV_ID, SECRET, TOKEN_URL, FakeClock

from httpx_pingone_worker import (
    PingOneWorkerAuth,
    RetryPolicy,
    TokenEndpointUnreachableError,
    TokenProtocolError,
)

START = 1_700_000_000.0


def _token_body(n: int, expires_in: Any = 60) -> bytes:
    return json.dumps(
        {"access_token": f"tok-{n}-abcdefgh", "token_type": "Bearer", "expires_in": expires_in}
    ).encode()


class SlowTokenServer:
    """A token endpoint whose answers take ``delay`` seconds of the fake clock, and an API that
    records the token each request carried and when (on the fake clock)."""

    def __init__(self, clock: FakeClock, *, delay: float, expires_in: Any = 60) -> None:
        self.clock = clock
        self.delay = delay
        self.expires_in = expires_in
        self.issued: dict[str, float] = {}  # token -> the moment the server made it
        self.sent: list[tuple[str, float]] = []  # (token, fake time) of every API request
        self.token_requests = 0
        self.script: list[tuple[int, bytes]] = []  # answers to hand out before the good ones

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url == TOKEN_URL:
            self.token_requests += 1
            self.clock.advance(self.delay)  # the answer is generated after the delay
            if self.script:
                status, body = self.script.pop(0)
                return httpx.Response(status, content=body)
            token = f"tok-{self.token_requests}-abcdefgh"
            self.issued[token] = self.clock()
            return httpx.Response(200, content=_token_body(self.token_requests, self.expires_in))
        token = request.headers["Authorization"].removeprefix("Bearer ")
        self.sent.append((token, self.clock()))
        return httpx.Response(200, json={"ok": True})

    def expired_sends(self) -> list[tuple[str, float]]:
        """API requests that carried a token the server already considered expired."""
        lifetime = float(self.expires_in)
        return [(t, at) for t, at in self.sent if at >= self.issued[t] + lifetime]


def _auth(clock: FakeClock, server: SlowTokenServer, **kw: Any) -> PingOneWorkerAuth:
    """An auth on the fake clock whose own token requests (get_token) reach ``server``."""
    kw.setdefault("retry", RetryPolicy(max_attempts=4, total_budget=120.0))
    transport = httpx.MockTransport(server.handler)
    return PingOneWorkerAuth(
        CLIENT_ID,
        SECRET,
        ENV_ID,
        clock=clock,
        sleep=clock.sleep,
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
        **kw,
    )


def test_expiry_counts_from_when_the_request_was_sent() -> None:
    """A token whose response took 50 s expires 60 s after it was asked for, not 110 s."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=50.0, expires_in=60)
    auth = _auth(clock, server, refresh_ratio=0.99)
    with httpx.Client(auth=auth, transport=httpx.MockTransport(server.handler)) as client:
        token = auth.get_token()
        assert token.expires_at == START + 60
        # Walk the fake clock through two minutes of traffic; every request must carry a token
        # the server still considers valid.
        for _ in range(40):
            client.get(API_URL)
            clock.advance(3.0)
    assert server.expired_sends() == []
    assert server.token_requests >= 2


def test_expiry_counts_from_when_the_request_was_sent_async() -> None:
    """The async path counts the lifetime from the send as well."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=50.0, expires_in=60)
    auth = _auth(clock, server, async_sleep=clock.asleep, refresh_ratio=0.99)
    transport = httpx.MockTransport(server.handler)

    async def main() -> float:
        async with httpx.AsyncClient(auth=auth, transport=transport) as client:
            token = await auth.aget_token()
            for _ in range(40):
                await client.get(API_URL)
                clock.advance(3.0)
                await asyncio.sleep(0)  # let a background refresh task run
            await auth.aclose()
        return token.expires_at

    assert asyncio.run(main()) == START + 60
    assert server.expired_sends() == []


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Down for maintenance</body></html>",
        b'{"access_token": "tok-trunc',
        b'{"token_type": "Bearer", "expires_in": 3600}',
        b"",
    ],
    ids=["html", "truncated", "no-token", "empty"],
)
def test_a_malformed_200_is_retried_like_a_503(body: bytes) -> None:
    """Two unusable 200s, then a good one: the caller gets the token after backing off."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=0.0, expires_in=3600)
    server.script = [(200, body), (200, body)]
    auth = _auth(clock, server)
    with httpx.Client(auth=auth, transport=httpx.MockTransport(server.handler)) as client:
        assert client.get(API_URL).status_code == 200
    assert server.token_requests == 3
    assert len(clock.sleeps) == 2  # backed off between attempts
    assert all(s > 0 for s in clock.sleeps)


def test_a_persistent_malformed_200_ends_in_a_clear_protocol_error() -> None:
    """When every attempt is a malformed 200 the final error says so, after the bounded tries."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=0.0)
    server.script = [(200, b"<html>maintenance</html>")] * 10
    auth = _auth(clock, server, retry=RetryPolicy(max_attempts=3, total_budget=120.0))
    with pytest.raises(TokenProtocolError) as info:
        auth.get_token()
    assert server.token_requests == 3
    assert "after 3 attempt(s)" in str(info.value)
    assert "HTML" in str(info.value)
    assert "maintenance" not in str(info.value)
    assert not isinstance(info.value, TokenEndpointUnreachableError)


def test_a_single_attempt_policy_raises_the_protocol_error_at_once() -> None:
    """With max_attempts=1 nothing is retried and the parse error itself is raised."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=0.0)
    server.script = [(200, b"nope")]
    auth = _auth(clock, server, retry=RetryPolicy(max_attempts=1))
    with pytest.raises(TokenProtocolError, match="not JSON"):
        auth.get_token()
    assert server.token_requests == 1
    assert clock.sleeps == []


@pytest.mark.parametrize("granted", [2_592_001, 90 * 86_400, "31536000"])
def test_a_lifetime_over_30_days_is_accepted_and_kept_as_30_days(granted: Any) -> None:
    """A server granting more than 30 days is believed; the library refreshes within 30 days."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=0.0, expires_in=granted)
    auth = _auth(clock, server)
    token = auth.get_token()
    assert server.token_requests == 1
    assert token.expires_in == 2_592_000
    assert token.expires_at == START + 2_592_000
    assert auth.get_token() is token  # cached, not asked again


def test_a_zero_lifetime_is_refused_with_backoff_not_a_request_per_call() -> None:
    """expires_in=0 is no usable token: it is retried with backoff, then one clear error."""
    clock = FakeClock(START)
    server = SlowTokenServer(clock, delay=0.0, expires_in=0)
    auth = _auth(clock, server, retry=RetryPolicy(max_attempts=3, total_budget=120.0))
    with pytest.raises(TokenProtocolError, match="must be positive"):
        auth.get_token()
    assert server.token_requests == 3
    assert len(clock.sleeps) == 2
