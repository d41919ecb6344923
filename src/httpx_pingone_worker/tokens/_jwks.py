"""JWKS: ``JWKSCache`` fetches and caches a key set and picks a key by ``kid``.

An unknown ``kid`` refetches the JWKS once, but at most once per ``min_refresh_interval``, so
a flood of forged tokens cannot become a flood of JWKS requests. ``verify_jwt`` shares one
cache per JWKS URL (bounded) when the caller passes none.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from httpx_pingone_worker._core._errors import JWTError
from httpx_pingone_worker._core._input import finite_arg, load_json
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._redirects import is_redirect, redirect_hint, redirect_target
from httpx_pingone_worker._core._regions import check_secure_url, display_url

__all__ = ["JWKSCache"]

_log = get_logger("jwt")


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
    ``client``/``transport`` choose how to fetch; ``clock`` is injectable for tests. A
    redirect of the JWKS or discovery URL is never followed (keys from wherever it points
    would let its owner sign tokens): it is a ``JWTError`` naming the target's host.
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
        for name, value in (("ttl", ttl), ("timeout", timeout)):
            finite_arg(value, what=name, positive=True, exc=JWTError, error="invalid_argument")
        finite_arg(
            min_refresh_interval,
            what="min_refresh_interval",
            exc=JWTError,
            error="invalid_argument",
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
        try:
            return f"JWKSCache(jwks_url={self.jwks_url!r}, keys={len(self._keys)})"
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return "JWKSCache(<not initialised>)"

    # I/O ------------------------------------------------------------------------------
    def _get_json(self, url: str, what: str) -> Any:
        """GET ``url`` once: a redirect is never followed (keys from wherever a redirect
        points would let its owner sign tokens), and no error chains the transport error."""
        failure: JWTError | None = None
        try:
            if self._client is not None:
                response = self._client.get(url, follow_redirects=False)
            else:
                with httpx.Client(transport=self._transport, timeout=self._timeout) as c:
                    response = c.get(url, follow_redirects=False)
        except httpx.HTTPError as exc:
            failure = JWTError(
                f"could not fetch the {what} from {url}: {type(exc).__name__}",
                error="jwks_unavailable",
            )
        if failure is not None:
            raise failure
        if is_redirect(response.status_code):
            raise JWTError(
                f"fetching the {what} from {url} returned HTTP {response.status_code}, a "
                f"redirect to {redirect_target(response.headers, url)}; it was not followed",
                error="jwks_unavailable",
                status_code=response.status_code,
                hint=redirect_hint("JWKS and discovery URLs"),
            )
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
            failed = True
        else:
            failed = False
        if failed:  # raised outside the except block: nothing chained
            raise self._unavailable(now)
        self._keys = keys
        self._fetched_at = now
        self._failures = 0
        self._last_failure = None
        self._retry_at = 0.0
        _log.debug("fetched JWKS url=%s keys=%d", display_url(url), len(keys))

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
        """``find`` for async code (asyncio or trio) that never blocks the event loop.

        Cached keys are answered on the loop (a non-blocking lock attempt and a dict scan);
        when a fetch may be needed, or another thread holds the lock, ``find`` runs in
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
