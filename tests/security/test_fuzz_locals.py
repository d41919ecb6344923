"""Garbage in any other argument never lets the secret into a failure's locals or chain."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from leak_support import exposure

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import PingOneError, PingOneWorkerAuth, resolve_settings

GARBAGE = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.text(max_size=5), max_size=3),
    st.binary(max_size=10),
)
ARGUMENTS = [
    "region",
    "scopes",
    "auth_base_url",
    "api_base_url",
    "auth_method",
    "refresh_ratio",
    "token_endpoint",
    "issuer",
    "custom_domain",
    "expiry_margin",
    "wait_timeout",
    "key_id",
]


def _check(build: Any) -> None:
    try:
        build()
    except (PingOneError, TypeError, ValueError) as exc:
        assert_no_canary(exposure(exc))


@settings(
    max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow]
)
@given(name=st.sampled_from(ARGUMENTS), value=GARBAGE)
def test_auth_constructor_garbage_never_shows_the_secret(name: str, value: Any) -> None:
    """`PingOneWorkerAuth(..., <one argument garbage>)`: if it fails, no canary shows."""
    _check(
        lambda: PingOneWorkerAuth(
            **{
                "client_id": CANARY_CLIENT_ID,
                "client_secret": CANARY_SECRET,
                "environment_id": CANARY_ENV_ID,
                name: value,
            }
        )
    )


ENV_NAMES = ["PINGONE_REGION", "PINGONE_SCOPES", "PINGONE_AUTH_BASE_URL", "PINGONE_API_BASE_URL"]


@settings(
    max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow]
)
@given(name=st.sampled_from(ENV_NAMES), value=st.text(max_size=40))
def test_environment_garbage_never_shows_the_secret(name: str, value: str) -> None:
    """The secret in the environment mapping, another variable garbage."""
    _check(lambda: resolve_settings(env=_env(name, value)))
    _check(lambda: PingOneWorkerAuth.from_env(env=_env(name, value), stored=None))


def _env(name: str, value: str) -> dict[str, str]:
    """Built inside the call: the calling lambda's locals must not hold the secret."""
    return {
        "PINGONE_CLIENT_ID": CANARY_CLIENT_ID,
        "PINGONE_CLIENT_SECRET": CANARY_SECRET,
        "PINGONE_ENVIRONMENT_ID": CANARY_ENV_ID,
        name: value,
    }
