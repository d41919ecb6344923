"""``TokenEngine``: per-instance token state, freshness decisions and single-flight.

This is where single-flight is decided: ``TokenEngine.plan`` tells each caller to
``use`` the cached token, ``wait`` for the flight in progress, or lead a ``fetch`` or a
background ``refresh``. It never blocks and never does I/O; its fetch flow yields actions
(see ``_flow``) that the lead (``_lead``) passes to the ``Performer``. One cohesive thing
(over 400 lines): one state machine whose fields one lock guards, so one module.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Literal

from httpx_pingone_worker._core._errors import (
    ConfigurationError,
    PingOneError,
    ScopeError,
    TokenEndpointUnreachableError,
    TokenRequestError,
)
from httpx_pingone_worker._core._fork import ForkGuard
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._logging import (
    EventKind,
    get_logger,
    log_event,
    register_held_secret,
)
from httpx_pingone_worker._core._redirects import is_redirect
from httpx_pingone_worker._core._regions import Endpoints
from httpx_pingone_worker._core._retry import (
    NO_RETRY,
    RetryPolicy,
)
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.oauth._discovery_doc import discovery_url, parse_discovery_document
from httpx_pingone_worker.oauth._token_request import (
    HttpResult,
    TokenRequest,
    TransportFailure,
    build_token_request,
)
from httpx_pingone_worker.oauth._token_response import redirect_error

from ._config import AuthConfig
from ._flight import Flight
from ._flow import (
    Action,
    CacheRead,
    CacheWrite,
    Flow,
    ReloadSecret,
    SendRequest,
    request_token_flow,
)

__all__ = [
    "Plan",
    "TokenEngine",
]

_log = get_logger("token")


@dataclass(frozen=True, slots=True)
class _Entry:
    token: Token
    refresh_at: float
    expire_at: float
    # "Bearer <token>": never in a repr (pytest -l -vv prints the locals holding one).
    header: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Plan:
    """What a caller must do next: ``use`` a token, ``wait`` for a flight, or lead a
    ``fetch`` (no valid token) or a ``refresh`` (``token`` still valid, fall back to it)."""

    kind: Literal["use", "wait", "fetch", "refresh"]
    token: Token | None = None
    flight: Flight | None = None
    header: str = field(default="", repr=False)  # "Bearer <token>": never in a repr


class TokenEngine:
    """Per-instance token state, freshness decisions and single-flight (sans-IO).

    The engine never blocks and never does I/O: ``plan`` tells a caller what to do,
    ``fetch_flow`` yields actions for the caller's driver, and ``complete`` /
    ``abandon`` publish the result. A ``threading.Lock`` guards the few fields and is
    never held across I/O, so sync threads, asyncio and trio tasks can share one engine.
    """

    def __init__(self, config: AuthConfig, *, refresh_backoff: RetryPolicy | None = None) -> None:
        self.config = config
        self.client_id = config.client_id
        #: The secret of the next token request (replaced by a rotation or a reload).
        self.client_secret = config.client_secret
        self.scopes = config.scopes
        self.auth_method = config.auth_method
        self.private_key = config.private_key
        self.key_id = config.key_id
        #: The token endpoint (filled by discovery with ``issuer=``).
        self.token_endpoint = config.token_endpoint
        self.issuer = config.issuer
        self.cache_key = config.cache_key
        self.refresh_ratio = config.refresh_ratio
        self.expiry_margin = config.expiry_margin
        self.clock = config.clock
        self.retry = config.retry
        self.strict_scopes = config.strict_scopes
        self.can_reload_secret = config.secret_provider is not None
        self.allow_loopback_http = config.allow_loopback_http
        self.api_base_url = config.api_base_url
        self.refresh_backoff = refresh_backoff or RetryPolicy(
            max_attempts=1_000_000, backoff_base=5.0, backoff_max=60.0, total_budget=1e12
        )
        self.discovered: Endpoints | None = None
        #: Read without the lock on the hot path (an attribute read is atomic).
        self.entry: _Entry | None = None
        self._lock = threading.Lock()
        self._flight: Flight | None = None
        #: Seconds after which an unfinished flight (a hung request) stops blocking callers:
        #: the next one leads a new fetch. None: never.
        self.supersede_after: float | None = config.wait_timeout
        #: Bumped by invalidate(): a token read from the cache by a fetch that overlapped an
        #: invalidation is handed to that fetch's callers but never kept.
        self._generation = 0
        self._fork = ForkGuard()
        fork_register(self)
        self._refresh_failures = 0
        self._next_refresh_try = 0.0
        self._last_retry_after: float | None = None
        # Tokens invalidated here (401, invalidate()): never re-adopted from a shared cache.
        self._rejected: deque[Secret] = deque(maxlen=8)

    # -- token state and single-flight -----------------------------------------------

    def _make_entry(self, token: Token) -> _Entry:
        margin = min(self.expiry_margin, token.expires_in * (1.0 - self.refresh_ratio) / 2)
        return _Entry(
            token=token,
            refresh_at=token.refresh_at(self.refresh_ratio),
            expire_at=token.expires_at - margin,
            header=token.authorization_header(),
        )

    @property
    def current_token(self) -> Token | None:
        """The token held in memory (may be stale or expired), no I/O."""
        entry = self.entry
        return entry.token if entry is not None else None

    def _after_fork(self) -> None:
        """In a forked child: no fetch is in flight here (its leader thread stayed in the
        parent) and the lock may have been held by a thread that does not exist here."""
        self._lock = threading.Lock()
        self._flight = None
        self._fork.pid = os.getpid()

    def _current_flight_locked(self) -> Flight | None:
        flight = self._flight
        if (
            flight is not None
            and self.supersede_after is not None
            and time.monotonic() - flight.started > self.supersede_after
        ):
            log_event(
                EventKind.ERROR,
                "a token request has been in flight for longer than wait_timeout; "
                "starting another one",
                level=30,
                logger="auth",
                after=f"{self.supersede_after:g}s",
            )
            self._flight = flight = None
        return flight

    def plan(self) -> Plan:
        """Decide, under the lock, what the caller does next."""
        if self._fork.forked():  # a fork the at-fork hook did not see
            self._after_fork()
        with self._lock:
            now = self.clock()
            entry = self.entry
            flight = self._current_flight_locked()
            if entry is not None:
                if now < entry.refresh_at:
                    return Plan("use", entry.token, header=entry.header)
                if now < entry.expire_at:
                    if flight is None and now >= self._next_refresh_try:
                        self._flight = Flight(refresh=True, generation=self._generation)
                        return Plan("refresh", entry.token, self._flight, entry.header)
                    return Plan("use", entry.token, header=entry.header)
            if flight is not None:
                return Plan("wait", flight=flight)
            self._flight = Flight(refresh=False, generation=self._generation)
            return Plan("fetch", flight=self._flight)

    def complete(self, plan: Plan, result: Token | BaseException) -> Token:
        """Publish a leader's result; return the token the leader should use, or raise."""
        flight = plan.flight
        assert flight is not None  # noqa: S101 - only leaders complete
        with self._lock:
            if self._flight is flight:
                self._flight = None
            if isinstance(result, Token) and flight.from_cache:
                if flight.generation != self._generation:
                    # Read from the cache before an invalidate() that deleted it: this
                    # fetch's callers get it (their calls overlapped), later ones do not.
                    self._rejected.append(result.access_token)
                else:
                    self._adopt_locked(result)
            elif isinstance(result, Token):
                self._adopt_locked(result)
            elif plan.kind == "refresh" and plan.token is not None:
                self._refresh_failed_locked(plan.token)
        if isinstance(result, Token):
            flight.finish(token=result)
            return result
        flight.finish(error=result)
        if plan.kind == "refresh" and plan.token is not None:
            log_event(
                EventKind.ERROR,
                "refresh failed; keeping the still-valid token",
                level=30,  # WARNING
                logger="auth",
                type=type(result).__name__,
                msg=str(result),
                retry_in=f"{max(0.0, self._next_refresh_try - self.clock()):.0f}s",
            )
            return plan.token
        log_event(
            EventKind.ERROR,
            "token request failed",
            level=40,
            logger="auth",
            type=type(result).__name__,
            msg=str(result),
        )
        raise result

    def abandon(self, plan: Plan) -> None:
        """The leader went away (cancelled, or its transport failed inside an auth flow):
        free the slot; waiters plan again and one of them leads."""
        flight = plan.flight
        if flight is None:
            return
        with self._lock:
            if self._flight is flight:
                self._flight = None
        flight.finish(abandoned=True)

    def defer(self, plan: Plan) -> Token:
        """A refresh another process is doing (its cache lock is taken): keep the valid token,
        free the slot, and look again shortly (the next look re-reads the shared cache)."""
        flight = plan.flight
        assert flight is not None  # noqa: S101 - refresh leaders only
        assert plan.token is not None  # noqa: S101
        with self._lock:
            if self._flight is flight:
                self._flight = None
            now = self.clock()
            left = self._make_entry(plan.token).expire_at - now
            self._next_refresh_try = now + min(1.0, max(0.05, left / 10))
        flight.finish(abandoned=True)
        _log.debug("another process is refreshing the shared token; using the valid one")
        return plan.token

    def refresh_due(self) -> bool:
        """True when the token in memory is valid but past its refresh point."""
        entry = self.entry
        if entry is None:
            return False
        now = self.clock()
        return entry.refresh_at <= now < entry.expire_at

    def usable_from_cache(self, cached: Any) -> Token | None:
        """``cached`` if it is a valid token this engine may adopt (stale is fine), else None."""
        return self._usable_from_cache(cached, refresh=False)

    def _adopt_locked(self, token: Token) -> None:
        self.entry = self._make_entry(token)
        self._refresh_failures = 0
        self._next_refresh_try = 0.0

    def adopt(self, token: Token) -> None:
        """Use ``token`` from now on (e.g. one read from a shared cache)."""
        with self._lock:
            self._adopt_locked(token)

    def _refresh_failed_locked(self, token: Token) -> None:
        now = self.clock()
        delay = self.refresh_backoff.backoff(self._refresh_failures)
        if self._last_retry_after is not None:
            delay = max(delay, min(self._last_retry_after, self.retry.retry_after_cap))
        entry = self._make_entry(token)
        # Leave room for at least one more attempt before the token expires.
        delay = min(delay, max(1.0, (entry.expire_at - now) / 2))
        self._refresh_failures += 1
        self._next_refresh_try = now + delay

    @staticmethod
    def follower_result(flight: Flight) -> Token | None:
        """After waiting: the token, ``None`` to plan again, or raise the leader's error."""
        if flight.token is not None:
            return flight.token
        if flight.abandoned or flight.refresh or flight.error is None:
            return None
        error = flight.error
        if isinstance(error, PingOneError):
            raise copy.copy(error) from error
        raise error

    def invalidate(self) -> None:
        """Forget the in-memory token (the caller deletes it from the cache, then calls
        ``invalidated``)."""
        with self._lock:
            self._generation += 1
            if self.entry is not None:
                self._rejected.append(self.entry.token.access_token)
            self.entry = None

    def invalidated(self) -> None:
        """The cache entry is deleted too: a fetch that read it meanwhile must not keep it."""
        with self._lock:
            self._generation += 1

    def invalidate_if(self, token: Token) -> bool:
        """Compare-and-invalidate: drop the in-memory token only if it is ``token``."""
        with self._lock:
            entry = self.entry
            if entry is not None and entry.token.access_token == token.access_token:
                self._rejected.append(token.access_token)
                self.entry = None
                return True
            return False

    def rotate_secret(self, secret: Secret) -> None:
        """Use ``secret`` for the next token request (the cached token stays)."""
        register_held_secret(secret, basic_client_id=self.client_id)
        with self._lock:
            self.client_secret = secret

    # -- the fetch ---------------------------------------------------------------------

    def _usable_from_cache(self, cached: Any, *, refresh: bool) -> Token | None:
        if not isinstance(cached, Token):
            return None
        current = self.current_token
        if current is not None and cached.access_token == current.access_token:
            return None  # the cache holds what we hold: not news
        if any(cached.access_token == bad for bad in self._rejected):
            return None  # a token a resource server already refused
        entry = self._make_entry(cached)
        now = self.clock()
        if now >= entry.expire_at:
            return None
        if refresh and now >= entry.refresh_at:
            return None
        return cached

    def _discover(self) -> Generator[Action, Any, str]:
        assert self.issuer is not None  # noqa: S101 - only called without a token endpoint
        url = discovery_url(self.issuer, allow_loopback_http=self.allow_loopback_http)
        outcome = yield SendRequest(
            TokenRequest("GET", url, {"Accept": "application/json"}, b""), purpose="discovery"
        )
        if isinstance(outcome, TransportFailure):
            raise TokenEndpointUnreachableError(
                f"could not reach {url} to discover the token endpoint ({outcome.error_type})",
                hint="check the issuer= URL and network access",
            )
        if isinstance(outcome, HttpResult) and is_redirect(outcome.status_code):
            raise redirect_error(
                outcome.status_code, outcome.headers, endpoint=url, what="OIDC discovery document"
            )
        if not isinstance(outcome, HttpResult) or outcome.status_code != 200:
            status = outcome.status_code if isinstance(outcome, HttpResult) else None
            raise ConfigurationError(
                f"OIDC discovery at {url} answered HTTP {status}",
                status_code=status,
                hint="check the issuer= URL, or pass token_endpoint= explicitly",
            )
        endpoints = parse_discovery_document(
            self.issuer,
            outcome.body,
            allow_loopback_http=self.allow_loopback_http,
            api_base_url=self.api_base_url,
        )
        self.discovered = endpoints
        self.token_endpoint = endpoints.token
        log_event(EventKind.DISCOVERED, "discovered", logger="auth", token_endpoint=endpoints.token)
        return endpoints.token

    def _build(self, endpoint: str) -> Callable[[float], TokenRequest]:
        def build(now: float) -> TokenRequest:
            return build_token_request(
                endpoint,
                self.client_id,
                self.client_secret,
                self.scopes,
                auth_method=self.auth_method,
                private_key=self.private_key,
                key_id=self.key_id,
                now=now,
            )

        return build

    def _note_retry_after(self, seconds: float) -> None:
        self._last_retry_after = seconds

    def fetch_flow(self, plan: Plan) -> Flow:
        """The leader's work: re-read the cache, discover, request (with retries), check
        scopes, store. A refresh makes one attempt: the valid token is the fallback."""
        refresh = plan.kind == "refresh"
        cached = yield CacheRead(self.cache_key)
        from_cache = self._usable_from_cache(cached, refresh=refresh)
        if from_cache is not None:
            _log.debug("using a token another process or instance stored in the cache")
            if plan.flight is not None:
                plan.flight.from_cache = True
            return from_cache
        endpoint = self.token_endpoint
        if endpoint is None:
            endpoint = yield from self._discover()
        self._last_retry_after = None
        policy = NO_RETRY if refresh else self.retry
        reloaded = False
        while True:
            try:
                token = yield from request_token_flow(
                    self._build(endpoint),
                    endpoint=endpoint,
                    policy=policy,
                    clock=self.clock,
                    on_retry_after=self._note_retry_after,
                )
            except TokenRequestError as exc:
                if exc.error != "invalid_client" or not self.can_reload_secret or reloaded:
                    raise
                reloaded = True
                fresh = yield ReloadSecret()
                if not fresh or Secret(fresh) == self.client_secret:
                    raise
                self.rotate_secret(Secret(fresh))
                _log.info("invalid_client: the secret provider had a new secret; retrying once")
                continue
            break
        self._check_scopes(token, endpoint)
        yield CacheWrite(self.cache_key, token)
        log_event(
            EventKind.CACHE,
            "stored token",
            logger="cache",
            key=self.cache_key,
            ttl=f"{token.expires_in}s",
        )
        if refresh:
            log_event(EventKind.REFRESH, "auto-refreshed token near expiry", logger="auth")
        return token

    def _check_scopes(self, token: Token, endpoint: str) -> None:
        if not token.scope_returned or token.scopes == token.requested_scopes:
            return
        missing = sorted(token.missing_scopes)
        log_event(
            EventKind.RECEIVED,
            "granted scopes differ from requested",
            level=30,
            logger="token",
            requested=sorted(token.requested_scopes),
            granted=sorted(token.scopes),
            missing=missing,
        )
        if self.strict_scopes and missing:
            raise ScopeError(
                f"token endpoint {endpoint} did not grant scope(s) {', '.join(missing)}",
                hint="grant the scopes to the application, or pass strict_scopes=False",
            )
