"""`_SansIO`: the sans-IO half of the Management API clients: configuration, paths, retries.

``exchange`` is one API call written as a flow of actions (send the request, wait for a rate
limiter permit, close a response, sleep) that the sync and async shells perform; rate
limiting, retries and error mapping are decided here, so both clients behave the same. A
little over 400 lines: configuration, path building and the request flow are one decision
table the shells share.
"""

from __future__ import annotations

import random
import time
from collections.abc import (
    Callable,
    Generator,
    Mapping,
)
from dataclasses import dataclass
from typing import Any, Generic, Literal, NamedTuple, TypeVar
from urllib.parse import urlsplit

import httpx

from httpx_pingone_worker._core._errors import (
    ConfigurationError,
    InvalidArgumentError,
    ManagementApiError,
    TLSVerificationError,
)
from httpx_pingone_worker._core._input import load_json, split_url
from httpx_pingone_worker._core._logging import get_logger, register_held_secret
from httpx_pingone_worker._core._regions import Region, check_secure_url
from httpx_pingone_worker._core._retry import RetryPolicy, RetryState
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker._version import __version__

from ._error_mapping import _unreachable, error_from_response
from ._lib import _AuthLike, _pick_lib, _static_auth_class
from ._models import Group, Population, RoleAssignment, User, _s
from ._ratelimit import RateLimiter

__all__ = [
    "API_RETRY",
    "DEFAULT_TIMEOUT",
    "IDEMPOTENT_METHODS",
    "RETRY_STATUSES",
    "USER_AGENT",
]

USER_AGENT = f"httpx-pingone-worker/{__version__}"
#: Connect fast, allow PingOne's slower list endpoints time to answer.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
_MAX_TRANSACTION_ID = 100

_log = get_logger("management")
_T = TypeVar("_T")


# --- retries -------------------------------------------------------------------------------


#: Management API retries: the statuses PingOne's rate limiter and gateways answer with.
#: 500/501/408 are not retried here: a Management API call may have had effects. PingOne's
#: limits are per minute, so a ``Retry-After`` of up to 60 s is waited out (the token
#: endpoint keeps the 30 s cap of ``DEFAULT_RETRY``); 4 attempts within 120 s in all.
API_RETRY = RetryPolicy(statuses=RETRY_STATUSES, retry_after_cap=60.0, total_budget=120.0)


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
    return load_json(
        response.content,
        what=f"PingOne API's HTTP {response.status_code} answer",
        exc_type=ManagementApiError,
        status_code=response.status_code,
        correlation_id=response.headers.get("correlation-id"),
        hint="check api_base_url: it must point at the PingOne API (…/v1)",
    )


class _SansIO:
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
            register_held_secret(secret)
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
        parts = split_url(path, what="the API path or URL (an argument or a next link)")
        if "://" in path:
            if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
                # Never send the bearer token to a host other than the API base. Shown: the
                # host only (lower-cased by urllib), never user info.
                port = f":{parts.port}" if parts.port else ""
                raise ManagementApiError(
                    f"refusing to call {parts.scheme.lower()}://{parts.hostname}{port}: not the "
                    f"API host {self._origin[0]}://{self._origin[1]}",
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
    ) -> Generator[_Action, Any, httpx.Response]:
        """One API call as a flow of actions its shell performs; returns the successful response.

        The shell answers a ``_SendRequest`` with the response or the library's
        ``TransportError`` (as a value), and every other action with ``None``. Rate limiting,
        retries (429 for every method, after ``Retry-After``; 502/503/504 and network errors
        for idempotent methods or ``safe_to_retry``) and error mapping are decided here.
        """
        url = self.url_for(path)
        hdrs = self.headers_for(opts.headers, opts.transaction_id, opts.session_id)
        # 429 means PingOne refused before processing: every method may retry it (after
        # Retry-After). 5xx and network errors may have had effects: idempotent methods only.
        idempotent = self.may_retry(method, opts.safe_to_retry)
        state = self.start_retries()
        attempt = 0
        while True:
            attempt += 1
            request = build(method, url, params=opts.params, json=opts.json, headers=hdrs)
            if self.rate_limiter is not None:
                yield _AcquirePermit(self.rate_limiter)
            _log_request(request, attempt)
            started = time.monotonic()
            reply = yield _SendRequest(request)
            if isinstance(reply, Exception):
                failure = _unreachable(method, url, reply)
                # A certificate that is not trusted fails the same way every time: no retry.
                retry = idempotent and not isinstance(failure, TLSVerificationError)
                delay = self.retry_delay(state, None) if retry else None
                if delay is None:
                    raise failure from None
                yield _Sleep(delay)
                continue
            response: httpx.Response = reply
            _log_response(request, response, time.monotonic() - started)
            if response.is_success:
                return response
            retryable = idempotent or response.status_code == 429
            delay = self.retry_delay(state, response) if retryable else None
            if delay is None:
                raise error_from_response(response, method=method, path=url)
            yield _CloseResponse(response)
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
    """The keyword arguments of ``request()`` that ``exchange`` acts on."""

    params: Mapping[str, Any] | None
    json: Any
    headers: Mapping[str, str] | None
    transaction_id: str | None
    session_id: str | None
    safe_to_retry: bool


@dataclass(frozen=True, slots=True)
class _SendRequest:
    """Send ``request``; answer with the response, or the ``TransportError`` raised."""

    request: httpx.Request


@dataclass(frozen=True, slots=True)
class _AcquirePermit:
    """Wait for the rate limiter."""

    limiter: RateLimiter


@dataclass(frozen=True, slots=True)
class _CloseResponse:
    """Close a response that will be retried."""

    response: httpx.Response


@dataclass(frozen=True, slots=True)
class _Sleep:
    """Wait ``seconds`` before the next attempt."""

    seconds: float


#: One action ``exchange`` asks its sync or async shell to perform.
_Action = _SendRequest | _AcquirePermit | _CloseResponse | _Sleep


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


def _role_assignments_query(
    sansio: _SansIO, app_id: str, environment_id: str | None
) -> _Query[RoleAssignment]:
    path = f"/applications/{app_id}/roleAssignments"
    return sansio.env_query(environment_id, path, RoleAssignment.from_json, key="roleAssignments")


def _groups_query(
    sansio: _SansIO, environment_id: str | None, filter: str | None = None
) -> _Query[Group]:
    params = {"filter": filter} if filter else None
    return sansio.env_query(environment_id, "/groups", Group.from_json, key="groups", params=params)


def _user_groups_query(sansio: _SansIO, user_id: str, environment_id: str | None) -> _Query[Group]:
    """A user's group memberships (``/users/{id}/memberOfGroups``, direct and indirect)."""
    if not isinstance(user_id, str) or not user_id.strip():
        raise InvalidArgumentError(
            "user_id must be a non-empty string", hint="pass the user's id (a UUID from PingOne)"
        )
    path = f"/users/{user_id}/memberOfGroups"
    return sansio.env_query(environment_id, path, Group.from_json)


def _populations_query(sansio: _SansIO, environment_id: str | None) -> _Query[Population]:
    return sansio.env_query(environment_id, "/populations", Population.from_json, key="populations")
