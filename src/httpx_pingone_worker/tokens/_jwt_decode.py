"""JWT decoding without verification, for inspection: ``decode_jwt`` → ``DecodedJWT``.

Nothing here checks a signature; ``_jwt_verify`` does, on top of these parsers.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from httpx_pingone_worker._core._errors import JWTError
from httpx_pingone_worker._core._input import BadJSON, epoch_seconds, parse_json
from httpx_pingone_worker._core._secrets import Secret, fingerprint, sealed_frames
from httpx_pingone_worker._core._token import Token

__all__ = ["DecodedJWT", "decode_jwt"]


def _raw_token(token: str | Secret | Token) -> str:
    if isinstance(token, Token):
        return token.access_token.get_secret_value()
    if isinstance(token, Secret):
        return token.get_secret_value()
    if not isinstance(token, str):
        raise JWTError(
            f"a token must be a str, Secret or Token, not {type(token).__name__}",
            error="invalid_input",
        )
    return token.strip()


def _b64decode(part: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise JWTError(f"JWT {what} is not valid base64url", error="malformed") from None


def _json_part(part: str, what: str) -> dict[str, Any]:
    raw = _b64decode(part, what)
    try:
        value = parse_json(raw)
    except BadJSON as exc:
        raise JWTError(exc.describe(f"JWT {what}"), error="malformed") from None
    if not isinstance(value, dict):
        raise JWTError(f"JWT {what} is not a JSON object", error="malformed")
    return value


@dataclass(frozen=True, slots=True)
class DecodedJWT:
    """A JWT's header and claims, **not verified** unless ``verified`` is true.

    Use it to look at a token (which environment, which scopes, when it expires); never
    to make an access decision — that is ``verify_jwt``'s job. ``repr`` shows the
    fingerprint, never the token.
    """

    header: Mapping[str, Any]
    claims: Mapping[str, Any]
    fingerprint: str
    verified: bool = False
    signature_present: bool = field(default=True)

    @property
    def alg(self) -> str | None:
        """The header's ``alg``."""
        value = self.header.get("alg")
        return value if isinstance(value, str) else None

    @property
    def kid(self) -> str | None:
        """The header's ``kid``."""
        value = self.header.get("kid")
        return value if isinstance(value, str) else None

    @property
    def issuer(self) -> str | None:
        """The ``iss`` claim."""
        value = self.claims.get("iss")
        return value if isinstance(value, str) else None

    @property
    def audience(self) -> tuple[str, ...]:
        """The ``aud`` claim as a tuple (PingOne may send a string or a list)."""
        return _audiences(self.claims.get("aud"))

    @property
    def expires_at(self) -> float | None:
        """The ``exp`` claim (epoch seconds); ``None`` when absent. ``JWTError`` when it is
        not a number or no usable time (NaN, ±inf, ``10**400``, beyond the year 9999)."""
        return _num(self.claims, "exp")

    @property
    def scopes(self) -> frozenset[str]:
        """The ``scope`` claim split into names."""
        value = self.claims.get("scope")
        if isinstance(value, str):
            return frozenset(value.split())
        if isinstance(value, list):
            return frozenset(v for v in value if isinstance(v, str))
        return frozenset()

    @property
    def client_id(self) -> str | None:
        """The ``client_id`` claim."""
        value = self.claims.get("client_id")
        return value if isinstance(value, str) else None

    def __repr__(self) -> str:
        label = "verified" if self.verified else "UNVERIFIED"
        return (
            f"DecodedJWT({label}, alg={self.alg!r}, kid={self.kid!r}, iss={self.issuer!r}, "
            f"fingerprint={self.fingerprint!r})"
        )


@sealed_frames  # its locals hold the raw token: an error's traceback leaves them out
def decode_jwt(token: str | Secret | Token) -> DecodedJWT:
    """Decode a JWT's header and claims **without verifying** it (for inspection).

    An opaque (non-JWT) token, a JWE, or broken base64/JSON raise ``JWTError`` that
    says what the token is instead (``error`` = ``not_a_jwt``, ``encrypted`` or ``malformed``).
    """
    raw = _raw_token(token)
    parts = raw.split(".")
    if len(parts) == 5:
        raise JWTError(
            "the token is an encrypted JWT (JWE); it cannot be decoded without the recipient's key",
            error="encrypted",
        )
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise JWTError(
            "the token is not a JWT (it has no header.payload.signature parts): it is "
            "probably an opaque token",
            error="not_a_jwt",
            hint="use introspect_token() to learn what an opaque token grants",
        )
    try:
        header = _json_part(parts[0], "header")
    except JWTError:
        raise JWTError(
            "the token is not a JWT (its first part is not a base64url JSON header): it is "
            "probably an opaque token",
            error="not_a_jwt",
            hint="use introspect_token() to learn what an opaque token grants",
        ) from None
    claims = _json_part(parts[1], "payload")
    return DecodedJWT(
        header=MappingProxyType(header),
        claims=MappingProxyType(claims),
        fingerprint=fingerprint(raw),
        verified=False,
        signature_present=bool(parts[2]),
    )


def _audiences(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def _num(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JWTError(f"JWT claim {name!r} is not a number", error="malformed")
    seconds = epoch_seconds(value)
    if seconds is None:
        raise JWTError(
            f"JWT claim {name!r} is not a usable time (not a finite number of epoch seconds "
            "before the year 10000)",
            error="malformed",
        )
    return seconds
