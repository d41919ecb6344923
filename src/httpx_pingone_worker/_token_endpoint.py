"""The client-credentials token endpoint: sans-IO request/response, fetch engine, thin shells.

Three layers, the lower ones free of I/O and of httpx types (an httpx2 adapter reuses them):

1. :func:`build_token_request` / :func:`parse_token_response` / :func:`error_from_response`:
   pure functions from settings to a :class:`TokenRequest` and from status, headers and
   body to a :class:`Token` or an exception of the :mod:`~httpx_pingone_worker._core._errors` tree.
2. :func:`request_token_flow` and :class:`TokenEngine`: generators that *yield actions*
   (:class:`SendRequest`, :class:`Sleep`, :class:`CacheRead`, :class:`CacheWrite`,
   :class:`ReloadSecret`) and receive their outcomes. The engine also holds the per-instance
   token state and the single-flight bookkeeping (:class:`Flight`), with a clock passed in.
3. Drivers that execute the actions with an httpx (or httpx2) client (here) or inside an auth
   flow (``_auth.py``; library types come from :mod:`~httpx_pingone_worker._core._httplib`), plus
   :func:`request_client_credentials_token` and its async twin.

Parsing is strict: ``access_token`` a non-empty string, ``token_type`` ``Bearer``
(case-insensitive), ``expires_in`` a positive integer (a digit string or an integral float
is accepted) no larger than :data:`MAX_EXPIRES_IN`, ``scope`` optional. A rejected response
is described, never quoted.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar
from urllib.parse import urlencode

import httpx

from ._cache import cache_key as make_cache_key
from ._client_auth import client_auth
from ._core._errors import (
    ConfigurationError,
    PingOneError,
    ScopeError,
    TokenEndpointUnreachableError,
    TokenError,
    TokenProtocolError,
    TokenRequestError,
)
from ._core._httplib import HTTPX, HttpLib
from ._core._logging import EventKind, get_logger, log_event, redact, register_secret
from ._core._regions import Endpoints, check_secure_url, discovery_url, parse_discovery_document
from ._core._retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy, retry_after_from_headers
from ._core._secrets import Secret
from ._core._token import DEFAULT_EXPIRY_MARGIN, Token, normalize_scopes
from ._credentials import AuthMethod, parse_auth_method

__all__ = [
    "MAX_EXPIRES_IN",
    "CacheRead",
    "CacheWrite",
    "Flight",
    "HttpResult",
    "Plan",
    "ReloadSecret",
    "SendRequest",
    "Sleep",
    "TokenEngine",
    "TokenRequest",
    "TransportFailure",
    "arequest_client_credentials_token",
    "build_token_request",
    "error_from_response",
    "parse_token_response",
    "request_client_credentials_token",
    "request_token_flow",
]

#: Largest ``expires_in`` accepted: 30 days, PingOne's documented maximum token lifetime
#: (2,592,000 s). Anything larger is a unit mistake (milliseconds) or a broken server.
MAX_EXPIRES_IN = 2_592_000

_log = get_logger("token")

_T = TypeVar("_T")

_HINTS = {
    "invalid_client": "check the client id and secret, and that the app's token endpoint "
    "auth method matches auth_method",
    "invalid_scope": "request only scopes the app is granted (worker apps usually need none)",
    "unauthorized_client": "enable the CLIENT_CREDENTIALS grant type on the application",
    "invalid_request": "the token request was malformed; check auth_method and the endpoint",
    "unsupported_grant_type": "the server does not allow client_credentials for this app",
    "access_denied": "the server refused the app; check that it is enabled",
}


# --- sans-IO values ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """An HTTP request to send, transport-neutral. Headers and body may hold secrets."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    requested_scopes: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return (
            f"TokenRequest({self.method} {self.url}, headers={sorted(self.headers)!r}, "
            f"body=<{len(self.body)} bytes>)"
        )


@dataclass(frozen=True, slots=True)
class HttpResult:
    """An HTTP response, transport-neutral (``headers`` keys in any case)."""

    status_code: int
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        """Case-insensitive header look-up."""
        return _header(self.headers, name)

    def __repr__(self) -> str:
        return f"HttpResult(status_code={self.status_code}, body=<{len(self.body)} bytes>)"


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """The request never got a response: connect error, timeout, broken connection."""

    error_type: str
    timeout: bool = False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is not None:
        return value
    lower = name.lower()
    for key, val in headers.items():
        if key.lower() == lower:
            return val
    return None


# --- request building -------------------------------------------------------------------


def build_token_request(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None = None,
    *,
    auth_method: AuthMethod | str = "client_secret_basic",
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    now: float,
) -> TokenRequest:
    """The client-credentials ``POST`` for ``endpoint`` (RFC 6749 §4.4).

    Form: ``grant_type=client_credentials``, ``scope`` (sorted, space separated) when
    scopes are given, plus the client-authentication fields of ``auth_method``. JWT
    assertions get a fresh ``jti`` per call, so build a new request per attempt.
    """
    if not isinstance(client_id, str) or not client_id.strip():
        raise ConfigurationError("client_id is empty", hint="pass the worker app's client id")
    requested = normalize_scopes(scopes)
    parts = client_auth(
        parse_auth_method(auth_method),
        client_id=client_id,
        client_secret=client_secret,
        audience=endpoint,
        now=now,
        private_key=private_key,
        key_id=key_id,
    )
    form: dict[str, str] = {"grant_type": "client_credentials"}
    if requested:
        form["scope"] = " ".join(sorted(requested))
    form.update(parts.form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        **parts.headers,
    }
    return TokenRequest(
        method="POST",
        url=endpoint,
        headers=headers,
        body=urlencode(form).encode("ascii"),
        requested_scopes=requested,
    )


# --- response parsing -------------------------------------------------------------------


def _describe_body(body: bytes) -> str:
    stripped = body.lstrip()
    if not stripped:
        return "an empty body"
    if stripped[:1] == b"<":
        return "an HTML/XML page"
    return "a body that is not JSON"


def _load_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


_NOT_JSON = object()


def _short(text: str, limit: int = 200) -> str:
    text = redact(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_response(
    status_code: int, headers: Mapping[str, str], body: bytes, *, endpoint: str
) -> TokenError:
    """The exception for a non-200 token endpoint answer (not raised, returned)."""
    correlation_id = _header(headers, "correlation-id")
    doc = _load_json(body)
    if isinstance(doc, Mapping) and isinstance(doc.get("error"), str) and doc["error"]:
        error = doc["error"]
        raw_desc = doc.get("error_description")
        description = _short(raw_desc) if isinstance(raw_desc, str) and raw_desc else None
        message = f"token endpoint {endpoint} refused the request: {_short(error, 64)}"
        if description:
            message += f" ({description})"
        message += f" [HTTP {status_code}]"
        return TokenRequestError(
            message,
            error=error,
            error_description=description,
            status_code=status_code,
            correlation_id=correlation_id,
            hint=_HINTS.get(error),
        )
    what = "a JSON body without an 'error' field" if doc is not _NOT_JSON else _describe_body(body)
    return TokenProtocolError(
        f"token endpoint {endpoint} answered HTTP {status_code} with {what}",
        status_code=status_code,
        correlation_id=correlation_id,
        hint="check that the URL is the OAuth token endpoint (…/as/token) and that no proxy "
        "rewrites the response",
    )


def _parse_expires_in(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    return None


def parse_token_response(
    status_code: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    endpoint: str,
    requested_scopes: Iterable[str] = (),
    now: float,
) -> Token:
    """Parse a token endpoint answer strictly into a :class:`Token`.

    Non-200 answers raise :func:`error_from_response`'s error; a 200 that is not a valid
    token response raises :class:`TokenProtocolError` naming the bad field (not its value).
    The access token is registered for log redaction before anything else happens.
    """
    if status_code != 200:
        raise error_from_response(status_code, headers, body, endpoint=endpoint)
    correlation_id = _header(headers, "correlation-id")

    def bad(problem: str, hint: str | None = None) -> TokenProtocolError:
        return TokenProtocolError(
            f"token endpoint {endpoint} sent an unusable token response: {problem}",
            status_code=status_code,
            correlation_id=correlation_id,
            hint=hint,
        )

    doc = _load_json(body)
    if doc is _NOT_JSON:
        raise bad(_describe_body(body), "check that the URL is the OAuth token endpoint")
    if not isinstance(doc, Mapping):
        raise bad("the JSON is not an object")
    access_token = doc.get("access_token")
    if isinstance(access_token, str) and access_token.strip():
        register_secret(access_token)
    else:
        raise bad("access_token is missing, empty or not a string")
    token_type = doc.get("token_type")
    if not isinstance(token_type, str) or token_type.strip().lower() != "bearer":
        shown = (
            repr(token_type)
            if isinstance(token_type, str) and len(token_type) <= 20 and token_type.isalnum()
            else "missing or not a string"
            if not isinstance(token_type, str)
            else "not 'Bearer'"
        )
        raise bad(f"token_type is {shown}; only Bearer tokens are supported")
    raw_expires = doc.get("expires_in")
    if raw_expires is None:
        raise bad("expires_in is missing", "the server must say how long the token lives")
    expires_in = _parse_expires_in(raw_expires)
    if expires_in is None:
        raise bad("expires_in is not an integer number of seconds")
    if expires_in <= 0:
        raise bad(f"expires_in is {expires_in}; it must be positive")
    if expires_in > MAX_EXPIRES_IN:
        raise bad(
            f"expires_in is {expires_in}s, more than {MAX_EXPIRES_IN}s (30 days)",
            "PingOne token lifetimes are 300..2592000 s; is the server sending milliseconds?",
        )
    requested = frozenset(requested_scopes)
    raw_scope = doc.get("scope")
    if raw_scope is None:
        granted, returned = requested, False  # RFC 6749 §5.1: absent = as requested
    elif isinstance(raw_scope, str):
        granted, returned = normalize_scopes(raw_scope), True
    else:
        raise bad("scope is not a space-separated string")
    return Token(
        access_token=Secret(access_token),
        token_type="Bearer",
        expires_in=expires_in,
        obtained_at=now,
        scopes=granted,
        requested_scopes=requested,
        scope_returned=returned,
    )


# --- actions: what the sans-IO flows ask their driver to do -----------------------------


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Send ``request``; reply with :class:`HttpResult` or :class:`TransportFailure`."""

    request: TokenRequest
    purpose: Literal["token", "discovery"] = "token"


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` (sync or async sleep); reply with ``None``."""

    seconds: float


@dataclass(frozen=True, slots=True)
class CacheRead:
    """Read the cache entry ``key``; reply with a :class:`Token` or ``None``."""

    key: str


@dataclass(frozen=True, slots=True)
class CacheWrite:
    """Store ``token`` under ``key``; reply with ``None``."""

    key: str
    token: Token


@dataclass(frozen=True, slots=True)
class ReloadSecret:
    """Ask the secret provider for the current secret; reply with it (or ``None``)."""


Action: TypeAlias = SendRequest | Sleep | CacheRead | CacheWrite | ReloadSecret
Outcome: TypeAlias = HttpResult | TransportFailure | Token | str | Secret | None
Flow: TypeAlias = Generator[Action, Any, Token]


def request_token_flow(
    build: Callable[[float], TokenRequest],
    *,
    endpoint: str,
    policy: RetryPolicy,
    clock: Callable[[], float],
    on_retry_after: Callable[[float], None] | None = None,
) -> Flow:
    """Request a token, retrying transport failures and retryable statuses under ``policy``.

    OAuth errors with other statuses (``invalid_client`` …) and malformed 200s are raised at
    once. When attempts or budget run out, :class:`TokenEndpointUnreachableError` is raised
    with the last status/error and the last error chained as ``__cause__``.
    """
    state = policy.start(now=clock())
    while True:
        request = build(clock())
        log_event(
            EventKind.REQUESTING,
            "requesting token",
            logger="token",
            scopes=sorted(request.requested_scopes),
            attempt=state.attempts,
        )
        outcome = yield SendRequest(request)
        now = clock()
        retry_after: float | None = None
        if isinstance(outcome, TransportFailure):
            last: TokenError = TokenEndpointUnreachableError(
                f"could not reach the token endpoint {endpoint} ({outcome.error_type})",
                hint="check network access, proxies and the region/auth_base_url setting",
            )
        elif isinstance(outcome, HttpResult):
            if outcome.status_code == 200 or not policy.is_retryable_status(outcome.status_code):
                token = parse_token_response(
                    outcome.status_code,
                    outcome.headers,
                    outcome.body,
                    endpoint=endpoint,
                    requested_scopes=request.requested_scopes,
                    now=now,
                )
                log_event(
                    EventKind.RECEIVED,
                    "received",
                    logger="token",
                    expires=f"{token.expires_in}s",
                    scopes=sorted(token.scopes),
                    fingerprint=token.fingerprint,
                )
                return token
            last = error_from_response(
                outcome.status_code, outcome.headers, outcome.body, endpoint=endpoint
            )
            retry_after = retry_after_from_headers(outcome.headers, now=now)
            if retry_after is not None and on_retry_after is not None:
                on_retry_after(retry_after)
        else:  # pragma: no cover - a driver bug, not a server problem
            raise TypeError(f"unexpected outcome {type(outcome).__name__} for SendRequest")
        delay = state.next_delay(now=now, retry_after=retry_after)
        if delay is None:
            if state.attempts == 1 and policy.max_attempts == 1:
                raise last
            raise TokenEndpointUnreachableError(
                f"giving up on the token endpoint {endpoint} after {state.attempts} "
                f"attempt(s): {last.message}",
                error=last.error,
                error_description=last.error_description,
                status_code=last.status_code,
                correlation_id=last.correlation_id,
                # A network failure keeps its own hint (network, proxies, region); a server
                # that kept answering 429/5xx is worth another try later.
                hint=(
                    last.hint
                    if last.status_code is None and last.hint
                    else "the endpoint kept failing within the retry budget; try again later"
                ),
            ) from last
        _log.debug("token request failed (%s); retrying in %.2fs", type(last).__name__, delay)
        yield Sleep(delay)


# --- the engine: per-instance token state and single-flight -----------------------------


class Flight:
    """One in-flight token fetch that other callers can wait for (threads, asyncio, trio)."""

    __slots__ = ("_callbacks", "_event", "_lock", "abandoned", "done", "error", "refresh", "token")

    def __init__(self, *, refresh: bool) -> None:
        self.refresh = refresh
        self.token: Token | None = None
        self.error: BaseException | None = None
        self.abandoned = False
        self.done = False
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def finish(
        self,
        *,
        token: Token | None = None,
        error: BaseException | None = None,
        abandoned: bool = False,
    ) -> None:
        """Publish the result and wake every waiter."""
        with self._lock:
            if self.done:
                return
            self.token, self.error, self.abandoned = token, error, abandoned
            self.done = True
            callbacks, self._callbacks = self._callbacks, []
        self._event.set()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001, PERF203 - a dead loop must not break the others
                _log.debug("could not wake a waiter whose event loop is gone")

    def wait(self, timeout: float | None) -> bool:
        """Block the calling thread until done; False on timeout."""
        return self._event.wait(timeout)

    def _add_callback(self, callback: Callable[[], None]) -> bool:
        with self._lock:
            if self.done:
                return False
            self._callbacks.append(callback)
            return True

    async def wait_async(self, timeout: float) -> bool:
        """Wait without blocking the event loop (asyncio or trio, any thread).

        Returns False when ``timeout`` seconds passed first.
        """
        if self.done:
            return True
        if current_async_library() == "trio":
            import trio

            event = trio.Event()
            trio_token = trio.lowlevel.current_trio_token()

            def wake_trio() -> None:
                with contextlib.suppress(trio.RunFinishedError):
                    trio_token.run_sync_soon(event.set)

            if self._add_callback(wake_trio):
                with trio.move_on_after(timeout):
                    await event.wait()
            return self.done
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not future.done():
                future.set_result(None)

        def wake_asyncio() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                loop.call_soon_threadsafe(resolve)

        if self._add_callback(wake_asyncio):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(future, timeout)
        return self.done


def current_async_library() -> str:
    """``"asyncio"`` or ``"trio"`` (via sniffio when installed)."""
    try:
        import sniffio
    except ImportError:  # httpx 0.28 and httpx2 no longer pull it in; trio always does
        return "asyncio"
    return sniffio.current_async_library()


async def async_sleep(seconds: float) -> None:
    """Sleep on the running event loop (asyncio or trio), without anyio's backend import."""
    if current_async_library() == "trio":
        import trio

        await trio.sleep(seconds)
    else:
        await asyncio.sleep(seconds)


async def run_in_thread(func: Callable[[], Any]) -> Any:
    """Run a blocking callable in a worker thread of the running loop (asyncio or trio)."""
    if current_async_library() == "trio":
        import trio

        return await trio.to_thread.run_sync(func)
    return await asyncio.to_thread(func)


@dataclass(frozen=True, slots=True)
class _Entry:
    token: Token
    refresh_at: float
    expire_at: float
    header: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What a caller must do next: ``use`` a token, ``wait`` for a flight, or lead a
    ``fetch`` (no valid token) or a ``refresh`` (``token`` still valid, fall back to it)."""

    kind: Literal["use", "wait", "fetch", "refresh"]
    token: Token | None = None
    flight: Flight | None = None
    header: str = ""


class TokenEngine:
    """Per-instance token state, freshness decisions and single-flight (sans-IO).

    The engine never blocks and never does I/O: :meth:`plan` tells a caller what to do,
    :meth:`fetch_flow` yields actions for the caller's driver, and :meth:`complete` /
    :meth:`abandon` publish the result. A ``threading.Lock`` guards the few fields and is
    never held across I/O, so sync threads, asyncio and trio tasks can share one engine.
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: Secret | None,
        scopes: frozenset[str],
        auth_method: AuthMethod,
        private_key: Secret | None,
        key_id: str | None,
        token_endpoint: str | None,
        issuer: str | None,
        cache_key: str,
        refresh_ratio: float,
        clock: Callable[[], float],
        retry: RetryPolicy = DEFAULT_RETRY,
        expiry_margin: float = DEFAULT_EXPIRY_MARGIN,
        strict_scopes: bool = False,
        can_reload_secret: bool = False,
        allow_loopback_http: bool = False,
        api_base_url: str | None = None,
        refresh_backoff: RetryPolicy | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.scopes = scopes
        self.auth_method = auth_method
        self.private_key = private_key
        self.key_id = key_id
        self.token_endpoint = token_endpoint
        self.issuer = issuer
        self.cache_key = cache_key
        self.refresh_ratio = refresh_ratio
        self.expiry_margin = expiry_margin
        self.clock = clock
        self.retry = retry
        self.strict_scopes = strict_scopes
        self.can_reload_secret = can_reload_secret
        self.allow_loopback_http = allow_loopback_http
        self.api_base_url = api_base_url
        self.refresh_backoff = refresh_backoff or RetryPolicy(
            max_attempts=1_000_000, backoff_base=5.0, backoff_max=60.0, total_budget=1e12
        )
        self.discovered: Endpoints | None = None
        #: Read without the lock on the hot path (an attribute read is atomic).
        self.entry: _Entry | None = None
        self._lock = threading.Lock()
        self._flight: Flight | None = None
        self._refresh_failures = 0
        self._next_refresh_try = 0.0
        self._last_retry_after: float | None = None
        # Tokens invalidated here (401, invalidate()): never re-adopted from a shared cache.
        self._rejected: deque[Secret] = deque(maxlen=8)

    # -- state -------------------------------------------------------------------------

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

    def plan(self) -> Plan:
        """Decide, under the lock, what the caller does next."""
        with self._lock:
            now = self.clock()
            entry = self.entry
            if entry is not None:
                if now < entry.refresh_at:
                    return Plan("use", entry.token, header=entry.header)
                if now < entry.expire_at:
                    if self._flight is None and now >= self._next_refresh_try:
                        self._flight = Flight(refresh=True)
                        return Plan("refresh", entry.token, self._flight, entry.header)
                    return Plan("use", entry.token, header=entry.header)
            if self._flight is not None:
                return Plan("wait", flight=self._flight)
            self._flight = Flight(refresh=False)
            return Plan("fetch", flight=self._flight)

    def complete(self, plan: Plan, result: Token | BaseException) -> Token:
        """Publish a leader's result; return the token the leader should use, or raise."""
        flight = plan.flight
        assert flight is not None  # noqa: S101 - only leaders complete
        with self._lock:
            if self._flight is flight:
                self._flight = None
            if isinstance(result, Token):
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
        """Forget the in-memory token (the caller deletes it from the cache)."""
        with self._lock:
            if self.entry is not None:
                self._rejected.append(self.entry.token.access_token)
            self.entry = None

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
        register_secret(secret)
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


# --- drivers over an httpx(-compatible) client ------------------------------------------


def to_httpx_request(request: TokenRequest, lib: HttpLib = HTTPX) -> Any:
    """The request object of ``lib`` (default httpx: an :class:`httpx.Request`)."""
    return lib.Request(
        request.method, request.url, headers=dict(request.headers), content=request.body
    )


def transport_failure(exc: BaseException, lib: HttpLib = HTTPX) -> TransportFailure:
    """Describe a transport exception by type only (messages may hold URLs/data)."""
    return TransportFailure(type(exc).__name__, timeout=lib.is_timeout(exc))


def _lib_of(client: object) -> HttpLib:
    try:
        return HttpLib.of(client)
    except TypeError:  # a duck-typed client: assume httpx
        return HTTPX


@dataclass(frozen=True, slots=True)
class FlowDone:
    """Last item of an async driver: the flow's token (async generators cannot return one)."""

    token: Token


def drive_flow(
    flow: Flow,
    lib: HttpLib = HTTPX,
    *,
    cache_get: Callable[[str], Token | None] | None = None,
    cache_set: Callable[[str, Token], None] | None = None,
    reload_secret: Callable[[], str | Secret | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Generator[Any, Any, Token]:
    """Execute a flow's actions, yielding each request of ``lib`` and receiving its response.

    The one sync action dispatcher: inside an auth flow the requests go to httpx, elsewhere
    :func:`send_through` sends them with a client. The response is read here; the library's
    transport error, raised by the read or thrown in at the yield, becomes a
    :class:`TransportFailure` for the flow. A missing callback answers ``None``.
    """
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            token: Token = stop.value
            return token
        outcome = None
        if isinstance(action, SendRequest):
            try:
                response = yield to_httpx_request(action.request, lib)
                response.read()
            except lib.TransportError as exc:
                outcome = transport_failure(exc, lib)
            else:
                outcome = HttpResult(response.status_code, dict(response.headers), response.content)
        elif isinstance(action, Sleep):
            sleep(action.seconds)
        elif isinstance(action, CacheRead):
            outcome = cache_get(action.key) if cache_get else None
        elif isinstance(action, CacheWrite):
            if cache_set:
                cache_set(action.key, action.token)
        elif isinstance(action, ReloadSecret):
            outcome = reload_secret() if reload_secret else None


async def adrive_flow(
    flow: Flow,
    lib: HttpLib = HTTPX,
    *,
    cache_get: Callable[[str], Awaitable[Token | None]] | None = None,
    cache_set: Callable[[str, Token], Awaitable[None]] | None = None,
    reload_secret: Callable[[], Awaitable[str | Secret | None]] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = async_sleep,
) -> AsyncGenerator[Any, Any]:
    """Async twin of :func:`drive_flow`: yields requests, then one :class:`FlowDone`."""
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            yield FlowDone(stop.value)
            return
        outcome = None
        if isinstance(action, SendRequest):
            try:
                response = yield to_httpx_request(action.request, lib)
                await response.aread()
            except lib.TransportError as exc:
                outcome = transport_failure(exc, lib)
            else:
                outcome = HttpResult(response.status_code, dict(response.headers), response.content)
        elif isinstance(action, Sleep):
            await sleep(action.seconds)
        elif isinstance(action, CacheRead):
            outcome = await cache_get(action.key) if cache_get else None
        elif isinstance(action, CacheWrite):
            if cache_set:
                await cache_set(action.key, action.token)
        elif isinstance(action, ReloadSecret):
            outcome = await reload_secret() if reload_secret else None


def send_through(
    get_client: Callable[[], Any], gen: Generator[Any, Any, _T], lib: HttpLib = HTTPX
) -> _T:
    """Run a request-yielding generator (e.g. :func:`drive_flow`) with a sync client.

    ``get_client`` is called once, when the first request is due. A transport error of
    ``lib`` is thrown into the generator; each response is closed once the generator has
    taken it.
    """
    try:
        request = next(gen)
    except StopIteration as stop:
        first: _T = stop.value
        return first
    client = get_client()
    while True:
        try:
            response = client.send(request)
        except lib.TransportError as exc:
            try:
                request = gen.throw(exc)
            except StopIteration as stop:
                thrown: _T = stop.value
                return thrown
            continue
        try:
            request = gen.send(response)
        except StopIteration as stop:
            result: _T = stop.value
            return result
        finally:
            response.close()


async def asend_through(
    client: Any | None, agen: AsyncGenerator[Any, Any], lib: HttpLib = HTTPX
) -> Token:
    """Run a request-yielding async generator (e.g. :func:`adrive_flow`) with an async client.

    Returns the token of the first :class:`FlowDone` it yields. With ``client`` None, a
    short-lived client of ``lib`` is made when the first request is due (closed here). A
    transport error of ``lib`` is thrown into the generator, which is closed at the end.
    """
    own: Any = None
    try:
        response: Any = None
        error: Exception | None = None
        while True:
            if error is not None:
                item = await agen.athrow(error)
                error = None
            else:
                try:
                    item = await agen.asend(response)
                finally:
                    if response is not None:
                        await response.aclose()
                response = None
            if isinstance(item, FlowDone):
                return item.token
            if client is None:
                own = client = lib.AsyncClient(timeout=10.0)
            try:
                response = await client.send(item)
            except lib.TransportError as exc:
                error = exc
    finally:
        await agen.aclose()
        if own is not None:
            await own.aclose()


def run_sync_flow(
    flow: Flow,
    client: httpx.Client | Any,
    *,
    cache_get: Callable[[str], Token | None] | None = None,
    cache_set: Callable[[str, Token], None] | None = None,
    reload_secret: Callable[[], str | Secret | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Token:
    """Execute a flow's actions with a sync client of httpx (or httpx2)."""
    lib = _lib_of(client)
    gen = drive_flow(
        flow,
        lib,
        cache_get=cache_get,
        cache_set=cache_set,
        reload_secret=reload_secret,
        sleep=sleep,
    )
    return send_through(lambda: client, gen, lib)


async def run_async_flow(
    flow: Flow,
    client: httpx.AsyncClient | Any,
    *,
    sleep: Callable[[float], Any] | None = None,
) -> Token:
    """Execute a flow's HTTP and sleep actions with an async client (no cache)."""
    lib = _lib_of(client)
    return await asend_through(client, adrive_flow(flow, lib, sleep=sleep or async_sleep), lib)


# --- public shells ----------------------------------------------------------------------


def _standalone_flow(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None,
    *,
    auth_method: str,
    private_key: str | bytes | Secret | None,
    key_id: str | None,
    clock: Callable[[], float],
    retry: RetryPolicy,
    allow_loopback_http: bool,
) -> Flow:
    url = check_secure_url(endpoint, what="token endpoint", allow_loopback_http=allow_loopback_http)
    method = parse_auth_method(auth_method)
    register_secret(client_secret)
    requested = normalize_scopes(scopes)

    def build(now: float) -> TokenRequest:
        return build_token_request(
            url,
            client_id,
            client_secret,
            requested,
            auth_method=method,
            private_key=private_key,
            key_id=key_id,
            now=now,
        )

    build(clock())  # fail fast on configuration errors, before any I/O
    return request_token_flow(build, endpoint=url, policy=retry, clock=clock)


def request_client_credentials_token(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None = None,
    *,
    auth_method: str = "client_secret_basic",
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    allow_loopback_http: bool = False,
) -> Token:
    """Get one client-credentials token from ``endpoint`` (no caching).

    Uses ``client`` when given (its transport, proxies and TLS settings apply), else a
    short-lived client with ``timeout``. Retries 408/429/5xx and transport failures under
    ``retry``. Raises :class:`TokenRequestError` (OAuth error), :class:`TokenProtocolError`
    (unusable answer) or :class:`TokenEndpointUnreachableError` (network, retries spent).
    """
    flow = _standalone_flow(
        endpoint,
        client_id,
        client_secret,
        scopes,
        auth_method=auth_method,
        private_key=private_key,
        key_id=key_id,
        clock=clock or time.time,
        retry=retry,
        allow_loopback_http=allow_loopback_http,
    )
    if client is not None:
        return run_sync_flow(flow, client)
    with httpx.Client(timeout=timeout) as own:
        return run_sync_flow(flow, own)


async def arequest_client_credentials_token(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None = None,
    *,
    auth_method: str = "client_secret_basic",
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    client: httpx.AsyncClient | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    allow_loopback_http: bool = False,
) -> Token:
    """Async twin of :func:`request_client_credentials_token` (asyncio and trio)."""
    flow = _standalone_flow(
        endpoint,
        client_id,
        client_secret,
        scopes,
        auth_method=auth_method,
        private_key=private_key,
        key_id=key_id,
        clock=clock or time.time,
        retry=retry,
        allow_loopback_http=allow_loopback_http,
    )
    if client is not None:
        return await run_async_flow(flow, client)
    async with httpx.AsyncClient(timeout=timeout) as own:
        return await run_async_flow(flow, own)


def default_cache_key(
    token_endpoint: str | None, issuer: str | None, client_id: str, scopes: Iterable[str]
) -> str:
    """Cache key from the issuer (when discovering) or the token endpoint."""
    return make_cache_key(issuer or token_endpoint or "", client_id, scopes)
