"""JWT decoding (unverified, for inspection) and verification against a JWKS.

Verification is deliberately strict and explicit, so that no library default decides:

1. the header's ``alg`` must be in an allow-list of *asymmetric* algorithms: ``none`` and
   every HMAC algorithm are refused (an HMAC "signed" with the public key is the classic
   algorithm-confusion attack);
2. the key is picked by ``kid`` from the JWKS; an unknown ``kid`` refetches the JWKS once,
   but at most once per ``min_refresh_interval`` so a flood of forged tokens cannot become
   a flood of JWKS requests;
3. the key's type must match the algorithm (RSA for RS*/PS*, EC with the right curve for
   ES*), and the key's own ``alg``/``use`` must not contradict it;
4. the signature is checked with python-jose (imported lazily) for that one key and alg;
5. ``exp``, ``nbf``, ``iat`` (with ``leeway``), ``iss`` and ``aud`` are checked.

Every failure raises [`JWTError`][httpx_pingone_worker.JWTError] whose ``error`` names the
failed check (``alg_not_allowed``, ``unknown_kid``, ``invalid_signature``, ``expired`` …).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from httpx_pingone_worker._core._errors import JWTError
from httpx_pingone_worker._core._input import finite_arg
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.tokens._jwks import JWKSCache, _normalize_jwks, _shared_cache, _StaticKeys
from httpx_pingone_worker.tokens._jwt_decode import (
    DecodedJWT,
    _audiences,
    _b64decode,
    _num,
    _raw_token,
    decode_jwt,
)

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_LEEWAY",
    "averify_jwt",
    "verify_jwt",
]

#: Asymmetric algorithms accepted by default (PingOne signs RS256).
DEFAULT_ALGORITHMS: tuple[str, ...] = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
)
#: Seconds of clock skew tolerated for exp/nbf/iat (PingOne documents none; keep it small).
DEFAULT_LEEWAY = 30.0
_EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def _check_key_for_alg(key: Mapping[str, Any], alg: str) -> str | None:
    """Why ``key`` may not verify ``alg`` (None when it may)."""
    kty = key.get("kty")
    if alg.startswith(("RS", "PS")):
        if kty != "RSA":
            return f"alg {alg} needs an RSA key, the key is {kty}"
    elif alg.startswith("ES"):
        if kty != "EC":
            return f"alg {alg} needs an EC key, the key is {kty}"
        if key.get("crv") != _EC_CURVES.get(alg):
            return f"alg {alg} needs curve {_EC_CURVES.get(alg)}, the key is {key.get('crv')}"
    else:
        return f"alg {alg} is not supported"
    if isinstance(key.get("alg"), str) and key["alg"] != alg:
        return f"the key is for {key['alg']}, the token says {alg}"
    if isinstance(key.get("use"), str) and key["use"] != "sig":
        return f"the key's use is {key['use']!r}, not 'sig'"
    return None


def _verify_signature(key: Mapping[str, Any], alg: str, signing_input: bytes, sig: bytes) -> bool:
    from jose import jwk
    from jose.exceptions import JOSEError

    try:
        constructed = jwk.construct(dict(key), algorithm=alg)
        return bool(constructed.verify(signing_input, sig))
    except (JOSEError, ValueError, TypeError):
        return False


@dataclass(frozen=True)
class _Verification:
    """What verify_jwt and averify_jwt share: the checked header, the key source, the rest."""

    raw: str
    decoded: DecodedJWT
    alg: str
    source: JWKSCache | _StaticKeys
    issuer: str | None
    audience: str | Iterable[str] | None
    leeway: float
    require: Iterable[str]
    now: float | None

    def __repr__(self) -> str:  # never the token
        return f"_Verification(alg={self.alg!r}, kid={self.decoded.kid!r})"

    @sealed_frames  # its locals hold the token's parts (signature included)
    def finish(self, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        """Pick a key that fits the algorithm, check the signature, then the claims."""
        alg = self.alg
        if not candidates:
            raise JWTError("the JWKS has no keys", error="unknown_kid")
        reasons = [r for r in (_check_key_for_alg(k, alg) for k in candidates) if r]
        usable = [k for k in candidates if _check_key_for_alg(k, alg) is None]
        if not usable:
            raise JWTError(
                f"no key fits the token's algorithm: {reasons[0]}",
                error="alg_key_mismatch",
            )
        head, payload, sig_b64 = self.raw.split(".")
        signing_input = f"{head}.{payload}".encode("ascii", "replace")
        signature = _b64decode(sig_b64, "signature")
        if not any(_verify_signature(k, alg, signing_input, signature) for k in usable):
            raise JWTError("JWT signature is invalid", error="invalid_signature")
        claims = dict(self.decoded.claims)
        _check_claims(
            claims,
            issuer=self.issuer,
            audience=self.audience,
            leeway=self.leeway,
            require=self.require,
            now=self.now,
        )
        return claims


@sealed_frames  # its locals hold the raw token
def _start_verification(
    token: str | Secret | Token,
    *,
    jwks: Any,
    jwks_url: str | None,
    issuer: str | None,
    audience: str | Iterable[str] | None,
    leeway: float,
    algorithms: Iterable[str],
    require: Iterable[str],
    now: float | None,
    allow_loopback_http: bool,
) -> _Verification:
    """Everything before the key lookup: decode, the algorithm allow-list, the key source."""
    # NaN compares false with everything: "now > exp + leeway" would never reject a token.
    leeway = finite_arg(leeway, what="leeway", exc=JWTError, error="invalid_argument")
    if now is not None:
        now = finite_arg(now, what="now", minimum=None, exc=JWTError, error="invalid_argument")
    raw = _raw_token(token)
    decoded = decode_jwt(raw)
    allowed = {a for a in algorithms if a in DEFAULT_ALGORITHMS}
    alg = decoded.alg
    if alg is None or alg not in allowed:
        raise JWTError(
            f"JWT algorithm {alg!r} is not allowed (allowed: {', '.join(sorted(allowed))})",
            error="alg_not_allowed",
            hint="'none' and HMAC algorithms are never accepted for tokens verified with "
            "a public key",
        )
    if "crit" in decoded.header:
        raise JWTError("JWT header has unsupported 'crit' parameters", error="unsupported_crit")
    if not decoded.signature_present:
        raise JWTError("JWT has no signature", error="invalid_signature")

    if jwks is not None:
        source: JWKSCache | _StaticKeys = (
            jwks if isinstance(jwks, JWKSCache) else _StaticKeys(_normalize_jwks(jwks))
        )
    elif jwks_url or issuer:
        source = _shared_cache(jwks_url, issuer if not jwks_url else None, allow_loopback_http)
    else:
        raise JWTError(
            "verify_jwt needs keys: jwks=, jwks_url= or issuer=",
            error="invalid_jwks",
            hint="PingOne's JWKS is https://auth.pingone.<tld>/<envId>/as/jwks",
        )
    return _Verification(
        raw=raw,
        decoded=decoded,
        alg=alg,
        source=source,
        issuer=issuer,
        audience=audience,
        leeway=leeway,
        require=require,
        now=now,
    )


def verify_jwt(
    token: str | Secret | Token,
    *,
    jwks: Any = None,
    jwks_url: str | None = None,
    issuer: str | None = None,
    audience: str | Iterable[str] | None = None,
    leeway: float = DEFAULT_LEEWAY,
    algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
    require: Iterable[str] = ("exp",),
    now: float | None = None,
    allow_loopback_http: bool = False,
) -> dict[str, Any]:
    """Verify a JWT's signature and claims; return the claims.

    Keys come from ``jwks`` (a ``JWKSCache``, a JWKS dict, a list of JWKs or one
    JWK), else from ``jwks_url``, else from ``issuer``'s OIDC discovery (for PingOne:
    ``https://auth.pingone.<tld>/<envId>/as``). ``iss`` is compared when ``issuer`` is
    given, ``aud`` when ``audience`` is. Raises ``JWTError`` naming the failed check.
    In async code use ``averify_jwt``, which never blocks the event loop.
    """
    if isinstance(token, str):  # wrapped first: no frame of a failure holds it raw
        token = Secret(token)
    v = _start_verification(
        token,
        jwks=jwks,
        jwks_url=jwks_url,
        issuer=issuer,
        audience=audience,
        leeway=leeway,
        algorithms=algorithms,
        require=require,
        now=now,
        allow_loopback_http=allow_loopback_http,
    )
    return v.finish(v.source.find(v.decoded.kid))


async def averify_jwt(
    token: str | Secret | Token,
    *,
    jwks: Any = None,
    jwks_url: str | None = None,
    issuer: str | None = None,
    audience: str | Iterable[str] | None = None,
    leeway: float = DEFAULT_LEEWAY,
    algorithms: Iterable[str] = DEFAULT_ALGORITHMS,
    require: Iterable[str] = ("exp",),
    now: float | None = None,
    allow_loopback_http: bool = False,
) -> dict[str, Any]:
    """``verify_jwt`` for asyncio and trio code: same arguments, checks and errors.

    With cached keys everything happens on the event loop (no I/O). A JWKS or discovery
    fetch runs in a worker thread through the cache's own (sync) client, so the loop is
    never blocked and fetches stay single-flight across threads and tasks.
    """
    if isinstance(token, str):  # wrapped first: no frame of a failure holds it raw
        token = Secret(token)
    v = _start_verification(
        token,
        jwks=jwks,
        jwks_url=jwks_url,
        issuer=issuer,
        audience=audience,
        leeway=leeway,
        algorithms=algorithms,
        require=require,
        now=now,
        allow_loopback_http=allow_loopback_http,
    )
    return v.finish(await v.source.afind(v.decoded.kid))


def _check_claims(
    claims: Mapping[str, Any],
    *,
    issuer: str | None,
    audience: str | Iterable[str] | None,
    leeway: float,
    require: Iterable[str],
    now: float | None,
) -> None:
    for name in require:
        if name not in claims:
            raise JWTError(f"JWT has no {name!r} claim", error="missing_claim")
    current = time.time() if now is None else now
    exp = _num(claims, "exp")
    if exp is not None and current > exp + leeway:
        raise JWTError(
            f"JWT expired {current - exp:.0f}s ago (leeway {leeway:g}s)", error="expired"
        )
    nbf = _num(claims, "nbf")
    if nbf is not None and current + leeway < nbf:
        raise JWTError(
            f"JWT is not valid for another {nbf - current:.0f}s (nbf, leeway {leeway:g}s)",
            error="not_yet_valid",
        )
    iat = _num(claims, "iat")
    if iat is not None and current + leeway < iat:
        raise JWTError(
            f"JWT was issued {iat - current:.0f}s in the future (iat, leeway {leeway:g}s)",
            error="issued_in_future",
        )
    if issuer is not None:
        got = claims.get("iss")
        if not isinstance(got, str) or got.rstrip("/") != issuer.rstrip("/"):
            raise JWTError(
                f"JWT issuer {got!r} is not the expected {issuer!r}", error="invalid_issuer"
            )
    if audience is not None:
        wanted = {audience} if isinstance(audience, str) else set(audience)
        got_aud = set(_audiences(claims.get("aud")))
        if not wanted & got_aud:
            raise JWTError(
                f"JWT audience {sorted(got_aud)!r} does not include {sorted(wanted)!r}",
                error="invalid_audience",
            )
