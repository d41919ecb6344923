"""Fixtures for the JWT tests (RSA key generated once per session)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from jwt_support import KID, Keys, Verify, default_claims

from httpx_pingone_worker import averify_jwt, verify_jwt


@pytest.fixture(scope="session")
def keys() -> Keys:
    """One RSA key pair for the whole session (generation is the slow part)."""
    return Keys()


@pytest.fixture
def sign(keys: Keys) -> Callable[..., str]:
    """Sign claims with the session RSA key (RS256, kid key-1 unless overridden)."""

    def _sign(
        claims: dict[str, Any] | None = None, *, kid: str | None = KID, other: bool = False
    ) -> str:
        return keys.sign(claims or default_claims(), kid=kid, other=other)

    return _sign


@pytest.fixture(params=["sync", "async"])
def verify(request: pytest.FixtureRequest) -> Verify:
    """``verify_jwt``, or ``averify_jwt`` run on a fresh asyncio loop: every check, both ways."""
    if request.param == "sync":
        return verify_jwt

    def run(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return anyio.run(functools.partial(averify_jwt, *args, **kwargs))

    return run
