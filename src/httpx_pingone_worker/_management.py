"""PingOne Management (Platform) API client: sync and async shells around one sans-IO core.

- :class:`PingOneClient` / :class:`AsyncPingOneClient` wrap an ``httpx.Client`` /
  ``httpx.AsyncClient`` with the region's API base URL, a ``User-Agent``, timeouts, a
  :class:`RateLimiter` and retries of 429/502/503/504 (``Retry-After`` honoured, capped).
- Errors become :class:`~httpx_pingone_worker.ManagementApiError` with PingOne's ``code``,
  ``details`` and ``Correlation-Id``; a 403 names the role that is likely missing.
- :meth:`PingOneClient.paginate` follows ``_links.next.href`` lazily and stops on a repeated
  next link (logged as a warning) so a misbehaving server cannot loop forever.

Everything that decides (paths, headers, retry delays, paging, error mapping) is a pure
function or a small state object shared by both shells.
"""

from __future__ import annotations

import contextlib
import functools
import json as _json
import random
import threading
import time
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, Protocol, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from ._errors import ConfigurationError, ManagementApiError
from ._httplib import HTTPX, HttpLib
from ._logging import get_logger, register_secret
from ._regions import Region, check_secure_url
from ._retry import RetryPolicy, RetryState
from ._secrets import Secret
from ._token import Token
from ._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

__all__ = [
    "API_RETRY",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "Application",
    "AsyncPingOneClient",
    "Environment",
    "Group",
    "Page",
    "PingOneClient",
    "Population",
    "RateLimiter",
    "Role",
    "RoleAssignment",
    "User",
    "create_pingone_client",
]

USER_AGENT = f"httpx-pingone-worker/{__version__}"
#: Connect fast, allow PingOne's slower list endpoints time to answer.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Requests per minute of the default limiter: below the 35 % of a 600/min license that
#: one IP address may use by default (PINGONE.md), so one process never trips the limit.
DEFAULT_RATE_PER_MINUTE = 200.0
DEFAULT_BURST = 10
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_TRANSACTION_ID = 100

_log = get_logger("management")
_T = TypeVar("_T")
_HttpT = TypeVar("_HttpT")  # the underlying client: httpx.Client or httpx.AsyncClient
_TransportT = TypeVar("_TransportT")
_SleepT = TypeVar("_SleepT")  # what ``sleep`` returns: None, or an awaitable


# --- typed results -----------------------------------------------------------------------


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _id_of(value: Any) -> str | None:
    return _s(value.get("id")) if isinstance(value, Mapping) else None


def _raw_field() -> Any:
    return field(default_factory=dict, repr=False, compare=False, hash=False)


def _expect_object(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ManagementApiError(
            f"PingOne returned a {type(body).__name__} where a {what} object was expected",
            hint="check the path: it must name a single resource",
        )
    return body


@dataclass(frozen=True, slots=True)
class Environment:
    """``GET /environments/{id}``: what the client interprets; everything else in ``raw``."""

    id: str
    name: str | None
    description: str | None
    type: str | None
    region: str | None
    license_id: str | None
    organization_id: str | None
    status: str | None
    products: tuple[str, ...]
    created_at: str | None
    updated_at: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> Environment:
        """Build from a PingOne environment JSON object."""
        d = _expect_object(body, "environment")
        bom = d.get("billOfMaterials")
        products: list[str] = []
        if isinstance(bom, Mapping) and isinstance(bom.get("products"), list):
            products = [
                p["type"] for p in bom["products"] if isinstance(p, Mapping) and _s(p.get("type"))
            ]
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            type=_s(d.get("type")),
            region=_s(d.get("region")),
            license_id=_id_of(d.get("license")),
            organization_id=_id_of(d.get("organization")),
            status=_s(d.get("status")),
            products=tuple(products),
            created_at=_s(d.get("createdAt")),
            updated_at=_s(d.get("updatedAt")),
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class Application:
    """``GET /environments/{id}/applications/{appId}``."""

    id: str
    name: str | None
    description: str | None
    enabled: bool | None
    type: str | None
    protocol: str | None
    token_endpoint_auth_method: str | None
    grant_types: tuple[str, ...]
    environment_id: str | None
    client_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> Application:
        """Build from a PingOne application JSON object."""
        d = _expect_object(body, "application")
        grants = d.get("grantTypes")
        enabled = d.get("enabled")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            enabled=enabled if isinstance(enabled, bool) else None,
            type=_s(d.get("type")),
            protocol=_s(d.get("protocol")),
            token_endpoint_auth_method=_s(d.get("tokenEndpointAuthMethod")),
            grant_types=tuple(g for g in grants if isinstance(g, str))
            if isinstance(grants, list)
            else (),
            environment_id=_id_of(d.get("environment")),
            client_id=_s(d.get("clientId")) or _s(d.get("id")),
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """One entry of ``_embedded.roleAssignments``."""

    id: str
    role_id: str | None
    scope_id: str | None
    scope_type: str | None
    environment_id: str | None
    read_only: bool | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> RoleAssignment:
        """Build from a PingOne role assignment JSON object."""
        d = _expect_object(body, "role assignment")
        scope = d.get("scope")
        ro = d.get("readOnly")
        return cls(
            id=str(d.get("id", "")),
            role_id=_id_of(d.get("role")),
            scope_id=_id_of(scope),
            scope_type=_s(scope.get("type")) if isinstance(scope, Mapping) else None,
            environment_id=_id_of(d.get("environment")),
            read_only=ro if isinstance(ro, bool) else None,
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class Role:
    """``GET /roles/{roleId}``: ``name`` is e.g. "Identity Data Admin"."""

    id: str
    name: str | None
    description: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> Role:
        """Build from a PingOne role JSON object."""
        d = _expect_object(body, "role")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class User:
    """A PingOne user (``/environments/{id}/users``)."""

    id: str
    username: str | None
    email: str | None
    enabled: bool | None
    population_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> User:
        """Build from a PingOne user JSON object."""
        d = _expect_object(body, "user")
        enabled = d.get("enabled")
        return cls(
            id=str(d.get("id", "")),
            username=_s(d.get("username")),
            email=_s(d.get("email")),
            enabled=enabled if isinstance(enabled, bool) else None,
            population_id=_id_of(d.get("population")),
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A PingOne group (``/environments/{id}/groups``)."""

    id: str
    name: str | None
    description: str | None
    population_id: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> Group:
        """Build from a PingOne group JSON object."""
        d = _expect_object(body, "group")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            population_id=_id_of(d.get("population")),
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class Population:
    """A PingOne population (``/environments/{id}/populations``)."""

    id: str
    name: str | None
    description: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any) -> Population:
        """Build from a PingOne population JSON object."""
        d = _expect_object(body, "population")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            raw=MappingProxyType(dict(d)),
        )


@dataclass(frozen=True, slots=True)
class Page:
    """One HAL collection page: its items, the next link and PingOne's counters."""

    items: tuple[Mapping[str, Any], ...]
    next_url: str | None
    count: int | None
    size: int | None
    key: str | None
    raw: Mapping[str, Any] = _raw_field()

    @classmethod
    def from_json(cls, body: Any, key: str | None = None, *, path: str = "") -> Page:
        """Parse a collection: items from ``_embedded[key]`` (or its only list)."""
        d = _expect_object(body, "collection")
        embedded = d.get("_embedded")
        items: list[Any] = []
        chosen: str | None = key
        if isinstance(embedded, Mapping):
            if key is None:
                lists = [k for k, v in embedded.items() if isinstance(v, list)]
                if len(lists) == 1:
                    chosen = lists[0]
                else:
                    last = path.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
                    chosen = last if last in lists else None
            if chosen is not None and isinstance(embedded.get(chosen), list):
                items = embedded[chosen]
        links = d.get("_links")
        nxt = links.get("next") if isinstance(links, Mapping) else None
        href = _s(nxt.get("href")) if isinstance(nxt, Mapping) else None
        count, size = d.get("count"), d.get("size")
        return cls(
            items=tuple(i for i in items if isinstance(i, Mapping)),
            next_url=href or None,
            count=count if isinstance(count, int) else None,
            size=size if isinstance(size, int) else None,
            key=chosen,
            raw=MappingProxyType(dict(d)),
        )


# --- rate limiting -------------------------------------------------------------------------


class RateLimiter:
    """A client-side token bucket: ``rate`` requests per ``per`` seconds, bursts of ``burst``.

    Share one instance between clients (sync and async alike) to keep a whole process under
    PingOne's per-license limit. :meth:`reserve` is the sans-IO core: under a lock it takes
    one token (running into debt when empty) and returns how long the caller must wait, so
    concurrent callers are spaced out exactly and never oversubscribe. ``clock``/``sleep``
    are injectable for tests.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE_PER_MINUTE,
        per: float = 60.0,
        *,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if not rate > 0 or not per > 0:
            raise ConfigurationError(
                f"RateLimiter needs rate > 0 and per > 0 (got rate={rate!r}, per={per!r})",
                hint="e.g. RateLimiter(200, 60) for 200 requests per minute",
            )
        if not isinstance(burst, int) or burst < 1:
            raise ConfigurationError(
                f"RateLimiter burst must be an int >= 1 (got {burst!r})",
                hint="burst is how many requests may go out back to back",
            )
        self.rate = float(rate)
        self.per = float(per)
        self.burst = burst
        self._per_second = self.rate / self.per
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = clock()

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before sending (0.0 when available)."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._per_second)
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self._per_second

    def try_acquire(self) -> bool:
        """Take a token only if one is available now; never waits, never runs into debt."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._per_second)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def acquire(self) -> float:
        """Block until a request may go out; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    async def aacquire(self) -> float:
        """Async :meth:`acquire` (asyncio or trio, through anyio)."""
        wait = self.reserve()
        if wait > 0:
            if self._async_sleep is not None:
                await self._async_sleep(wait)
            else:
                import anyio

                await anyio.sleep(wait)
        return wait

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate:g}, per={self.per:g}, burst={self.burst})"


# --- retries -------------------------------------------------------------------------------


#: Management API retries: the statuses PingOne's rate limiter and gateways answer with.
#: 500/501/408 are not retried here: a Management API call may have had effects.
API_RETRY = RetryPolicy(statuses=RETRY_STATUSES)


# --- the sans-IO core ---------------------------------------------------------------------


class _AuthLike(Protocol):
    """An ``httpx.Auth`` or ``httpx2.Auth`` (what ``PingOneClient(auth=...)`` takes)."""

    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]: ...
    def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]: ...


class _TransportLike(Protocol):
    """An ``httpx`` or ``httpx2`` sync transport."""

    def handle_request(self, request: Any) -> Any: ...


class _AsyncTransportLike(Protocol):
    """An ``httpx`` or ``httpx2`` async transport."""

    async def handle_async_request(self, request: Any) -> Any: ...


class _StaticBearer:
    """Bearer auth with a fixed token (``PingOneClient(token=...)``), any library."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return f"_StaticTokenAuth(fingerprint={self._token.fingerprint()!r})"


class _StaticTokenAuth(_StaticBearer, httpx.Auth):
    """Bearer auth with a fixed token for httpx clients."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        return super().auth_flow(request)


@functools.cache
def _static_auth_class(lib: HttpLib) -> type[Any]:  # an Auth subclass of ``lib``
    if lib is HTTPX:
        return _StaticTokenAuth
    return type("_StaticTokenAuth", (_StaticBearer, lib.Auth), {"__module__": __name__})


def _pick_lib(auth: object, transport: object) -> HttpLib:
    """The HTTP library of ``auth`` / ``transport`` (httpx unless one is from httpx2)."""
    found: list[HttpLib] = []
    for obj in (auth, transport):
        if obj is None:
            continue
        with contextlib.suppress(TypeError):  # not from a known library: checked later
            found.append(HttpLib.of(obj))
    if any(lib is not found[0] for lib in found):
        raise ConfigurationError(
            f"auth= is from {found[0].name} but transport= is from {found[1].name}",
            hint="use PingOneWorkerAuth from httpx_pingone_worker.httpx2 with httpx2 "
            "transports, and httpx_pingone_worker.PingOneWorkerAuth with httpx ones",
        )
    return found[0] if found else HTTPX


def _timeout_for(lib: HttpLib, timeout: Any) -> Any:
    """Translate an ``httpx.Timeout`` (like :data:`DEFAULT_TIMEOUT`) for another library."""
    if lib is HTTPX or not isinstance(timeout, httpx.Timeout):
        return timeout
    return lib.Timeout(
        connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
    )


_ROLE_HINTS: tuple[tuple[str, str, str], ...] = (
    # (path segment, read role(s), write role(s))
    ("users", '"Identity Data Read Only" or "Identity Data Admin"', '"Identity Data Admin"'),
    ("groups", '"Identity Data Read Only" or "Identity Data Admin"', '"Identity Data Admin"'),
    (
        "populations",
        '"Identity Data Read Only" or "Identity Data Admin"',
        '"Identity Data Admin" or "Environment Admin"',
    ),
    (
        "roleAssignments",
        '"Environment Admin" or "Identity Data Admin"',
        '"Environment Admin" (a role can only grant roles it holds)',
    ),
    (
        "applications",
        '"Client Application Developer" or "Environment Admin"',
        '"Client Application Developer" or "Environment Admin"',
    ),
    ("roles", "any admin role", '"Environment Admin"'),
)


def _segments(path: str) -> list[str]:
    return [s for s in urlsplit(path).path.split("/") if s]


def permission_hint(method: str, path: str, detail_codes: Sequence[str] = ()) -> str:
    """One sentence naming the role a worker app likely lacks for ``method path``."""
    if "LICENSE_EXCEEDED" in detail_codes:
        return "the environment's license does not include this feature or its quota is used up"
    segs = _segments(path)
    write = method.upper() not in {"GET", "HEAD", "OPTIONS"}
    for seg in reversed(segs):
        for name, read_roles, write_roles in _ROLE_HINTS:
            if seg == name:
                roles = write_roles if write else read_roles
                return (
                    f"the worker app likely lacks a role for {name}: assign {roles} "
                    "to the app (Applications → the app → Roles) scoped to this environment"
                )
    if segs[-2:-1] == ["environments"] or segs[-1:] == ["environments"]:
        return (
            'the worker app likely lacks "Environment Admin" (or "Organization Admin") '
            "for this environment"
        )
    return (
        "the worker app's role assignments do not cover this endpoint; check the app's Roles "
        'tab ("Environment Admin" covers most configuration APIs)'
    )


def _error_hint(status: int, method: str, path: str, detail_codes: Sequence[str]) -> str | None:
    if status == 403:
        return permission_hint(method, path, detail_codes)
    if status == 401:
        return (
            "the access token was rejected (expired, revoked, or for another environment); "
            "check client id, environment id and region"
        )
    if status == 404:
        return (
            "check the ids in the path, the environment id and the region (each region "
            "has its own API host); just after creating an environment, retry shortly"
        )
    if status == 429:
        return "PingOne rate limit hit; lower the RateLimiter rate or share one limiter"
    if status == 400 and detail_codes:
        return "fix the request fields named in details (filter syntax, values, limits)"
    if status >= 500:
        return "PingOne had a server-side problem; retry later and quote the correlation id"
    return None


def _clean(text: str, limit: int = 200) -> str:
    from ._logging import redact

    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_response(response: httpx.Response, *, method: str, path: str) -> ManagementApiError:
    """Map a failed API response to :class:`ManagementApiError` (the body is never quoted)."""
    status = response.status_code
    correlation_id = response.headers.get("correlation-id")
    code: str | None = None
    description: str | None = None
    details: list[Mapping[str, Any]] = []
    try:
        body = _json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        code = _s(body.get("code"))
        if _s(body.get("message")):
            description = _clean(body["message"])
        raw_details = body.get("details")
        if isinstance(raw_details, list):
            details = [d for d in raw_details if isinstance(d, Mapping)]
        if code is None and _s(body.get("error")):
            code = body["error"]  # an OAuth-style error body from a proxy/auth layer
    detail_codes = [c for c in (_s(d.get("code")) for d in details) if c]
    targets = [t for t in (_s(d.get("target")) for d in details) if t]
    clean_path = urlsplit(path).path or path
    msg = f"PingOne API {method.upper()} {clean_path} failed with HTTP {status}"
    if code:
        msg += f" {code}"
    if detail_codes:
        msg += f" ({', '.join(dict.fromkeys(detail_codes))}"
        msg += f" on {', '.join(dict.fromkeys(targets))})" if targets else ")"
    if body is None and response.content:
        msg += " (response body was not JSON)"
    return ManagementApiError(
        msg,
        status_code=status,
        code=code,
        details=details,
        correlation_id=correlation_id,
        error_description=description,
        hint=_error_hint(status, method, path, detail_codes),
    )


def _validate_header_value(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_TRANSACTION_ID:
        raise ConfigurationError(
            f"{name} must be a non-empty string of at most {_MAX_TRANSACTION_ID} characters "
            f"(got {len(value) if isinstance(value, str) else type(value).__name__})",
            hint="PingOne stores it in audit logs; use a short request or trace id",
        )
    if not value.isascii() or not value.isprintable():
        raise ConfigurationError(
            f"{name} must be printable ASCII", hint="use letters, digits, '-', '_' or '.'"
        )
    return value


def _json_or_none(response: httpx.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ManagementApiError(
            f"PingOne API answered HTTP {response.status_code} with a body that is not JSON",
            status_code=response.status_code,
            correlation_id=response.headers.get("correlation-id"),
            hint="check api_base_url: it must point at the PingOne API (…/v1)",
        ) from None


def _cursor_of(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("cursor")
    return values[0] if values else None


@dataclass(slots=True)
class _Pager:
    """Paging state: which URL comes next, and which next-links were already seen."""

    path: str
    params: Mapping[str, Any] | None
    key: str | None
    seen_urls: set[str] = field(default_factory=set)
    seen_cursors: set[str] = field(default_factory=set)
    next_url: str | None = None
    first: bool = True
    done: bool = False
    pages: int = 0

    def request(self) -> tuple[str, Mapping[str, Any] | None] | None:
        if self.done:
            return None
        if self.first:
            self.first = False
            return self.path, self.params
        assert self.next_url is not None  # noqa: S101 - invariant of feed()
        return self.next_url, None

    def feed(self, body: Any) -> Page:
        page = Page.from_json(body, self.key, path=self.path)
        self.pages += 1
        if self.key is None:
            self.key = page.key
        nxt = page.next_url
        if not nxt:
            self.done = True
            return page
        cursor = _cursor_of(nxt)
        if nxt in self.seen_urls or (cursor is not None and cursor in self.seen_cursors):
            _log.warning(
                "paginate %s: PingOne returned a next link seen before after %d page(s); "
                "stopping to avoid an endless loop",
                urlsplit(self.path).path,
                self.pages,
            )
            self.done = True
            return page
        self.seen_urls.add(nxt)
        if cursor is not None:
            self.seen_cursors.add(cursor)
        self.next_url = nxt
        return page


_UNSET: Any = object()


class _Core:
    """Configuration and pure request preparation shared by the sync and async clients."""

    def __init__(
        self,
        *,
        auth: httpx.Auth | _AuthLike | None,
        token: str | Secret | Token | None,
        transport: object,
        environment_id: str | None,
        region: Region | str | None,
        api_base_url: str | None,
        rate_limiter: RateLimiter | Literal[False] | None,
        retry: RetryPolicy | Literal[False] | None,
        allow_loopback_http: bool,
        rng: random.Random | None,
        clock: Callable[[], float],
    ) -> None:
        self.clock = clock
        if auth is not None and token is not None:
            raise ConfigurationError(
                "PingOneClient takes auth= or token=, not both",
                hint="pass a PingOneWorkerAuth as auth=, or a static access token as token=",
            )
        if auth is None and token is None:
            raise ConfigurationError(
                "PingOneClient needs credentials: auth= or token=",
                hint="pass auth=PingOneWorkerAuth(client_id, secret, environment_id, region=...)",
            )
        self.lib = _pick_lib(auth, transport)
        if token is not None:
            if isinstance(token, Token):
                secret = token.access_token
            elif isinstance(token, (str, Secret)):
                secret = Secret(token)
            else:
                raise ConfigurationError(
                    f"token must be a str, Secret or Token, not {type(token).__name__}"
                )
            if not secret:
                raise ConfigurationError("token is empty", hint="pass a PingOne access token")
            register_secret(secret)
            auth = _static_auth_class(self.lib)(secret)
        elif not isinstance(auth, self.lib.Auth):
            raise ConfigurationError(
                f"auth must be an httpx.Auth (or httpx2.Auth) such as PingOneWorkerAuth, "
                f"not {type(auth).__name__}"
            )
        # Typed as httpx.Auth for httpx users; an httpx2.Auth with httpx2 (same API).
        self.auth: Any = auth
        # A PingOneWorkerAuth knows its environment, region and API host: use them as defaults.
        env = environment_id or _s(getattr(auth, "environment_id", None))
        if region is None:
            region = getattr(auth, "region", None)
        self.region = Region.parse(region)
        base = api_base_url or _s(getattr(auth, "api_base_url", None)) or self.region.api_base_url
        allow = allow_loopback_http or bool(getattr(auth, "allow_loopback_http", False))
        self.api_base_url = check_secure_url(base, what="api_base_url", allow_loopback_http=allow)
        if env is not None and (not isinstance(env, str) or not env.strip()):
            raise ConfigurationError(
                "environment_id is empty", hint="pass a PingOne environment id"
            )
        self.environment_id = env.strip() if env else None
        self.rate_limiter = RateLimiter() if rate_limiter is None else rate_limiter or None
        self.retry = API_RETRY if retry is None else retry or None
        self._rng = rng or random.Random()  # noqa: S311 - jitter only
        base_parts = urlsplit(self.api_base_url)
        self._origin = (base_parts.scheme.lower(), (base_parts.netloc or "").lower())

    # paths ---------------------------------------------------------------------------
    def url_for(self, path: str) -> str:
        """Resolve ``path`` (relative to the API base, ``{env}`` templated) or check a URL."""
        if not isinstance(path, str) or not path:
            raise ConfigurationError(
                "path must be a non-empty string such as '/environments/{env}'"
            )
        if "://" in path:
            parts = urlsplit(path)
            if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
                # Never send the bearer token to a host other than the API base.
                raise ManagementApiError(
                    f"refusing to call {parts.scheme}://{parts.netloc}: not the API host "
                    f"{self._origin[0]}://{self._origin[1]}",
                    hint="pass paths relative to the API base, e.g. /environments/{env}/users",
                )
            return path
        for placeholder in ("{env}", "{environment_id}", "{envId}"):
            if placeholder in path:
                if not self.environment_id:
                    raise ConfigurationError(
                        f"path uses {placeholder} but the client has no environment_id",
                        hint="pass environment_id= to the client",
                    )
                path = path.replace(placeholder, self.environment_id)
        base = self.api_base_url
        if path.startswith(urlsplit(base).path + "/") and urlsplit(base).path:
            path = path[len(urlsplit(base).path) :]  # "/v1/environments" → "/environments"
        return base + (path if path.startswith("/") else "/" + path)

    def require_env(self, environment_id: str | None) -> str:
        env = environment_id or self.environment_id
        if not env:
            raise ConfigurationError(
                "no environment id: pass environment_id= to the client or to this call",
                hint="the environment id is the UUID in the PingOne admin console's URL",
            )
        return env

    def headers_for(
        self,
        headers: Mapping[str, str] | None,
        transaction_id: str | None,
        session_id: str | None,
    ) -> dict[str, str]:
        out = dict(headers or {})
        tid = _validate_header_value(transaction_id, "transaction_id")
        sid = _validate_header_value(session_id, "session_id")
        if tid:
            out["X-Ping-External-Transaction-Id"] = tid
        if sid:
            out["X-Ping-External-Session-Id"] = sid
        return out

    def may_retry(self, method: str, safe: bool) -> bool:
        return self.retry is not None and (method.upper() in IDEMPOTENT_METHODS or safe)

    def start_retries(self) -> RetryState | None:
        if self.retry is None:
            return None
        return RetryState(self.retry, started_at=self.clock(), rand=self._rng.random)

    def retry_delay(
        self, state: RetryState | None, response: httpx.Response | None
    ) -> float | None:
        """Seconds to wait before retrying, or None (not retryable, or attempts/budget spent)."""
        if state is None:
            return None
        if response is not None and not state.policy.is_retryable_status(response.status_code):
            return None
        retry_after = response.headers.get("retry-after") if response is not None else None
        return state.next_delay(now=self.clock(), retry_after=retry_after)

    # the request flow (sans-IO) -------------------------------------------------------
    def exchange(
        self,
        build: Callable[..., httpx.Request],
        method: str,
        path: str,
        opts: _RequestOptions,
    ) -> Generator[_Step, Any, httpx.Response]:
        """One API call as the I/O steps its shell performs; returns the successful response.

        The shell answers a ``send`` step with the response or the library's
        ``TransportError`` (as a value), and every other step with ``None``. Rate limiting,
        retries (429/502/503/504 and network errors, idempotent or ``safe_to_retry``) and
        error mapping are decided here.
        """
        url = self.url_for(path)
        hdrs = self.headers_for(opts.headers, opts.transaction_id, opts.session_id)
        state = self.start_retries() if self.may_retry(method, opts.safe_to_retry) else None
        attempt = 0
        while True:
            attempt += 1
            request = build(method, url, params=opts.params, json=opts.json, headers=hdrs)
            if self.rate_limiter is not None:
                yield _Acquire(self.rate_limiter)
            _log_request(request, attempt)
            started = time.monotonic()
            reply = yield _Send(request)
            if isinstance(reply, Exception):
                delay = self.retry_delay(state, None)
                if delay is None:
                    raise _unreachable(method, url, reply) from None
                yield _Sleep(delay)
                continue
            response: httpx.Response = reply
            _log_response(request, response, time.monotonic() - started)
            if response.is_success:
                return response
            delay = self.retry_delay(state, response)
            if delay is None:
                raise error_from_response(response, method=method, path=url)
            yield _Close(response)
            yield _Sleep(delay)

    # typed reads (what to GET and how to parse it) ------------------------------------
    def env_query(
        self,
        environment_id: str | None,
        suffix: str,
        parse: Callable[[Any], _T],
        *,
        key: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> _Query[_T]:
        """``/environments/{env}<suffix>`` (the default environment unless given)."""
        env = self.require_env(environment_id)
        return _Query(f"/environments/{env}{suffix}", parse, key, params)

    def users_query(
        self, filter: str | None, limit: int | None, environment_id: str | None
    ) -> _Query[User]:
        """The users collection with PingOne's ``filter`` and page ``limit``."""
        params: dict[str, Any] = {}
        if filter:
            params["filter"] = filter
        if limit:
            params["limit"] = limit
        return self.env_query(environment_id, "/users", User.from_json, key="users", params=params)


class _RequestOptions(NamedTuple):
    """The keyword arguments of ``request()`` that :meth:`_Core.exchange` acts on."""

    params: Mapping[str, Any] | None
    json: Any
    headers: Mapping[str, str] | None
    transaction_id: str | None
    session_id: str | None
    safe_to_retry: bool


@dataclass(frozen=True, slots=True)
class _Send:
    """Send ``request``; answer with the response, or the ``TransportError`` raised."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class _Acquire:
    """Wait for the rate limiter."""

    limiter: RateLimiter


@dataclass(frozen=True, slots=True)
class _Close:
    """Close a response that will be retried."""

    response: httpx.Response


@dataclass(frozen=True, slots=True)
class _Sleep:
    """Wait ``seconds`` before the next attempt."""

    seconds: float


#: One I/O step :meth:`_Core.exchange` asks its sync or async shell to perform.
_Step = _Send | _Acquire | _Close | _Sleep


@dataclass(frozen=True, slots=True)
class _Query(Generic[_T]):
    """A typed read: the path to GET (or page through) and how to parse one object."""

    path: str
    parse: Callable[[Any], _T]
    key: str | None = None
    params: Mapping[str, Any] | None = None


def _log_request(request: httpx.Request, attempt: int) -> None:
    if _log.isEnabledFor(10):
        _log.debug("→ %s %s attempt=%d", request.method, request.url.path, attempt)


def _log_response(request: httpx.Request, response: httpx.Response, elapsed: float) -> None:
    if _log.isEnabledFor(10):
        _log.debug(
            "← %s %s status=%d correlation_id=%s elapsed=%.3fs",
            request.method,
            request.url.path,
            response.status_code,
            response.headers.get("correlation-id", "-"),
            elapsed,
        )


def _unreachable(method: str, path: str, exc: Exception) -> ManagementApiError:
    return ManagementApiError(
        f"PingOne API {method.upper()} {urlsplit(path).path or path} could not be completed: "
        f"{type(exc).__name__}",
        hint="check network access to the API host (proxy, firewall, region)",
    )


# --- the clients: one shared base, sync and async I/O shells ------------------------------


async def _anyio_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


class _ClientBase(Generic[_HttpT, _TransportT, _SleepT]):
    """Construction, properties and repr shared by :class:`PingOneClient` and its async twin.

    ``_HttpT`` is the underlying client (``httpx.Client`` / ``httpx.AsyncClient``), created
    from the chosen library's ``_http_class``; ``sleep=None`` means the shell's
    ``_default_sleep`` (``time.sleep`` / ``anyio.sleep``).
    """

    _http_class: ClassVar[str]

    def __init__(
        self,
        *,
        auth: httpx.Auth | _AuthLike | None = None,
        token: str | Secret | Token | None = None,
        environment_id: str | None = None,
        region: Region | str | None = None,
        api_base_url: str | None = None,
        transport: _TransportT | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        rate_limiter: RateLimiter | Literal[False] | None = None,
        retry: RetryPolicy | Literal[False] | None = None,
        headers: Mapping[str, str] | None = None,
        allow_loopback_http: bool = False,
        sleep: Callable[[float], _SleepT] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        **httpx_kwargs: Any,
    ) -> None:
        self._core = _Core(
            auth=auth,
            token=token,
            transport=transport,
            environment_id=environment_id,
            region=region,
            api_base_url=api_base_url,
            rate_limiter=rate_limiter,
            retry=retry,
            allow_loopback_http=allow_loopback_http,
            rng=rng,
            clock=clock,
        )
        self._sleep: Callable[[float], _SleepT] = sleep or self._default_sleep()
        #: The underlying client: an ``httpx2`` client when auth/transport are httpx2's.
        self.http: _HttpT = getattr(self._core.lib, self._http_class)(
            auth=self._core.auth,
            transport=transport,
            timeout=_timeout_for(self._core.lib, timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            **httpx_kwargs,
        )

    def _default_sleep(self) -> Callable[[float], _SleepT]:
        raise NotImplementedError  # pragma: no cover - each shell defines it

    @property
    def environment_id(self) -> str | None:
        """The default environment of ``{env}`` paths and the typed getters."""
        return self._core.environment_id

    @property
    def auth(self) -> httpx.Auth:
        """The ``httpx.Auth`` (``httpx2.Auth`` with httpx2) used for every request."""
        auth: httpx.Auth = self._core.auth
        return auth

    @property
    def api_base_url(self) -> str:
        """``https://api.pingone.<tld>/v1`` or the override."""
        return self._core.api_base_url

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The client-side limiter (shareable), or ``None`` when disabled."""
        return self._core.rate_limiter

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(api_base_url={self.api_base_url!r}, "
            f"environment_id={self.environment_id!r})"
        )


class PingOneClient(_ClientBase["httpx.Client", "httpx.BaseTransport | _TransportLike", None]):
    """A PingOne Management API client over ``httpx.Client`` (or ``httpx2.Client``).

    >>> with PingOneClient(auth=auth, environment_id=env, region="EU") as client:  # doctest: +SKIP
    ...     env = client.get_environment()
    ...     for user in client.paginate("/environments/{env}/users", params={"limit": 100}):
    ...         ...

    ``auth`` is a :class:`~httpx_pingone_worker.PingOneWorkerAuth` (its 401 resend-once
    applies) or any ``httpx.Auth``; ``token`` a static access token. With the
    ``PingOneWorkerAuth`` of :mod:`httpx_pingone_worker.httpx2` (or an httpx2 transport) the
    client runs on httpx2. ``rate_limiter=None``
    gives the client its own default limiter, ``False`` disables it; ``retry=None`` uses
    :data:`API_RETRY` (429/502/503/504, ``Retry-After`` capped at 30 s, jittered backoff,
    30 s budget; a :class:`~httpx_pingone_worker._retry.RetryPolicy` to tune), ``False``
    disables retries. ``sleep`` (default ``time.sleep``), ``clock`` and ``rng`` are
    injectable for tests.
    """

    _http_class = "Client"

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    # lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the underlying ``httpx.Client``."""
        self.http.close()

    def __enter__(self) -> PingOneClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # requests --------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        transaction_id: str | None = None,
        session_id: str | None = None,
        safe_to_retry: bool = False,
    ) -> Any:
        """Send one API request; return the parsed JSON (``None`` for an empty body).

        429/502/503/504 and network errors are retried for idempotent methods, and for
        POST/PATCH only when ``safe_to_retry`` is true.
        """
        opts = _RequestOptions(params, json, headers, transaction_id, session_id, safe_to_retry)
        return _json_or_none(
            self._send(self._core.exchange(self.http.build_request, method, path, opts))
        )

    def _send(self, flow: Generator[_Step, Any, httpx.Response]) -> httpx.Response:
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            reply = None
            if isinstance(step, _Send):
                try:
                    reply = self.http.send(step.request)
                except self._core.lib.TransportError as exc:
                    reply = exc
            elif isinstance(step, _Acquire):
                step.limiter.acquire()
            elif isinstance(step, _Close):
                step.response.close()
            else:
                self._sleep(step.seconds)

    def get(self, path: str, **kw: Any) -> Any:
        """``GET path``; see :meth:`request` for keyword arguments."""
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        """``POST path`` (retried only with ``safe_to_retry=True``)."""
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        """``PUT path``."""
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        """``PATCH path`` (retried only with ``safe_to_retry=True``)."""
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        """``DELETE path``."""
        return self.request("DELETE", path, **kw)

    # paging ----------------------------------------------------------------------------
    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        **kw: Any,
    ) -> Iterator[Page]:
        """Yield collection pages lazily, following ``_links.next.href``."""
        pager = _Pager(path, params, key)
        while (nxt := pager.request()) is not None:
            yield pager.feed(self.request("GET", nxt[0], params=nxt[1], **kw))

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        **kw: Any,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a collection lazily; the next page is fetched when needed.

        Items come from ``_embedded[key]`` (default: the collection's only list). The
        returned page size is trusted, not the requested ``limit``. A repeated next link
        or cursor stops paging with a logged warning.
        """
        for page in self.pages(path, params, key=key, **kw):
            yield from map(dict, page.items)

    # typed getters ---------------------------------------------------------------------
    def _one(self, query: _Query[_T]) -> _T:
        return query.parse(self.get(query.path))

    def _each(self, query: _Query[_T]) -> Iterator[_T]:
        return map(query.parse, self.paginate(query.path, query.params or None, key=query.key))

    def get_environment(self, environment_id: str | None = None) -> Environment:
        """The environment (name, type, region, license, organization, products)."""
        return self._one(self._core.env_query(environment_id, "", Environment.from_json))

    def get_application(self, app_id: str, *, environment_id: str | None = None) -> Application:
        """One application (for a worker app, its id is its client id)."""
        path = f"/applications/{app_id}"
        return self._one(self._core.env_query(environment_id, path, Application.from_json))

    def list_applications(self, *, environment_id: str | None = None) -> list[Application]:
        """Every application of the environment."""
        query = self._core.env_query(environment_id, "/applications", Application.from_json)
        return list(self._each(query))

    def list_role_assignments(
        self, app_id: str, *, environment_id: str | None = None
    ) -> list[RoleAssignment]:
        """The application's role assignments (role ids and scopes; names via :meth:`get_role`)."""
        return list(self._each(_role_assignments_query(self._core, app_id, environment_id)))

    def get_role(self, role_id: str) -> Role:
        """A role by id (``GET /roles/{roleId}``)."""
        return self._one(_Query(f"/roles/{role_id}", Role.from_json))

    def get_user(self, user_id: str, *, environment_id: str | None = None) -> User:
        """One user."""
        return self._one(self._core.env_query(environment_id, f"/users/{user_id}", User.from_json))

    def iter_users(
        self,
        *,
        filter: str | None = None,
        limit: int | None = None,
        environment_id: str | None = None,
    ) -> Iterator[User]:
        """Users of the environment, lazily (``filter`` is PingOne's SCIM-like filter)."""
        yield from self._each(self._core.users_query(filter, limit, environment_id))

    def iter_groups(self, *, environment_id: str | None = None) -> Iterator[Group]:
        """Groups of the environment, lazily."""
        yield from self._each(_groups_query(self._core, environment_id))

    def iter_populations(self, *, environment_id: str | None = None) -> Iterator[Population]:
        """Populations of the environment, lazily."""
        yield from self._each(_populations_query(self._core, environment_id))


class AsyncPingOneClient(
    _ClientBase[
        "httpx.AsyncClient", "httpx.AsyncBaseTransport | _AsyncTransportLike", Awaitable[None]
    ]
):
    """The async twin of :class:`PingOneClient` over ``httpx.AsyncClient`` (asyncio or trio).

    Same constructor; ``sleep`` is an async callable (default ``anyio.sleep``).
    """

    _http_class = "AsyncClient"

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return _anyio_sleep

    async def aclose(self) -> None:
        """Close the underlying ``httpx.AsyncClient``."""
        await self.http.aclose()

    async def __aenter__(self) -> AsyncPingOneClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        transaction_id: str | None = None,
        session_id: str | None = None,
        safe_to_retry: bool = False,
    ) -> Any:
        """Send one API request; see :meth:`PingOneClient.request`."""
        opts = _RequestOptions(params, json, headers, transaction_id, session_id, safe_to_retry)
        flow = self._core.exchange(self.http.build_request, method, path, opts)
        return _json_or_none(await self._send(flow))

    async def _send(self, flow: Generator[_Step, Any, httpx.Response]) -> httpx.Response:
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            reply = None
            if isinstance(step, _Send):
                try:
                    reply = await self.http.send(step.request)
                except self._core.lib.TransportError as exc:
                    reply = exc
            elif isinstance(step, _Acquire):
                await step.limiter.aacquire()
            elif isinstance(step, _Close):
                await step.response.aclose()
            else:
                await self._sleep(step.seconds)

    async def get(self, path: str, **kw: Any) -> Any:
        """``GET path``."""
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> Any:
        """``POST path`` (retried only with ``safe_to_retry=True``)."""
        return await self.request("POST", path, **kw)

    async def put(self, path: str, **kw: Any) -> Any:
        """``PUT path``."""
        return await self.request("PUT", path, **kw)

    async def patch(self, path: str, **kw: Any) -> Any:
        """``PATCH path`` (retried only with ``safe_to_retry=True``)."""
        return await self.request("PATCH", path, **kw)

    async def delete(self, path: str, **kw: Any) -> Any:
        """``DELETE path``."""
        return await self.request("DELETE", path, **kw)

    async def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        **kw: Any,
    ) -> AsyncGenerator[Page, None]:
        """Yield collection pages lazily, following ``_links.next.href``."""
        pager = _Pager(path, params, key)
        while (nxt := pager.request()) is not None:
            yield pager.feed(await self.request("GET", nxt[0], params=nxt[1], **kw))

    async def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        **kw: Any,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Yield every item of a collection lazily; see :meth:`PingOneClient.paginate`."""
        async with contextlib.aclosing(self.pages(path, params, key=key, **kw)) as pages:
            async for page in pages:
                for item in page.items:
                    yield dict(item)

    # typed getters ---------------------------------------------------------------------
    async def _one(self, query: _Query[_T]) -> _T:
        return query.parse(await self.get(query.path))

    async def _each(self, query: _Query[_T]) -> AsyncGenerator[_T, None]:
        items = self.paginate(query.path, query.params or None, key=query.key)
        async with contextlib.aclosing(items):
            async for item in items:
                yield query.parse(item)

    async def get_environment(self, environment_id: str | None = None) -> Environment:
        """The environment (name, type, region, license, organization, products)."""
        return await self._one(self._core.env_query(environment_id, "", Environment.from_json))

    async def get_application(
        self, app_id: str, *, environment_id: str | None = None
    ) -> Application:
        """One application (for a worker app, its id is its client id)."""
        path = f"/applications/{app_id}"
        return await self._one(self._core.env_query(environment_id, path, Application.from_json))

    async def list_applications(self, *, environment_id: str | None = None) -> list[Application]:
        """Every application of the environment."""
        query = self._core.env_query(environment_id, "/applications", Application.from_json)
        return [app async for app in self._each(query)]

    async def list_role_assignments(
        self, app_id: str, *, environment_id: str | None = None
    ) -> list[RoleAssignment]:
        """The application's role assignments."""
        query = _role_assignments_query(self._core, app_id, environment_id)
        return [assignment async for assignment in self._each(query)]

    async def get_role(self, role_id: str) -> Role:
        """A role by id (``GET /roles/{roleId}``)."""
        return await self._one(_Query(f"/roles/{role_id}", Role.from_json))

    async def get_user(self, user_id: str, *, environment_id: str | None = None) -> User:
        """One user."""
        query = self._core.env_query(environment_id, f"/users/{user_id}", User.from_json)
        return await self._one(query)

    async def iter_users(
        self,
        *,
        filter: str | None = None,
        limit: int | None = None,
        environment_id: str | None = None,
    ) -> AsyncGenerator[User, None]:
        """Users of the environment, lazily (``filter`` is PingOne's SCIM-like filter)."""
        async with contextlib.aclosing(
            self._each(self._core.users_query(filter, limit, environment_id))
        ) as users:
            async for user in users:
                yield user

    async def iter_groups(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[Group, None]:
        """Groups of the environment, lazily."""
        async with contextlib.aclosing(
            self._each(_groups_query(self._core, environment_id))
        ) as groups:
            async for group in groups:
                yield group

    async def iter_populations(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[Population, None]:
        """Populations of the environment, lazily."""
        query = _populations_query(self._core, environment_id)
        async with contextlib.aclosing(self._each(query)) as populations:
            async for population in populations:
                yield population


def _role_assignments_query(
    core: _Core, app_id: str, environment_id: str | None
) -> _Query[RoleAssignment]:
    path = f"/applications/{app_id}/roleAssignments"
    return core.env_query(environment_id, path, RoleAssignment.from_json, key="roleAssignments")


def _groups_query(core: _Core, environment_id: str | None) -> _Query[Group]:
    return core.env_query(environment_id, "/groups", Group.from_json, key="groups")


def _populations_query(core: _Core, environment_id: str | None) -> _Query[Population]:
    return core.env_query(environment_id, "/populations", Population.from_json, key="populations")


def create_pingone_client(
    token_or_auth: str | Secret | Token | httpx.Auth | _AuthLike,
    environment_id: str | None = None,
    region: Region | str | None = None,
    **kw: Any,
) -> PingOneClient:
    """A :class:`PingOneClient` from a static token or an ``httpx.Auth`` (the seed's helper)."""
    if not isinstance(token_or_auth, (str, Secret, Token)):
        return PingOneClient(auth=token_or_auth, environment_id=environment_id, region=region, **kw)
    return PingOneClient(token=token_or_auth, environment_id=environment_id, region=region, **kw)
