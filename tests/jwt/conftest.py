"""Fixtures for the JWT tests (RSA key generated once per session)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jwt_support import KID, Keys, default_claims


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
