"""``Token`` values, scope normalisation and freshness at the state boundaries."""

from __future__ import annotations

import dataclasses

import pytest

from canary import CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import Secret, Token, TokenState
from httpx_pingone_worker._core._token import DEFAULT_EXPIRY_MARGIN, normalize_scopes, token_state


def make(expires_in: int = 3600, obtained_at: float = 1000.0, **kw: object) -> Token:
    return Token(Secret(CANARY_TOKEN), "Bearer", expires_in, obtained_at, **kw)  # type: ignore[arg-type]


def test_expires_at_and_refresh_at() -> None:
    """expires_at and refresh_at are absolute epoch seconds."""
    t = make()
    assert t.expires_at == 4600.0
    assert t.refresh_at(0.8) == 1000.0 + 2880.0


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (1000.0, TokenState.FRESH),
        (3879.999, TokenState.FRESH),
        (3880.0, TokenState.STALE),
        (4569.999, TokenState.STALE),
        (4570.0, TokenState.EXPIRED),
        (4600.0, TokenState.EXPIRED),
        (99999.0, TokenState.EXPIRED),
    ],
)
def test_states_at_boundaries(now: float, state: TokenState) -> None:
    """Fresh until 80% of the lifetime, stale until 30 s before expiry, then expired."""
    assert DEFAULT_EXPIRY_MARGIN == 30.0
    assert make().state(now, 0.8) is state


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (1000.0, TokenState.FRESH),
        (1007.999, TokenState.FRESH),
        (1008.0, TokenState.STALE),
        (1008.999, TokenState.STALE),
        (1009.0, TokenState.EXPIRED),
    ],
)
def test_short_lifetime_margin_shrinks(now: float, state: TokenState) -> None:
    """For a 10 s token the margin shrinks to half the stale window: never born expired."""
    assert token_state(make(expires_in=10), now, 0.8) is state


def test_custom_margin() -> None:
    """An explicit expiry margin moves the expired boundary."""
    t = make()
    assert t.state(4599.0, 0.8, expiry_margin=0.5) is TokenState.STALE
    assert t.state(4599.5, 0.8, expiry_margin=0.5) is TokenState.EXPIRED


def test_ratio_one_goes_fresh_to_expired() -> None:
    """With refresh_ratio=1.0 there is no stale window."""
    t = make()
    assert t.state(4599.9, 1.0) is TokenState.FRESH
    assert t.state(4600.0, 1.0) is TokenState.EXPIRED


def test_repr_shows_fingerprint_only() -> None:
    """repr carries the fingerprint, never the token."""
    t = make(scopes=frozenset({"b", "a"}))
    text = repr(t)
    assert t.fingerprint in text
    assert len(t.fingerprint) == 8
    assert "['a', 'b']" in text
    assert_no_canary(text)
    assert_no_canary(str(t))


def test_authorization_header() -> None:
    """authorization_header is the raw Bearer value (for the request only)."""
    assert make().authorization_header() == f"Bearer {CANARY_TOKEN}"


def test_missing_scopes() -> None:
    """missing_scopes is requested minus granted."""
    t = make(scopes=frozenset({"a"}), requested_scopes=frozenset({"a", "b"}))
    assert t.missing_scopes == frozenset({"b"})


def test_frozen() -> None:
    """Tokens are immutable."""
    t = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.expires_in = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, frozenset()),
        ("", frozenset()),
        ("a b  c", frozenset({"a", "b", "c"})),
        (["a", "b c", "a"], frozenset({"a", "b", "c"})),
        (("p1:read",), frozenset({"p1:read"})),
    ],
)
def test_normalize_scopes(given: object, expected: frozenset[str]) -> None:
    """Strings split on whitespace; iterables are flattened and deduplicated."""
    assert normalize_scopes(given) == expected  # type: ignore[arg-type]


def test_normalize_scopes_rejects_non_str() -> None:
    """Non-string scope items are a TypeError."""
    with pytest.raises(TypeError):
        normalize_scopes([1])  # type: ignore[list-item]
