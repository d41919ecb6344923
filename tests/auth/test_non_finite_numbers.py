"""NaN and infinity are refused wherever a number guards a check: a NaN compares false with
everything, so ``now >= expires_at`` would keep a token valid forever."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET
from httpx_pingone_worker import (
    ConfigurationError,
    EncryptedFileTokenCache,
    MemoryTokenCache,
    PingOneError,
    PingOneWorkerAuth,
    RateLimiter,
    RetryPolicy,
    Secret,
    Token,
    TokenState,
)

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
ENDPOINT = "https://auth.example.test/as/token"


def _counting_client() -> tuple[httpx.Client, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(
            200,
            json={
                "access_token": f"tok-{len(calls):04d}-abcdef",
                "token_type": "Bearer",
                "expires_in": 3600,
            },
        )

    return httpx.Client(transport=httpx.MockTransport(handler)), calls


@given(bad=NON_FINITE, which=st.sampled_from(["expiry_margin", "wait_timeout", "refresh_ratio"]))
def test_auth_refuses_non_finite_settings(bad: float, which: str) -> None:
    with pytest.raises(ConfigurationError, match=which):
        PingOneWorkerAuth(
            CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, region="EU", **{which: bad}
        )


@given(bad=NON_FINITE)
def test_a_clock_that_returns_nan_is_an_error_not_an_eternal_token(bad: float) -> None:
    """A token fetched at t=1000 must not be served once the clock reads NaN or ±inf."""
    readings = [1000.0]
    client, calls = _counting_client()
    assert not calls
    auth = PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        token_endpoint=ENDPOINT,
        http_client=client,
        clock=lambda: readings[-1],
    )
    first = auth.get_token()
    assert first.access_token.get_secret_value() == "tok-0001-abcdef"
    assert len(calls) == 1
    readings.append(bad)
    with pytest.raises(ConfigurationError, match="clock"):
        auth.get_token()
    with pytest.raises(ConfigurationError, match="clock"):
        client.get("https://api.example.test/x", auth=auth)


@given(now=NON_FINITE)
def test_token_state_fails_closed_on_a_non_finite_time(now: float) -> None:
    token = Token(Secret("tok-abcdef"), "Bearer", 3600, obtained_at=1000.0)
    assert token.state(now, 0.8) is TokenState.EXPIRED
    broken = Token(Secret("tok-abcdef"), "Bearer", 3600, obtained_at=now)
    assert broken.state(1000.0, 0.8) is TokenState.EXPIRED


@given(
    bad=NON_FINITE,
    which=st.sampled_from(
        ["backoff_base", "backoff_max", "jitter", "retry_after_cap", "total_budget"]
    ),
)
def test_retry_policy_refuses_non_finite_numbers(bad: float, which: str) -> None:
    with pytest.raises(ConfigurationError, match=which):
        RetryPolicy(**{which: bad})


@given(bad=NON_FINITE, which=st.sampled_from(["rate", "per"]))
def test_rate_limiter_refuses_non_finite_numbers(bad: float, which: str) -> None:
    with pytest.raises(ConfigurationError):
        RateLimiter(**{which: bad})


@given(bad=NON_FINITE)
def test_caches_refuse_non_finite_numbers(bad: float, tmp_path_factory: Any) -> None:
    with pytest.raises(PingOneError, match="lock_timeout"):
        EncryptedFileTokenCache(tmp_path_factory.mktemp("c"), key=b"k" * 32, lock_timeout=bad)
    with pytest.raises(ConfigurationError, match="max_entries"):
        MemoryTokenCache(max_entries=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "which", ["lock_ttl", "lock_timeout", "poll_interval", "socket_timeout", "retry_interval"]
)
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_redis_cache_refuses_non_finite_numbers(which: str, bad: float) -> None:
    pytest.importorskip("redis")
    from httpx_pingone_worker import RedisTokenCache

    with pytest.raises(ConfigurationError, match=which):
        RedisTokenCache("redis://127.0.0.1:1/0", **{which: bad})


def test_introspection_expires_in_refuses_nan() -> None:
    from httpx_pingone_worker import Introspection, IntrospectionError

    info = Introspection(active=True, exp=2000)
    assert info.expires_in(1000.0) == 1000.0
    with pytest.raises(IntrospectionError):
        info.expires_in(math.nan)
