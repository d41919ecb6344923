"""The ``Token`` value and its freshness rules (pure; the clock is passed in)."""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._secrets import Secret, fingerprint

__all__ = [
    "DEFAULT_EXPIRY_MARGIN",
    "MAX_CACHED_LIFETIME",
    "Token",
    "TokenState",
    "normalize_scopes",
    "restorable_times",
    "token_document",
    "token_from_document",
    "token_state",
]

#: Seconds before ``expires_at`` at which a token counts as expired: covers clock skew
#: and the time a request spends in flight (PingOne documents no skew tolerance).
DEFAULT_EXPIRY_MARGIN = 30.0


def normalize_scopes(scopes: str | Iterable[str] | None) -> frozenset[str]:
    """Turn ``"a b"``, ``["a", "b"]`` or ``None`` into a frozenset of scope names."""
    if scopes is None:
        return frozenset()
    if isinstance(scopes, str):
        return frozenset(s for s in scopes.split() if s)
    out: set[str] = set()
    for s in scopes:
        if not isinstance(s, str):
            raise TypeError(f"scopes must be strings, got {type(s).__name__}")
        out.update(p for p in s.split() if p)
    return frozenset(out)


class TokenState(enum.Enum):
    """Where a cached token stands in its life."""

    FRESH = "fresh"  # use it
    STALE = "stale"  # still valid; one caller refreshes in the background of the others
    EXPIRED = "expired"  # unusable: callers wait for a new one


@dataclass(frozen=True, slots=True)
class Token:
    """An access token from the token endpoint.

    ``access_token`` is a ``Secret``. ``obtained_at`` and ``expires_at`` are absolute
    epoch seconds from the clock that fetched it. ``scopes`` are the granted scopes (the
    response's ``scope``, or the requested ones when the server omitted it, per RFC 6749
    §5.1); ``requested_scopes`` are what was asked for.
    """

    access_token: Secret
    token_type: str
    expires_in: int
    obtained_at: float
    scopes: frozenset[str] = field(default_factory=frozenset)
    requested_scopes: frozenset[str] = field(default_factory=frozenset)
    scope_returned: bool = True

    @property
    def expires_at(self) -> float:
        """Epoch seconds at which the server stops accepting the token."""
        return self.obtained_at + self.expires_in

    @property
    def fingerprint(self) -> str:
        """8 hex chars of the token's SHA-256: safe to log."""
        return fingerprint(self.access_token)

    @property
    def missing_scopes(self) -> frozenset[str]:
        """Requested scopes the server did not grant."""
        return self.requested_scopes - self.scopes

    def authorization_header(self) -> str:
        """``Bearer <token>``: the value for the ``Authorization`` header."""
        return f"Bearer {self.access_token.get_secret_value()}"

    def refresh_at(self, refresh_ratio: float) -> float:
        """Epoch seconds after which a refresh is due."""
        return self.obtained_at + self.expires_in * refresh_ratio

    def state(
        self, now: float, refresh_ratio: float, expiry_margin: float = DEFAULT_EXPIRY_MARGIN
    ) -> TokenState:
        """This token's [`TokenState`][httpx_pingone_worker.TokenState] at ``now``."""
        return token_state(self, now, refresh_ratio, expiry_margin)

    def __repr__(self) -> str:
        return (
            f"Token(fingerprint={self.fingerprint!r}, token_type={self.token_type!r}, "
            f"expires_in={self.expires_in}, expires_at={self.expires_at:.0f}, "
            f"scopes={sorted(self.scopes)!r})"
        )


#: Longest token lifetime trusted when a token comes back from a cache: 30 days,
#: PingOne's documented maximum (the token endpoint refuses longer ones too).
MAX_CACHED_LIFETIME = 30 * 86400
#: Latest ``obtained_at`` trusted from a cache (9999-12-31): beyond it no clock is real.
_MAX_OBTAINED_AT = 253_402_300_799.0


def restorable_times(expires_in: object, obtained_at: object) -> tuple[int, float] | None:
    """``(expires_in, obtained_at)`` of a token read back from a cache, or ``None`` when a
    stored value could make it fresh forever or break the freshness arithmetic: a lifetime
    that is not an int in 1..30 days, an ``obtained_at`` that is NaN, ±inf, or too large
    for a float (a 400-digit integer)."""
    if isinstance(expires_in, bool) or not isinstance(expires_in, int):
        return None
    if not 0 < expires_in <= MAX_CACHED_LIFETIME:
        return None
    if isinstance(obtained_at, bool) or not isinstance(obtained_at, (int, float)):
        return None
    try:
        when = float(obtained_at)
    except OverflowError:
        return None
    if not math.isfinite(when) or abs(when) > _MAX_OBTAINED_AT:
        return None
    return expires_in, when


def token_document(token: Token) -> dict[str, Any]:
    """The JSON document a shared cache stores for ``token`` (the access token in clear:
    the cache seals the whole document). Read back with ``token_from_document``."""
    return {
        "access_token": token.access_token.get_secret_value(),
        "token_type": token.token_type,
        "expires_in": token.expires_in,
        "obtained_at": token.obtained_at,
        "scopes": sorted(token.scopes),
        "requested_scopes": sorted(token.requested_scopes),
        "scope_returned": token.scope_returned,
    }


def token_from_document(doc: object) -> Token | None:
    """The token of a document ``token_document`` wrote, or ``None`` for anything else.

    Strict, because a sealed entry may still hold garbage (a bug, a foreign writer with the
    key, a bit flip before sealing): every field has its written type (``scope_returned`` a
    real bool, so ``"no"`` is not true; scopes lists of strings, absent meaning none), and
    times that could keep the token fresh forever are refused (``restorable_times``).
    """
    if not isinstance(doc, Mapping):
        return None
    access = doc.get("access_token")
    token_type = doc.get("token_type")
    scopes = doc.get("scopes", [])
    requested = doc.get("requested_scopes", [])
    returned = doc.get("scope_returned", True)
    if not (
        isinstance(access, str)
        and access
        and isinstance(token_type, str)
        and isinstance(scopes, list)
        and all(isinstance(s, str) for s in scopes)
        and isinstance(requested, list)
        and all(isinstance(s, str) for s in requested)
        and isinstance(returned, bool)
    ):
        return None
    times = restorable_times(doc.get("expires_in"), doc.get("obtained_at"))
    if times is None:  # NaN/inf/huge times would make the entry fresh forever
        return None
    return Token(
        access_token=Secret(access),
        token_type=token_type,
        expires_in=times[0],
        obtained_at=times[1],
        scopes=frozenset(scopes),
        requested_scopes=frozenset(requested),
        scope_returned=returned,
    )


def token_state(
    token: Token, now: float, refresh_ratio: float, expiry_margin: float = DEFAULT_EXPIRY_MARGIN
) -> TokenState:
    """Fresh until ``refresh_ratio`` of the lifetime has passed, then stale, then expired
    ``expiry_margin`` seconds before ``expires_at`` (the margin shrinks for very short
    lifetimes so that a token is never born expired)."""
    margin = min(expiry_margin, token.expires_in * (1.0 - refresh_ratio) / 2)
    expired_at = token.expires_at - margin
    # Fail closed: NaN compares false with everything, so a NaN clock reading, margin or
    # ratio would otherwise keep a token FRESH forever.
    if not (math.isfinite(now) and math.isfinite(expired_at)) or now >= expired_at:
        return TokenState.EXPIRED
    refresh_at = token.refresh_at(refresh_ratio)
    if not math.isfinite(refresh_at) or now >= refresh_at:
        return TokenState.STALE
    return TokenState.FRESH
