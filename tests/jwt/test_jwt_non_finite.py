"""NaN and infinity never switch a JWT check off: every number that guards one is refused."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jwt_support import Keys, Verify, default_claims

from httpx_pingone_worker import JWKSCache, JWTError
from httpx_pingone_worker._core._errors import PingOneError

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf, -math.nan])


def test_nan_leeway_does_not_accept_a_token_that_expired_a_day_ago(
    sign: object, keys: Keys, verify: Verify
) -> None:
    token = sign(default_claims(exp=int(time.time()) - 86400))  # type: ignore[operator]
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks, leeway=float("nan"))
    assert info.value.error == "invalid_argument"
    assert "leeway" in str(info.value)


def test_nan_now_does_not_accept_a_token_that_expired_a_day_ago(
    sign: object, keys: Keys, verify: Verify
) -> None:
    token = sign(default_claims(exp=int(time.time()) - 86400))  # type: ignore[operator]
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks, now=float("nan"))
    assert info.value.error == "invalid_argument"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    bad=NON_FINITE,
    which=st.sampled_from(["leeway", "now"]),
    age=st.integers(min_value=1, max_value=10**7),
)
def test_a_non_finite_leeway_or_now_never_verifies_an_expired_token(
    keys: Keys, verify: Verify, bad: float, which: str, age: int
) -> None:
    token = keys.sign(default_claims(exp=int(time.time()) - age))
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks, **{which: bad})
    assert info.value.error == "invalid_argument"


@given(
    bad=st.one_of(NON_FINITE, st.just(-1.0)),
    which=st.sampled_from(["ttl", "min_refresh_interval", "timeout"]),
)
def test_jwks_cache_refuses_non_finite_numbers(bad: float, which: str) -> None:
    with pytest.raises(PingOneError):
        JWKSCache(
            "https://auth.pingone.eu/0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a/as/jwks", **{which: bad}
        )  # type: ignore[arg-type]
