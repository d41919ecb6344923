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

Every failure raises :class:`~httpx_pingone_worker.JWTError` whose ``error`` names the
failed check (``alg_not_allowed``, ``unknown_kid``, ``invalid_signature``, ``expired`` …).
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import httpx

from ._core._errors import JWTError
from ._core._input import BadJSON, epoch_seconds, load_json, parse_json
from ._core._logging import get_logger
from ._core._regions import check_secure_url
from ._core._secrets import Secret, fingerprint
from ._core._token import Token

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_LEEWAY",
    "DecodedJWT",
    "JWKSCache",
    "averify_jwt",
    "decode_jwt",
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

_log = get_logger("jwt")


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
    to make an access decision — that is :func:`verify_jwt`'s job. ``repr`` shows the
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
        """The ``exp`` claim (epoch seconds); ``None`` when absent. :class:`JWTError` when it is
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


def decode_jwt(token: str | Secret | Token) -> DecodedJWT:
    """Decode a JWT's header and claims **without verifying** it (for inspection).

    An opaque (non-JWT) token, a JWE, or broken base64/JSON raise :class:`JWTError` that
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


def _normalize_jwks(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, Mapping) and "keys" in value:
        value = value["keys"]
    elif isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise JWTError(
            "jwks must be a JWKS object ({'keys': [...]}), a list of JWKs or one JWK",
            error="invalid_jwks",
        )
    return [dict(k) for k in value if isinstance(k, Mapping) and isinstance(k.get("kty"), str)]


#: Longest backoff after a failed JWKS fetch (seconds).
_JWKS_RETRY_MAX = 30.0


class JWKSCache:
    """The keys of one JWKS URL, fetched on demand and cached.

    - cached for ``ttl`` seconds; when a fetch fails the stale keys keep serving;
    - an unknown ``kid`` triggers one refetch, but never more than once per
      ``min_refresh_interval`` seconds (whatever the number of tokens or threads);
    - fetches are single-flight across threads (a lock is held around them);
    - a failed fetch is retried after its own short backoff (1 s, doubling, at most 30 s or
      ``min_refresh_interval``) and reported as ``jwks_unavailable``, never as an unknown
      key; cached keys keep answering for the kids they hold.

    ``jwks_url`` or ``issuer`` (whose OIDC discovery names ``jwks_uri``) is required.
    ``client``/``transport`` choose how to fetch; ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        jwks_url: str | None = None,
        *,
        issuer: str | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        ttl: float = 3600.0,
        min_refresh_interval: float = 60.0,
        timeout: float = 10.0,
        allow_loopback_http: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not jwks_url and not issuer:
            raise JWTError(
                "JWKSCache needs jwks_url= or issuer=",
                error="invalid_jwks",
                hint="PingOne's JWKS is https://auth.pingone.<tld>/<envId>/as/jwks",
            )
        self._allow = allow_loopback_http
        self.jwks_url = (
            check_secure_url(jwks_url, what="jwks_url", allow_loopback_http=allow_loopback_http)
            if jwks_url
            else None
        )
        self.issuer = issuer.rstrip("/") if issuer else None
        self._client = client
        self._transport = transport
        self._timeout = timeout
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] = []
        self._fetched_at: float | None = None  # the last successful fetch
        self._failures = 0  # failed fetches since then
        self._retry_at = 0.0
        self._last_failure: str | None = None
        self.fetch_count = 0

    def __repr__(self) -> str:
        return f"JWKSCache(jwks_url={self.jwks_url!r}, keys={len(self._keys)})"

    # I/O ------------------------------------------------------------------------------
    def _get_json(self, url: str, what: str) -> Any:
        try:
            if self._client is not None:
                response = self._client.get(url)
            else:
                with httpx.Client(transport=self._transport, timeout=self._timeout) as c:
                    response = c.get(url)
        except httpx.HTTPError as exc:
            raise JWTError(
                f"could not fetch the {what} from {url}: {type(exc).__name__}",
                error="jwks_unavailable",
            ) from None
        if response.status_code != 200:
            raise JWTError(
                f"fetching the {what} from {url} returned HTTP {response.status_code}",
                error="jwks_unavailable",
                status_code=response.status_code,
            )
        return load_json(
            response.content,
            what=f"the {what} at {url}",
            exc_type=JWTError,
            error="jwks_unavailable",
        )

    def _resolve_url(self) -> str:
        if self.jwks_url is None:
            assert self.issuer is not None  # noqa: S101 - constructor invariant
            doc_url = f"{self.issuer}/.well-known/openid-configuration"
            doc_url = check_secure_url(doc_url, what="issuer", allow_loopback_http=self._allow)
            doc = self._get_json(doc_url, "discovery document")
            uri = doc.get("jwks_uri") if isinstance(doc, Mapping) else None
            if not isinstance(uri, str) or (
                isinstance(doc.get("issuer"), str) and doc["issuer"].rstrip("/") != self.issuer
            ):
                raise JWTError(
                    "the issuer's discovery document has no jwks_uri or names another issuer",
                    error="jwks_unavailable",
                )
            self.jwks_url = check_secure_url(uri, what="jwks_uri", allow_loopback_http=self._allow)
        return self.jwks_url

    def _fetch_locked(self) -> None:
        now = self._clock()
        self.fetch_count += 1
        try:
            url = self._resolve_url()
            keys = _normalize_jwks(self._get_json(url, "JWKS"))
        except JWTError as exc:
            # A failure has its own short backoff (1 s, 2 s, 4 s … up to 30 s or
            # min_refresh_interval): it neither waits the full interval nor is it retried
            # by every caller.
            self._failures += 1
            self._last_failure = exc.message
            cap = max(0.0, min(_JWKS_RETRY_MAX, self.min_refresh_interval))
            self._retry_at = now + min(cap, 2.0 ** (self._failures - 1))
            raise self._unavailable(now) from None
        self._keys = keys
        self._fetched_at = now
        self._failures = 0
        self._last_failure = None
        self._retry_at = 0.0
        _log.debug("fetched JWKS url=%s keys=%d", url, len(keys))

    def _unavailable(self, now: float) -> JWTError:
        wait = max(0.0, self._retry_at - now)
        return JWTError(
            f"JWKS unavailable: {self._last_failure} (next try in {wait:.0f}s)",
            error="jwks_unavailable",
            hint="check that the JWKS URL (or issuer) is reachable; cached keys keep "
            "serving while it is down",
        )

    # lookups ---------------------------------------------------------------------------
    def keys(self) -> list[dict[str, Any]]:
        """The cached keys, fetching them first when empty or older than ``ttl``."""
        with self._lock:
            if self._lookup_locked(None) is None:
                self._fetch_or_keep_locked()
            return list(self._keys)

    def _fetch_or_keep_locked(self) -> None:
        try:
            self._fetch_locked()
        except JWTError:
            if self._fetched_at is None:
                raise
            _log.warning("JWKS refresh failed; keeping the %d cached key(s)", len(self._keys))

    def _may_refetch(self, now: float) -> bool:
        if self._failures and now < self._retry_at:
            return False  # the last attempt failed: wait for its backoff
        return self._fetched_at is None or now - self._fetched_at >= self.min_refresh_interval

    def _suppressed(self, kid: str) -> JWTError:
        return JWTError(
            f"no key with kid {kid!r} in the JWKS (refetch suppressed: the JWKS "
            f"was fetched less than {self.min_refresh_interval:g}s ago)",
            error="unknown_kid",
        )

    def _lookup_locked(self, kid: str | None) -> list[dict[str, Any]] | None:
        """The answer from the cached keys alone, or None when a fetch is due first.

        Raises ``jwks_unavailable`` while a failed fetch backs off and the cached keys
        cannot answer (none yet, or ``kid`` unknown), and ``unknown_kid`` only when the
        last fetch succeeded less than ``min_refresh_interval`` ago.
        """
        now = self._clock()
        allowed = self._may_refetch(now)
        if allowed and (self._fetched_at is None or now - self._fetched_at >= self.ttl):
            return None
        if self._fetched_at is None:
            raise self._unavailable(now)
        found = _match(self._keys, kid)
        if found or kid is None:
            return found
        if allowed:
            return None
        if self._failures:
            raise self._unavailable(now)
        raise self._suppressed(kid)

    def find(self, kid: str | None) -> list[dict[str, Any]]:
        """Keys matching ``kid`` (all keys when ``kid`` is None); refetch once if unknown."""
        with self._lock:
            found = self._lookup_locked(kid)
            if found is not None:
                return found
            self._fetch_or_keep_locked()
            found = _match(self._keys, kid)
            if found or kid is None:
                return found
            if self._failures:  # the refetch failed: we could not look for the new key
                raise self._unavailable(self._clock())
            raise JWTError(f"no key with kid {kid!r} in the JWKS", error="unknown_kid")

    async def afind(self, kid: str | None) -> list[dict[str, Any]]:
        """:meth:`find` for async code (asyncio or trio) that never blocks the event loop.

        Cached keys are answered on the loop (a non-blocking lock attempt and a dict scan);
        when a fetch may be needed, or another thread holds the lock, :meth:`find` runs in
        a worker thread, so fetches stay single-flight across threads and tasks alike.
        """
        if self._lock.acquire(blocking=False):
            try:
                found = self._lookup_locked(kid)
            finally:
                self._lock.release()
            if found is not None:
                return found
        import anyio.to_thread

        return await anyio.to_thread.run_sync(self.find, kid)


def _match(keys: list[dict[str, Any]], kid: str | None) -> list[dict[str, Any]]:
    if kid is None:
        return list(keys)
    return [k for k in keys if k.get("kid") == kid]


class _StaticKeys:
    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self._keys = keys

    def find(self, kid: str | None) -> list[dict[str, Any]]:
        found = _match(self._keys, kid)
        if not found and kid is not None:
            raise JWTError(f"no key with kid {kid!r} in the given JWKS", error="unknown_kid")
        return found

    async def afind(self, kid: str | None) -> list[dict[str, Any]]:
        return self.find(kid)  # no I/O


# Public keys are not secrets: one cache per JWKS URL (bounded) spares a fetch per token
# for callers of verify_jwt(jwks_url=...) that do not keep a JWKSCache themselves.
_SHARED: OrderedDict[tuple[str, str], JWKSCache] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_SHARED_MAX = 32


def _shared_cache(jwks_url: str | None, issuer: str | None, allow: bool) -> JWKSCache:
    key = (jwks_url or "", issuer or "")
    with _SHARED_LOCK:
        cache = _SHARED.get(key)
        if cache is None:
            cache = JWKSCache(jwks_url, issuer=issuer, allow_loopback_http=allow)
            _SHARED[key] = cache
            while len(_SHARED) > _SHARED_MAX:
                _SHARED.popitem(last=False)
        _SHARED.move_to_end(key)
        return cache


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

    Keys come from ``jwks`` (a :class:`JWKSCache`, a JWKS dict, a list of JWKs or one
    JWK), else from ``jwks_url``, else from ``issuer``'s OIDC discovery (for PingOne:
    ``https://auth.pingone.<tld>/<envId>/as``). ``iss`` is compared when ``issuer`` is
    given, ``aud`` when ``audience`` is. Raises :class:`JWTError` naming the failed check.
    In async code use :func:`averify_jwt`, which never blocks the event loop.
    """
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
    """:func:`verify_jwt` for asyncio and trio code: same arguments, checks and errors.

    With cached keys everything happens on the event loop (no I/O). A JWKS or discovery
    fetch runs in a worker thread through the cache's own (sync) client, so the loop is
    never blocked and fetches stay single-flight across threads and tasks.
    """
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
