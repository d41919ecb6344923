"""PingOneWorkerAuth with sync httpx clients and threads."""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from auth_support import (
    API_URL,
    CLIENT_ID,
    ENV_ID,
    SECRET,
    TOKEN_URL,
    FakeClock,
    Lib,
    TokenServer,
    oauth_error,
    wait_until,
)

from httpx_pingone_worker import (
    ConfigurationError,
    InsecureTransportError,
    MemoryTokenCache,
    PingOneWorkerAuth,
    ScopeError,
    Secret,
    Token,
    TokenEndpointUnreachableError,
    TokenRequestError,
    TokenState,
)
from httpx_pingone_worker._core._retry import RetryPolicy


def make_auth(lib: Lib, clock: FakeClock, **kw: object) -> Any:
    """``lib``'s PingOneWorkerAuth on the fake clock, with a short retry policy."""
    kw.setdefault("retry", RetryPolicy(max_attempts=4, total_budget=60.0))
    return lib.WorkerAuth(
        CLIENT_ID,
        SECRET,
        ENV_ID,
        clock=clock,
        sleep=clock.sleep,
        **kw,  # type: ignore[arg-type]
    )


def count_plans(auth: Any, kind: str) -> list[int]:
    """Wrap the engine's plan() to count plans of ``kind`` (a test probe)."""
    counter = [0]
    lock = threading.Lock()
    original = auth._engine.plan

    def plan():  # type: ignore[no-untyped-def]
        result = original()
        if result.kind == kind:
            with lock:
                counter[0] += 1
        return result

    auth._engine.plan = plan  # type: ignore[method-assign]
    return counter


def test_first_request_fetches_then_cache_serves(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """One token request serves many API requests; the header carries the token."""
    auth = make_auth(lib, clock)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        answers = [client.get(API_URL).json()["auth"] for _ in range(5)]
    assert server.token_count == 1
    assert answers == [f"Bearer {server.issued[0]}"] * 5
    assert auth.current_token is not None
    assert auth.current_token.expires_at == clock.now + 3600


def test_token_request_goes_through_the_users_transport(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """The token POST goes to the environment's token endpoint via the client's transport."""
    auth = make_auth(lib, clock)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
    req = server.token_requests[0]
    assert str(req.url) == TOKEN_URL
    assert req.headers["authorization"].startswith("Basic ")
    assert req.content == b"grant_type=client_credentials"


def test_64_threads_cold_make_one_token_request(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """64 threads with no token cause exactly one token request and all get its token."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.gate.clear()
    with (
        lib.Client(auth=auth, transport=server.transport()) as client,
        ThreadPoolExecutor(64) as pool,
    ):
        futures = [pool.submit(lambda: client.get(API_URL).json()["auth"]) for _ in range(64)]
        # Hold the token answer until the other 63 threads are waiting for it.
        assert wait_until(lambda: waits[0] >= 63), waits
        server.gate.set()
        results = [f.result(timeout=10) for f in futures]
    assert server.token_count == 1
    assert set(results) == {f"Bearer {server.issued[0]}"}


def test_cold_failure_reaches_every_waiter_without_retry_storm(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """When the single fetch fails with invalid_client, all threads get the error; 1 request."""
    auth = make_auth(lib, clock)
    waits = count_plans(auth, "wait")
    server.script = [oauth_error(401, "invalid_client", "nope", lib=lib)]
    server.gate.clear()
    with (
        lib.Client(auth=auth, transport=server.transport()) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        futures = [pool.submit(client.get, API_URL) for _ in range(16)]
        assert wait_until(lambda: waits[0] >= 15)
        server.gate.set()
        errors = [f.exception(timeout=10) for f in futures]
    assert server.token_count == 1
    assert all(isinstance(e, TokenRequestError) for e in errors)
    assert all(e.error == "invalid_client" for e in errors)  # type: ignore[union-attr]


def test_clock_driven_fresh_stale_expired(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """Fresh: no request; stale (80%): one background refresh; expired (margin): fetch."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    t0 = clock.now
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        token = auth.current_token
        assert token is not None
        clock.now = t0 + 799
        assert token.state(clock(), 0.8) is TokenState.FRESH
        client.get(API_URL)
        assert server.token_count == 1
        clock.now = t0 + 800
        assert token.state(clock(), 0.8) is TokenState.STALE
        # The stale token is still valid: it is sent, and the refresh runs in the background.
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[0]}"
        assert auth.wait_for_refresh(10)
        assert server.token_count == 2
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[1]}"
        # The refreshed token was obtained at t0+800; expire it (30 s margin).
        clock.now = t0 + 800 + 1000 - 30
        assert auth.current_token is not None
        assert auth.current_token.state(clock(), 0.8) is TokenState.EXPIRED
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[2]}"
        assert server.token_count == 3


def test_refresh_point_one_refresher_and_nobody_else_waits(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """At the refresh point all 64 threads complete with the old token while the one refresh
    is held at the token endpoint; the next request uses the refreshed token."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        old = f"Bearer {server.issued[0]}"
        clock.advance(850)  # stale, still valid
        server.gate.clear()  # the refresh blocks until released
        with ThreadPoolExecutor(64) as pool:
            futures = [pool.submit(lambda: client.get(API_URL).json()["auth"]) for _ in range(64)]
            # Every request completes while the token endpoint is still blocked.
            results = [f.result(timeout=10) for f in futures]
        assert wait_until(lambda: server.token_count == 2)  # the refresh is held back
        assert results.count(old) == 64
        server.gate.set()
        assert auth.wait_for_refresh(10)
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[1]}"
    assert server.token_count == 2


def test_refresh_failure_keeps_serving_valid_token_and_backs_off(
    lib: Lib, server: TokenServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed refresh keeps the valid token, warns, and waits before trying again."""
    server.lifetime = 1000
    auth = make_auth(lib, clock)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        old = f"Bearer {server.issued[0]}"
        clock.advance(850)
        server.script = [lib.Response(503), lib.Response(503)]
        with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
            assert client.get(API_URL).json()["auth"] == old
            assert auth.wait_for_refresh(10)
        assert server.token_count == 2  # one refresh attempt, no retries on a refresh
        assert any("refresh failed" in r.getMessage() for r in caplog.records)
        assert client.get(API_URL).json()["auth"] == old
        assert auth.wait_for_refresh(10)
        assert server.token_count == 2  # backing off
        clock.advance(61)
        assert client.get(API_URL).json()["auth"] == old  # second attempt fails too
        assert auth.wait_for_refresh(10)
        assert server.token_count == 3
        clock.advance(30)  # past the backoff, still before expiry (t0+970)
        assert client.get(API_URL).json()["auth"] == old  # third attempt succeeds …
        assert auth.wait_for_refresh(10)
        assert server.token_count == 4
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[1]}"  # … used next


def test_expired_token_and_failing_endpoint_raise(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """Once the token expires, a failing endpoint surfaces the error to callers."""
    server.lifetime = 1000
    auth = make_auth(lib, clock, retry=RetryPolicy(max_attempts=1))
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        clock.advance(990)
        server.script = [oauth_error(400, "invalid_client", lib=lib)]
        with pytest.raises(TokenRequestError):
            client.get(API_URL)


def test_retry_after_seconds_in_flow(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """A 429 with Retry-After: 7 is retried after exactly 7 s (fake sleep), inside the flow."""
    auth = make_auth(lib, clock)
    server.script = [lib.Response(429, headers={"Retry-After": "7"})]
    with lib.Client(auth=auth, transport=server.transport()) as client:
        assert client.get(API_URL).status_code == 200
    assert server.token_count == 2
    assert clock.sleeps == [7.0]


def test_retry_after_http_date(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """A 503 with an HTTP-date Retry-After waits until that date."""
    auth = make_auth(lib, clock, http_client=lib.Client(transport=server.transport()))
    when = email.utils.formatdate(clock.now + 12, usegmt=True)
    server.script = [lib.Response(503, headers={"Retry-After": when})]
    auth.get_token()
    assert server.token_count == 2
    assert clock.sleeps == [pytest.approx(12.0)]


def test_connect_errors_are_retried_by_get_token(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """get_token() retries transport errors with backoff."""
    auth = make_auth(lib, clock, http_client=lib.Client(transport=server.transport()))
    req = lib.Request("POST", TOKEN_URL)
    server.script = [lib.ConnectError("down", request=req), lib.ReadTimeout("t", request=req)]
    token = auth.get_token()
    assert server.token_count == 3
    assert len(clock.sleeps) == 2
    assert token.access_token.get_secret_value() == server.issued[0]


def test_retry_budget_exhaustion(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """Retries stop when the budget would be crossed; the error says so and keeps status."""
    auth = make_auth(
        lib,
        clock,
        retry=RetryPolicy(max_attempts=50, total_budget=20.0, retry_after_cap=30.0),
        http_client=lib.Client(transport=server.transport()),
    )
    server.script = [lib.Response(503, headers={"Retry-After": "8"}) for _ in range(10)]
    with pytest.raises(TokenEndpointUnreachableError) as info:
        auth.get_token()
    assert server.token_count == 3  # t=0, 8, 16; a third wait would end at 24 > 20
    assert clock.sleeps == [8.0, 8.0]
    assert info.value.status_code == 503
    assert "3 attempt" in str(info.value)


@pytest.mark.parametrize("error", ["invalid_client", "invalid_scope", "unauthorized_client"])
def test_oauth_errors_are_not_retried(
    lib: Lib, server: TokenServer, clock: FakeClock, error: str
) -> None:
    """4xx OAuth errors are raised after one request, with no sleeping."""
    auth = make_auth(lib, clock, http_client=lib.Client(transport=server.transport()))
    server.script = [oauth_error(400, error, "no", lib=lib)]
    with pytest.raises(TokenRequestError) as info:
        auth.get_token()
    assert server.token_count == 1
    assert clock.sleeps == []
    assert info.value.error == error


def test_401_invalidates_and_resends_once(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """A 401 with the cached token gets a new token and resends the request once."""
    auth = make_auth(lib, clock)
    first = []

    def api(request: lib.Request) -> lib.Response:
        token = request.headers["authorization"]
        if not first:
            first.append(token)
        return lib.Response(401 if token == first[0] else 200)

    server.api = api
    with lib.Client(auth=auth, transport=server.transport()) as client:
        response = client.post(API_URL, json={"a": 1})
    assert response.status_code == 200
    assert server.token_count == 2
    assert len(server.api_requests) == 2
    # The resend carries the same body (httpx 0.27 and 0.28 serialise JSON differently).
    assert server.api_requests[1].content == server.api_requests[0].content
    assert json.loads(server.api_requests[1].content) == {"a": 1}


def test_second_401_is_returned(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """When the resend also gets 401, that 401 goes back to the caller (no loop)."""
    auth = make_auth(lib, clock)
    server.api = lambda _request: lib.Response(401)
    with lib.Client(auth=auth, transport=server.transport()) as client:
        assert client.get(API_URL).status_code == 401
    assert server.token_count == 2
    assert len(server.api_requests) == 2


def test_50_concurrent_401s_cause_one_new_token(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """50 threads rejected with the same token trigger exactly one new token."""
    auth = make_auth(lib, clock, http_client=lib.Client(transport=server.transport()))
    auth.get_token()
    rejected = f"Bearer {server.issued[0]}"
    arrived = threading.Barrier(50, timeout=10)

    def api(request: lib.Request) -> lib.Response:
        if request.headers["authorization"] == rejected:
            arrived.wait()  # all 50 carry the old token before anyone gets an answer
            return lib.Response(401)
        return lib.Response(200, json={"auth": request.headers["authorization"]})

    server.api = api
    with (
        lib.Client(auth=auth, transport=server.transport()) as client,
        ThreadPoolExecutor(50) as pool,
    ):
        results = list(pool.map(lambda _: client.get(API_URL), range(50)))
    assert server.token_count == 2
    assert {r.status_code for r in results} == {200}
    assert {r.json()["auth"] for r in results} == {f"Bearer {server.issued[1]}"}


def test_non_replayable_body_is_not_resent(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """A streaming body is not resent after a 401, but the token is dropped."""
    auth = make_auth(lib, clock)
    server.api = lambda _request: lib.Response(401)

    def body() -> Iterator[bytes]:
        yield b"chunk"

    with lib.Client(auth=auth, transport=server.transport()) as client:
        assert client.post(API_URL, content=body()).status_code == 401
        assert len(server.api_requests) == 1
        assert auth.current_token is None
        server.api = None
        assert client.get(API_URL).status_code == 200
    assert server.token_count == 2


def test_rotate_secret_used_by_next_request_cached_token_kept(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """After rotate_secret the cached token stays; the next token request uses the new secret."""
    auth = make_auth(lib, clock, auth_method="client_secret_post")
    with lib.Client(auth=auth, transport=server.transport()) as client:
        client.get(API_URL)
        auth.rotate_secret("rotated-secret-987654")
        client.get(API_URL)
        assert server.token_count == 1
        auth.invalidate()
        client.get(API_URL)
    assert server.token_count == 2
    assert b"client_secret=test-secret-value-123456" in server.token_requests[0].content
    assert b"client_secret=rotated-secret-987654" in server.token_requests[1].content
    assert auth.credentials.client_secret is not None
    assert auth.credentials.client_secret.get_secret_value() == "rotated-secret-987654"


def test_secret_provider_reread_once_on_invalid_client(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """invalid_client asks the secret provider once and retries with the new secret."""
    secrets = iter(["old-secret-1234567", "new-secret-7654321"])
    auth = lib.WorkerAuth(
        CLIENT_ID,
        None,
        ENV_ID,
        clock=clock,
        sleep=clock.sleep,
        secret_provider=lambda: next(secrets),
        auth_method="client_secret_post",
        http_client=lib.Client(transport=server.transport()),
    )
    server.script = [oauth_error(401, "invalid_client", lib=lib)]
    auth.get_token()
    assert server.token_count == 2
    assert b"new-secret-7654321" in server.token_requests[1].content


def test_scope_mismatch_logged_and_strict_scopes_raises(
    lib: Lib, server: TokenServer, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Granted scopes differing from requested are logged; strict_scopes makes it an error."""
    server.scope = "a"
    http = lib.Client(transport=server.transport())
    lax = make_auth(lib, clock, scopes="a b", http_client=http)
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        token = lax.get_token()
    assert token.scopes == frozenset({"a"})
    assert token.requested_scopes == frozenset({"a", "b"})
    assert any("granted scopes differ" in r.getMessage() for r in caplog.records)
    strict = make_auth(lib, clock, scopes="a b", http_client=http, strict_scopes=True)
    with pytest.raises(ScopeError, match="b"):
        strict.get_token()
    assert strict.current_token is None


def test_shared_cache_between_instances(lib: Lib, server: TokenServer, clock: FakeClock) -> None:
    """Two auth objects sharing a MemoryTokenCache share the token (one request)."""
    cache = MemoryTokenCache()
    http = lib.Client(transport=server.transport())
    a = make_auth(lib, clock, cache=cache, http_client=http)
    b = make_auth(lib, clock, cache=cache, http_client=http)
    assert a.cache_key == b.cache_key
    assert a.get_token().access_token == b.get_token().access_token
    assert server.token_count == 1


class LockingCache(MemoryTokenCache):
    """A MemoryTokenCache with a fetch lock that records its use."""

    def __init__(self) -> None:
        super().__init__()
        self.locked: list[str] = []
        self._fetch = threading.Lock()

    def fetch_lock(self, key: str):  # type: ignore[no-untyped-def]
        import contextlib

        @contextlib.contextmanager
        def cm():  # type: ignore[no-untyped-def]
            with self._fetch:
                self.locked.append(key)
                yield

        return cm()

    def afetch_lock(self, key: str):  # type: ignore[no-untyped-def]
        raise NotImplementedError


def test_fetch_lock_is_taken_and_cache_reread(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """With SupportsFetchLock, a fetch holds the lock; a valid token already in the shared
    cache is used without it (a holder may be busy refreshing: nobody waits for that)."""
    cache = LockingCache()
    http = lib.Client(transport=server.transport())
    a = make_auth(lib, clock, cache=cache, http_client=http)
    a.get_token()
    assert cache.locked == [a.cache_key]
    b = make_auth(lib, clock, cache=cache, http_client=http)  # another "process"
    assert b.get_token().access_token == a.get_token().access_token
    assert server.token_count == 1
    assert len(cache.locked) == 1


def test_issuer_discovery(lib: Lib, clock: FakeClock, server: TokenServer) -> None:
    """issuer= discovers the token endpoint once, logs it, then requests tokens there."""
    issuer = "https://idp.example.com/oauth"
    token_url = "https://idp.example.com/oauth/as/token"

    def handler(request: lib.Request) -> lib.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return lib.Response(200, json={"issuer": issuer, "token_endpoint": token_url})
        return server.handler(request)

    auth = lib.WorkerAuth(CLIENT_ID, SECRET, None, issuer=issuer, clock=clock)
    assert auth.endpoints is None
    with lib.Client(auth=auth, transport=lib.MockTransport(handler)) as client:
        client.get("https://api.example.com/x")
        client.get("https://api.example.com/x")
    assert auth.token_endpoint == token_url
    assert auth.endpoints is not None
    assert auth.endpoints.token == token_url
    assert server.token_count == 1


def test_constructor_rejects_bad_input() -> None:
    """Missing ids, conflicting options, bad ratios and insecure URLs are clear errors."""
    with pytest.raises(ConfigurationError, match="client_id"):
        PingOneWorkerAuth("", SECRET, ENV_ID)
    with pytest.raises(ConfigurationError, match="client secret"):
        PingOneWorkerAuth(CLIENT_ID, None, ENV_ID)
    with pytest.raises(ConfigurationError, match="environment_id"):
        PingOneWorkerAuth(CLIENT_ID, SECRET, None)
    with pytest.raises(ConfigurationError, match="refresh_ratio"):
        PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, refresh_ratio=1.5)
    with pytest.raises(ConfigurationError, match="not both"):
        PingOneWorkerAuth(
            CLIENT_ID, SECRET, ENV_ID, token_endpoint=TOKEN_URL, issuer="https://x.example"
        )
    with pytest.raises(ConfigurationError, match="region"):
        PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, region="MARS")
    with pytest.raises(InsecureTransportError):
        PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, auth_base_url="http://example.com")


def test_attributes_region_and_endpoints() -> None:
    """Region picks the hosts; attributes expose ids, endpoints and the cache key."""
    auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, region="eu", scopes=["b", "a"])
    assert auth.region.value == "EU"
    assert auth.endpoints is not None
    assert auth.endpoints.token == f"https://auth.pingone.eu/{ENV_ID}/as/token"
    assert auth.api_base_url == "https://api.pingone.eu/v1"
    assert auth.client_id == CLIENT_ID
    assert auth.environment_id == ENV_ID
    assert auth.credentials.environment_id == ENV_ID
    assert auth.cache_key.startswith("pingone:")
    assert SECRET not in auth.cache_key


def test_loopback_http_needs_opt_in() -> None:
    """auth_base_url http://127.0.0.1 works only with allow_loopback_http=True."""
    with pytest.raises(InsecureTransportError):
        PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, auth_base_url="http://127.0.0.1:8080")
    auth = PingOneWorkerAuth(
        CLIENT_ID, SECRET, ENV_ID, auth_base_url="http://127.0.0.1:8080", allow_loopback_http=True
    )
    assert auth.token_endpoint == f"http://127.0.0.1:8080/{ENV_ID}/as/token"


def test_from_env_reads_pingone_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """from_env() builds the auth from PINGONE_* variables; overrides win."""
    monkeypatch.setenv("PINGONE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", ENV_ID)
    monkeypatch.setenv("PINGONE_REGION", "ca")
    monkeypatch.setenv("PINGONE_SCOPES", "x y")
    auth = PingOneWorkerAuth.from_env(refresh_ratio=0.5)
    assert auth.region.value == "CA"
    assert auth.scopes == frozenset({"x", "y"})
    assert auth.client_id == CLIENT_ID
    assert auth._engine.refresh_ratio == 0.5


def test_from_env_lists_every_missing_setting() -> None:
    """With nothing set, from_env() raises one error naming all missing settings."""
    with pytest.raises(ConfigurationError) as info:
        PingOneWorkerAuth.from_env(env={})
    text = str(info.value)
    assert "PINGONE_CLIENT_ID" in text
    assert "PINGONE_CLIENT_SECRET" in text
    assert "PINGONE_ENVIRONMENT_ID" in text


def test_transport_errors_on_a_blocking_fetch_are_retried(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """With no token, the fetch goes through the caller's client outside httpx's flow, so a
    connect error and a read timeout are retried under the RetryPolicy: the caller succeeds."""
    auth = make_auth(lib, clock)
    req = lib.Request("POST", TOKEN_URL)
    server.script = [lib.ConnectError("down", request=req), lib.ReadTimeout("slow", request=req)]
    with lib.Client(auth=auth, transport=server.transport()) as client:
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[0]}"
    assert server.token_count == 3
    assert len(clock.sleeps) == 2  # two backoffs, on the injected sleep
    assert auth._engine._flight is None


def test_transport_error_on_the_refetch_after_a_401_is_retried(
    lib: Lib, server: TokenServer, clock: FakeClock
) -> None:
    """After a 401 the flow reads the 401, then refetches on the caller's client: a connect
    error there is retried and the resent request succeeds with the new token."""
    auth = make_auth(lib, clock)
    req = lib.Request("POST", TOKEN_URL)
    rejected: list[str] = []

    def api(request: Any) -> Any:
        if not rejected:
            rejected.append(request.headers["authorization"])
            return lib.Response(401, text="expired")
        return lib.Response(200, json={"auth": request.headers.get("authorization")})

    server.api = api
    server.script = [None, lib.ConnectError("down", request=req)]
    with lib.Client(auth=auth, transport=server.transport()) as client:
        assert client.get(API_URL).json()["auth"] == f"Bearer {server.issued[1]}"
        assert auth._engine._flight is None
    assert rejected == [f"Bearer {server.issued[0]}"]
    assert server.token_count == 3
    assert len(clock.sleeps) == 1


def test_refetch_after_a_401_works_with_a_one_connection_pool(lib: Lib, clock: FakeClock) -> None:
    """The refetch after a 401 runs on the caller's client after the 401 was read, so even a
    pool of one connection (real HTTP/1.1 over a local socket) does not starve."""
    from httpx_pingone_worker.emulator import PingOneEmulator

    if lib.name != "httpx":
        pytest.skip("the emulator's server is exercised with httpx")
    emu = PingOneEmulator(users=0, token_lifetime=600)
    with emu.serve() as served:
        auth = lib.WorkerAuth(
            emu.credentials.client_id,
            emu.credentials.client_secret,
            emu.environment_id,
            auth_base_url=served.auth_base_url,
            api_base_url=served.api_base_url,
        )
        limits = lib.Limits(max_connections=1, max_keepalive_connections=1)
        url = f"{served.api_base_url}/environments/{emu.environment_id}"
        bogus = Token(
            access_token=Secret("not-a-token-the-emulator-issued-abcdef"),
            token_type="Bearer",
            expires_in=600,
            obtained_at=time.time(),
        )
        auth._engine.adopt(bogus)  # the API answers 401 to it
        with lib.Client(auth=auth, verify=served.ssl_context, limits=limits, timeout=5.0) as client:
            assert client.get(url).status_code == 200
        assert auth.current_token is not None
        assert auth.current_token.access_token != bogus.access_token
        assert emu.token_requests == 1


class _MemoryKeyring:
    """Just enough of a keyring backend for secure_store/secure_retrieve."""

    priority = 1

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


def test_from_store_rereads_the_store_once_on_invalid_client(
    lib: Lib,
    server: TokenServer,
    clock: FakeClock,
    tmp_path: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """from_store() reads stored credentials and, after invalid_client, the rotated secret."""
    import keyring
    import keyring.backend

    from httpx_pingone_worker import ClientCredentials, secure_store

    class Backend(_MemoryKeyring, keyring.backend.KeyringBackend):
        pass

    previous = keyring.get_keyring()
    keyring.set_keyring(Backend())
    try:
        directory = str(tmp_path)
        secure_store(
            ClientCredentials(CLIENT_ID, "stored-secret-one-123", ENV_ID, "EU"),
            directory=directory,
        )
        auth = lib.WorkerAuth.from_store(
            CLIENT_ID,
            directory=directory,
            clock=clock,
            sleep=clock.sleep,
            http_client=lib.Client(transport=server.transport()),
            auth_method="client_secret_post",
        )
        assert auth.region.value == "EU"
        secure_store(
            ClientCredentials(CLIENT_ID, "stored-secret-two-456", ENV_ID, "EU"),
            directory=directory,
        )
        server.script = [oauth_error(401, "invalid_client", lib=lib)]
        auth.get_token()
    finally:
        keyring.set_keyring(previous)
    assert server.token_count == 2
    assert b"stored-secret-one-123" in server.token_requests[0].content
    assert b"stored-secret-two-456" in server.token_requests[1].content


def test_token_response_read_explicitly_api_response_left_streaming(
    lib: Lib, clock: FakeClock
) -> None:
    """The unread token response is read by the flow; API responses are not buffered."""
    body = b'{"access_token": "streamed-token-123", "token_type": "Bearer", "expires_in": 60}'

    def handler(request: lib.Request) -> lib.Response:
        if request.url.path.endswith("/as/token"):
            return lib.Response(200, stream=lib.ByteStream(body))
        return lib.Response(200, stream=lib.ByteStream(b"api"))

    auth = make_auth(lib, clock)
    assert lib.WorkerAuth.requires_response_body is False
    with (
        lib.Client(auth=auth, transport=lib.MockTransport(handler)) as client,
        client.stream("GET", API_URL) as response,
    ):
        assert not response.is_stream_consumed
        assert response.read() == b"api"
    assert auth.current_token is not None
    assert auth.current_token.access_token.get_secret_value() == "streamed-token-123"
