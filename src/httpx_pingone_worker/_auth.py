"""``PingOneWorkerAuth``: PingOne worker tokens inside httpx request flows (sync and async).

The adapter is a thin shell over ``TokenEngine``
(sans-IO: token state, freshness, single-flight, the fetch as a generator of actions):

- the hot path (a fresh token) is a memory look-up and a clock read;
- **refresh-ahead runs in the background**: once ``refresh_ratio`` of the
  lifetime has passed, the first caller to notice starts one refresh *beside* the request
  flow and goes on with the still-valid token, like every other caller. No caller waits
  for a refresh and none sees its failure: a failed refresh (HTTP error, connect error,
  timeout, unusable answer) keeps the valid token, logs a warning and backs off;
- with no usable token, N threads / asyncio tasks / trio tasks cause one token request and
  wait for it (threads on a ``threading.Event``, tasks on a loop-safe wake-up: no event loop
  is ever blocked);
- a 401 from the resource server invalidates exactly the token that was sent
  (compare-and-invalidate) and the request is resent once, when its body can be replayed.

Where the background refresh runs:

- sync callers and ``get_token``: a thread of the process-wide refresh pool (at most
  four daemon threads serve every auth object; one refresh at a time per auth);
- asyncio: a task on the running loop; trio: a system task (``spawn_system_task``). Both
  are cancelled when the loop or ``trio.run`` ends, their flight is then released.

Which client sends token requests (so transports, proxies, TLS settings and mocks apply):

1. ``http_client`` (sync) / ``async_http_client`` (async), when given;
2. else the client whose request needs the token. httpx's ``Auth`` API does not hand the
   client to the flow, so the flow reads it from the calling frame (the client's
   ``_send_handling_auth``); only off the hot path, and only an open client of this library
   counts;
3. else an internal client with default settings (``timeout=10``; sync: one per auth,
   closed by ``close``; async: one per request).

A *refresh* uses that client from the background: if you close the client right after each
request (``httpx.get(url, auth=auth)``, a client per call), the refresh may find it closed,
fails quietly and backs off; pass ``http_client=`` / ``async_http_client=`` then. A
*blocking fetch* (no valid token) is sent through that client directly from the flow (the
request is not yielded into httpx's flow), so transport errors are retried under the
``RetryPolicy`` like 429/5xx; after a 401 the flow reads the 401 body first, so the
refetch never holds two connections of the caller's pool. Only when no client is known
(a flow driven by hand) is the fetch yielded to the driver as before.

Lifetime: ``close`` joins a running refresh thread (one attempt, bounded by the
client's timeout and ``wait_timeout``) and cancels refresh tasks; ``aclose`` cancels
refresh tasks and awaits them without blocking the loop. Refresh threads are daemons, so a
process exiting never waits for one. ``wait_for_refresh`` / ``await_for_refresh``
wait for a running refresh (for tests that drive the clock, and for shutdown).

The engine (``_engine/``, and through it ``oauth/``) is imported when the first auth is built,
not when this module is: ``from httpx_pingone_worker import PingOneWorkerAuth`` stays close to
the cost of ``import httpx``. Methods import the engine names they use; hot paths do so only
after the cached-token check.

Where the pieces live: the validated settings in ``_engine/_config.py`` (``AuthConfig``);
every decision around a fetch (look at the shared cache, lock or defer, lead, complete or
abandon, refresh a stale shared token) in ``_engine/_lead.py`` (``Lead``, generators of
actions, sans-IO); cache access where a broken cache is a miss in
``_engine/_guarded_cache.py``; the background jobs in ``_engine/_background.py``. This module
is the public class and the drivers that perform the lead's actions with httpx (``_drive`` /
``_run`` sync, ``async_auth_flow`` / ``_arun`` async), with the client choice, the close
signal and the secret reload they share: over 400 lines for now, as one class.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Mapping,
    MutableMapping,
)
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

import httpx

from ._core._errors import (
    ConfigurationError,
    TokenError,
)
from ._core._fork import ForkGuard
from ._core._fork import register as fork_register
from ._core._httplib import HTTPX, HttpLib, asend_credentialed, send_credentialed
from ._core._logging import EventKind, get_logger, log_event, register_held_secret
from ._core._regions import Endpoints, Region
from ._core._retry import DEFAULT_RETRY, RetryPolicy
from ._core._secrets import Secret, take_secret
from ._core._token import DEFAULT_EXPIRY_MARGIN, Token
from .caches._memory import MemoryTokenCache, TokenCache
from .credentials._credentials import ClientCredentials

if TYPE_CHECKING:  # the engine (and oauth/) load when the first auth is built, not on import
    from ._engine._engine import Plan

__all__ = ["PingOneWorkerAuth"]

_log = get_logger("auth")


SecretProvider = Callable[[], "str | Secret | None"]


class _RequestLike(Protocol):
    @property
    def headers(self) -> MutableMapping[str, str]: ...


class _ResponseLike(Protocol):
    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...
    def read(self) -> bytes: ...
    async def aread(self) -> bytes: ...


_Req = TypeVar("_Req", bound=_RequestLike)
_Resp = TypeVar("_Resp", bound=_ResponseLike)
_Client = TypeVar("_Client")
_AClient = TypeVar("_AClient")
_Self = TypeVar("_Self", bound="_AuthCore[Any, Any, Any, Any]")
_T = TypeVar("_T")


def _wrap_secrets(overrides: dict[str, Any]) -> None:
    """Wrap a secret or key among a constructor's `**overrides` in place, before anything can
    fail (`overrides` is a local of the caller's frame; blank becomes None: not given)."""
    if isinstance(overrides.get("client_secret"), str):
        overrides["client_secret"] = take_secret(overrides["client_secret"])[0]
    if isinstance(overrides.get("private_key"), (str, bytes)):
        key, problem = take_secret(overrides["private_key"], allow_bytes=True)
        if problem is None:  # else the constructor names the problem
            overrides["private_key"] = key


class _Drive:
    """What one run of a driver keeps: the calling client, the lock the lead holds, and the
    retry sleep of the fetch it leads (which ends early when the auth is closed)."""

    __slots__ = ("alocks", "asleep", "caller", "locks", "sleep")

    def __init__(self, caller: Any) -> None:
        self.caller = caller
        self.locks: contextlib.ExitStack = contextlib.ExitStack()
        self.alocks: contextlib.AsyncExitStack = contextlib.AsyncExitStack()
        self.sleep: Callable[[float], None] | None = None
        self.asleep: Callable[[float], Awaitable[None]] | None = None


class _AuthCore(Generic[_Req, _Resp, _Client, _AClient]):
    """All of ``PingOneWorkerAuth``, for any httpx-compatible library.

    A concrete class mixes this with the library's ``Auth`` base and sets ``_lib``
    (``HttpLib``); the type parameters are the library's
    request, response, client and async client classes. Nothing here names httpx itself.
    """

    _lib: ClassVar[HttpLib]

    def __init__(
        self,
        client_id: str,
        client_secret: str | Secret | None = None,
        environment_id: str | None = None,
        *,
        region: Region | str | None = None,
        scopes: str | Iterable[str] | None = None,
        token_endpoint: str | None = None,
        issuer: str | None = None,
        auth_method: str = "client_secret_basic",
        private_key: str | bytes | Secret | None = None,
        cache: TokenCache | None = None,
        refresh_ratio: float = 0.8,
        auth_base_url: str | None = None,
        allow_loopback_http: bool = False,
        clock: Callable[[], float] | None = None,
        key_id: str | None = None,
        strict_scopes: bool = False,
        http_client: _Client | None = None,
        async_http_client: _AClient | None = None,
        secret_provider: SecretProvider | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        api_base_url: str | None = None,
        custom_domain: str | None = None,
        expiry_margin: float = DEFAULT_EXPIRY_MARGIN,
        sleep: Callable[[float], None] | None = None,
        async_sleep: Callable[[float], Any] | None = None,
        wait_timeout: float = 120.0,
    ) -> None:
        from ._engine._background import RefreshJobs
        from ._engine._config import AuthConfig
        from ._engine._engine import TokenEngine
        from ._engine._flight import Flight
        from ._engine._guarded_cache import GuardedCache
        from ._engine._lead import Lead

        # The secret and the key are wrapped in Secret on the first line that sees them
        # (the parameters rebound): any failure below unwinds through this frame, whose
        # locals pytest -l, --junitxml and TracebackException(capture_locals=True) print.
        client_secret, bad_secret = take_secret(client_secret)
        private_key, bad_key = take_secret(private_key, allow_bytes=True)
        config = AuthConfig.build(
            client_id,
            client_secret,
            environment_id,
            secret_problem=bad_secret,
            key_problem=bad_key,
            region=region,
            scopes=scopes,
            token_endpoint=token_endpoint,
            issuer=issuer,
            auth_method=auth_method,
            private_key=private_key,
            refresh_ratio=refresh_ratio,
            auth_base_url=auth_base_url,
            allow_loopback_http=allow_loopback_http,
            clock=clock,
            key_id=key_id,
            strict_scopes=strict_scopes,
            secret_provider=secret_provider,
            retry=retry,
            api_base_url=api_base_url,
            custom_domain=custom_domain,
            expiry_margin=expiry_margin,
            sleep=sleep,
            async_sleep=async_sleep,
            wait_timeout=wait_timeout,
        )
        self._config = config
        self._region = config.region
        self._client_id = config.client_id
        self._environment_id = config.environment_id
        self._scopes = config.scopes
        self._auth_method = config.auth_method
        self._private_key = config.private_key
        self._key_id = config.key_id
        register_held_secret(config.client_secret)
        register_held_secret(config.private_key)
        self._endpoints = config.endpoints
        self._api_base_url = config.api_base_url
        self._cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self._cache_key = config.cache_key
        self._store = GuardedCache(self._cache, self._cache_key)
        self._store.bind(
            config.client_secret if config.client_secret is not None else config.private_key
        )
        self._clock = config.clock
        self._sleep = config.sleep
        self._async_sleep = config.async_sleep
        self._wait_timeout = config.wait_timeout
        self._secret_provider = config.secret_provider
        self._http_client: Any = http_client
        self._async_http_client: Any = async_http_client
        self._own_client: Any = None
        self._own_client_lock = threading.Lock()
        # The pid each client was first seen in (see _used_before_fork).
        self._client_pids: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._seen_lock = threading.Lock()
        self._jobs = RefreshJobs()
        # Set (and replaced) by close(): wakes token requests sleeping before a retry.
        self._close_signal = Flight(refresh=False)
        self._fork = ForkGuard()
        fork_register(self)
        self._engine = TokenEngine(config)
        self._lead = Lead(
            self._engine, locking=self._store.locking, wait_timeout=config.wait_timeout
        )
        log_event(
            EventKind.CONFIGURING,
            "configuring",
            logger="auth",
            client_id=self._client_id,
            env=self._environment_id or "-",
        )

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def from_env(cls: type[_Self], **overrides: Any) -> _Self:
        """Build from ``PINGONE_*`` environment variables (and optional files).

        Accepts every [`resolve_settings`][httpx_pingone_worker.resolve_settings] argument (``env``,
        ``env_file``, ``settings_file``, ``client_id`` …) plus any constructor keyword;
        explicit keywords win. Missing settings raise one ``ConfigurationError``
        listing all of them.
        """
        from .credentials._settings import resolve_settings
        from .credentials._sources import EnvView
        from .credentials._store import stored_credentials_lookup

        _wrap_secrets(overrides)
        if isinstance(overrides.get("env"), Mapping):
            overrides["env"] = EnvView(overrides["env"])
        resolve_keys = (
            "client_id",
            "client_secret",
            "environment_id",
            "region",
            "scopes",
            "auth_base_url",
            "api_base_url",
            "env",
            "env_file",
            "settings_file",
            "stored",
        )
        resolve_args = {k: overrides.pop(k) for k in resolve_keys if k in overrides}
        # Stored credentials are the last configuration source; pass stored=None
        # to leave the store out.
        resolve_args.setdefault("stored", stored_credentials_lookup)
        loopback = bool(overrides.get("allow_loopback_http", False))
        settings = resolve_settings(**resolve_args, allow_loopback_http=loopback)
        creds = settings.credentials
        assert creds is not None  # noqa: S101 - require=True raises instead
        kwargs: dict[str, Any] = {
            "scopes": creds.scopes or settings.scopes,
            "auth_base_url": settings.auth_base_url,
            "api_base_url": settings.api_base_url,
            "refresh_ratio": settings.refresh_ratio,
        }
        kwargs.update(overrides)
        return cls.from_credentials(creds, **kwargs)

    @classmethod
    def from_credentials(
        cls: type[_Self], credentials: ClientCredentials, **overrides: Any
    ) -> _Self:
        """Build from a `ClientCredentials`: its client id, secret, environment, region,
        scopes, auth method, private key and key id; any constructor argument in
        `overrides` wins (`cache=`, `http_client=`, `scopes=`, `client_secret=` …).

        ```pycon
        >>> creds = ClientCredentials(client_id, secret, env_id, region="EU")
        >>> auth = PingOneWorkerAuth.from_credentials(creds, cache=cache)
        ```
        """
        if not isinstance(credentials, ClientCredentials):
            raise ConfigurationError(
                f"from_credentials() needs a ClientCredentials, not {type(credentials).__name__}",
                hint="build one with ClientCredentials(client_id, client_secret, environment_id)",
            )
        _wrap_secrets(overrides)
        options: dict[str, Any] = {
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "environment_id": credentials.environment_id,
            "region": credentials.region,
            "scopes": credentials.scopes,
            "auth_method": credentials.auth_method,
            "private_key": credentials.private_key,
            "key_id": credentials.key_id,
        }
        options.update(overrides)
        return cls(**options)

    @classmethod
    def from_store(
        cls: type[_Self],
        client_id: str,
        *,
        directory: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> _Self:
        """Build from credentials saved with [`secure_store`][httpx_pingone_worker.secure_store].

        The store is read now and once more after an ``invalid_client`` answer (the secret
        may have been rotated in the store meanwhile).
        """
        from .credentials._store import secure_retrieve

        def provider() -> Secret | None:
            return secure_retrieve(client_id, directory=directory).client_secret

        creds: ClientCredentials = secure_retrieve(client_id, directory=directory)
        return cls.from_credentials(creds, **{"secret_provider": provider, **kwargs})

    # -- attributes ----------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The worker app's client id."""
        return self._client_id

    @property
    def environment_id(self) -> str | None:
        """The PingOne environment id (``None`` for a custom OIDC server without one)."""
        return self._environment_id

    @property
    def region(self) -> Region:
        """The PingOne region."""
        return self._region

    @property
    def scopes(self) -> frozenset[str]:
        """The requested scopes."""
        return self._scopes

    @property
    def endpoints(self) -> Endpoints | None:
        """The environment's endpoints; with ``issuer=`` filled after discovery."""
        return self._engine.discovered or self._endpoints

    @property
    def issuer(self) -> str | None:
        """The ``issuer=`` given (discovery reads its endpoints), else the known issuer URL."""
        if self._engine.issuer:
            return self._engine.issuer
        ep = self._endpoints
        # A bare token_endpoint= names no issuer (its endpoints carry only the token URL).
        return ep.issuer if ep is not None and ep.introspection is not None else None

    @property
    def token_endpoint(self) -> str | None:
        """The token endpoint URL (``None`` until discovered with ``issuer=``)."""
        return self._engine.token_endpoint

    @property
    def api_base_url(self) -> str:
        """Base URL of the PingOne Platform API for this region / override."""
        return self._api_base_url

    @property
    def cache(self) -> TokenCache:
        """The token cache."""
        return self._cache

    @property
    def cache_key(self) -> str:
        """This instance's cache key (issuer/endpoint + client id + scopes, hashed)."""
        return self._cache_key

    @property
    def credentials(self) -> ClientCredentials:
        """The credentials in use (with the current, possibly rotated, secret).

        ``environment_id`` is ``None`` for a custom OIDC server (``token_endpoint=`` or
        ``issuer=`` without an environment): the credentials still authenticate the client,
        e.g. to ``introspect_token``.
        """
        return ClientCredentials(
            self._client_id,
            self._engine.client_secret,
            self._environment_id,
            self._region,
            self._scopes,
            auth_method=self._auth_method,
            private_key=self._private_key,
            key_id=self._key_id,
        )

    @property
    def current_token(self) -> Token | None:
        """The token held in memory, without I/O (may be stale or expired)."""
        return self._engine.current_token

    def __repr__(self) -> str:
        # getattr with defaults: a half-built instance (its __init__ raised) is repr'd by
        # TracebackException(capture_locals=True) and pytest -l, which must not crash.
        engine = getattr(self, "_engine", None)
        token = getattr(engine, "current_token", None)
        region = getattr(self, "_region", None)
        return (
            f"PingOneWorkerAuth(client_id={getattr(self, '_client_id', None)!r}, "
            f"environment_id={getattr(self, '_environment_id', None)!r}, "
            f"region={getattr(region, 'value', None)!r}, "
            f"auth_method={getattr(self, '_auth_method', None)!r}, "
            f"scopes={sorted(getattr(self, '_scopes', ()))!r}, "
            f"client_secret=Secret('**********'), "
            f"token={token.fingerprint if token else None!r})"
        )

    def __reduce__(self) -> Any:
        raise TypeError("PingOneWorkerAuth refuses to be pickled: it holds a secret")

    # -- management ----------------------------------------------------------------------

    def invalidate(self) -> None:
        """Drop the cached token (memory and cache); the next request fetches a new one."""
        self._engine.invalidate()
        self._store.delete_if(None)
        self._engine.invalidated()

    async def ainvalidate(self) -> None:
        """Async ``invalidate`` (uses the cache's ``adelete`` when it has one)."""
        self._engine.invalidate()
        await self._store.adelete_if(None)
        self._engine.invalidated()

    def rotate_secret(self, new_secret: str | Secret) -> None:
        """Use ``new_secret`` for the next token request; the cached token stays valid."""
        secret, problem = take_secret(new_secret)  # nothing below holds it raw
        del new_secret
        if secret is None or problem is not None:
            raise ConfigurationError("rotate_secret() needs a non-empty str or Secret")
        self._engine.rotate_secret(secret)
        self._store.bind(secret)
        log_event(EventKind.CONFIGURING, "client secret rotated", logger="auth")

    def close(self) -> None:
        """Stop background work and close the internal client (not one you passed).

        A token request sleeping before a retry ends at once with a ``TokenError``
        (``error="closed"``), which its waiters receive too; nobody waits on a closed auth.
        A running background refresh thread is joined (it makes one attempt, bounded by
        its client's timeout, at most ``wait_timeout``); refresh tasks are cancelled.
        Using the auth afterwards works: a new internal client is made when needed.
        """
        from ._engine._flight import Flight

        signal, self._close_signal = self._close_signal, Flight(refresh=False)
        signal.finish(abandoned=True)
        self._jobs.stop(self._wait_timeout)
        with self._own_client_lock:
            client, self._own_client = self._own_client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Async ``close``: cancels refresh tasks and waits for them (on this event loop)
        and for refresh threads (in a worker thread), without blocking the loop; a token
        request sleeping before a retry ends as with ``close``."""
        from ._engine._flight import Flight

        signal, self._close_signal = self._close_signal, Flight(refresh=False)
        signal.finish(abandoned=True)
        for job in self._jobs.cancel_tasks():
            await self._jobs.await_job(job, self._wait_timeout)
        with self._own_client_lock:
            client, self._own_client = self._own_client, None
        if client is not None:
            client.close()

    def _after_fork(self) -> None:
        """In a forked child: a fresh lock (the parent's may have been held by a thread that
        is not here) and no internal client (its keep-alive sockets are the parent's; a
        child that used them would read the parent's responses). Not closed: closing would
        touch the parent's connections."""
        from ._engine._flight import Flight

        self._own_client_lock = threading.Lock()
        self._own_client = None
        self._seen_lock = threading.Lock()
        self._close_signal = Flight(refresh=False)
        self._fork.pid = os.getpid()

    def _closed_error(self) -> TokenError:
        return TokenError(
            "PingOneWorkerAuth was closed while this token request waited to retry",
            error="closed",
            hint="close the auth only after the requests that use it have finished; "
            "a later call works again (with a new internal client)",
        )

    def _lead_sleep(self) -> Callable[[float], None]:
        """The sleep between retries of one fetch: ``sleep=`` if given, else one that ends
        early, with the closed error, when ``close`` runs after the fetch started."""
        if self._sleep is not None:
            return self._sleep
        signal = self._close_signal

        def sleep(seconds: float) -> None:
            if signal.wait(seconds):
                raise self._closed_error()

        return sleep

    def _lead_asleep(self) -> Callable[[float], Awaitable[None]]:
        """Async ``_lead_sleep`` (``async_sleep=`` if given)."""
        if self._async_sleep is not None:
            return self._asleep
        signal = self._close_signal

        async def sleep(seconds: float) -> None:
            if await signal.wait_async(seconds):
                raise self._closed_error()

        return sleep

    # -- background refresh ----------------------------------------------------------------

    def _calling_client(self, frame: FrameType | None) -> Any:
        """The client whose request is running this auth flow, or ``None``.

        httpx's ``Auth`` API does not pass the client to the flow, so the flow looks one frame
        up: the client's ``_send_handling_auth`` resumes the flow, and its ``self`` is the
        client. Only read off the hot path (a refresh or a fetch is due); anything that is not
        an open client of this library (a flow driven by hand) counts as no client.
        """
        candidate = frame.f_locals.get("self") if frame is not None else None
        lib = self._lib
        if isinstance(candidate, (lib.Client, lib.AsyncClient)) and not candidate.is_closed:
            return candidate
        return None

    def _start_failed(self, plan: Plan, exc: BaseException) -> None:
        """The background job could not start (e.g. no threads at interpreter exit)."""
        if isinstance(exc, Exception):
            self._engine.complete(plan, exc)  # a refresh: backs off, keeps the valid token
        else:
            self._engine.abandon(plan)

    def _refresh_in_thread(self, plan: Plan, caller: Any) -> None:
        """Lead ``plan`` (a refresh: a valid token is in hand) on the process-wide pool.

        The token request goes through ``http_client``, else the client whose request
        reached the refresh point, else the internal client; one attempt (no retries), the
        valid token is the fallback and a failure backs off.
        """
        client = self._via(
            caller if isinstance(caller, self._lib.Client) and not caller.is_closed else None
        )
        self._jobs.start_thread(
            lambda: self._thread_refresh(plan, client),
            lambda exc: self._start_failed(plan, exc),
        )

    def _thread_refresh(self, plan: Plan, client: Any) -> None:
        get_client = (lambda: client) if client is not None else self._sync_client
        try:
            # Every exception of the send (a closed client, too) is the refresh's failure.
            self._run(self._lead.lead(plan), get_client, errors=(Exception,))
        except BaseException as exc:  # noqa: BLE001 - nothing may reach threading.excepthook
            _log.debug("background refresh ended by %s", type(exc).__name__)
        finally:
            self._engine.abandon(plan)  # no-op once completed

    def _refresh_in_task(self, plan: Plan, caller: Any) -> None:
        """Async twin of ``_refresh_in_thread``: a task on the running event loop
        (asyncio), or a trio system task (cancelled when ``trio.run`` ends)."""
        client = self._async_http_client or (
            caller if isinstance(caller, self._lib.AsyncClient) and not caller.is_closed else None
        )
        self._jobs.start_task(
            lambda: self._task_refresh(plan, client),
            lambda: self._engine.abandon(plan),
            lambda exc: self._start_failed(plan, exc),
        )

    async def _task_refresh(self, plan: Plan, client: Any) -> None:
        try:
            await self._arun(self._lead.lead(plan), client, errors=(Exception,))
        except Exception as exc:  # noqa: BLE001 - a background failure reaches nobody
            _log.debug("background refresh ended by %s", type(exc).__name__)
        finally:
            self._engine.abandon(plan)  # no-op once completed

    def wait_for_refresh(self, timeout: float = 30.0) -> bool:
        """Block until no background refresh of this auth is running (for tests and
        shutdown); ``False`` if one still runs after ``timeout`` seconds.

        Do not call it on an event loop's thread while that loop runs a refresh task: use
        [`await_for_refresh`][httpx_pingone_worker.PingOneWorkerAuth.await_for_refresh] there.
        """
        return self._jobs.wait(timeout)

    async def await_for_refresh(self, timeout: float = 30.0) -> bool:
        """Async ``wait_for_refresh``: waits for refresh tasks of the running loop
        (asyncio or trio) without blocking it, and for refresh threads in a worker thread."""
        return await self._jobs.await_all(timeout)

    # -- sync ----------------------------------------------------------------------------

    def _reload_secret(self) -> str | Secret | None:
        """Ask the secret provider once more; a failing provider must not hide the
        ``invalid_client`` error the user needs to see."""
        if self._secret_provider is None:
            return None
        try:
            # Wrapped at once: the fetch flow keeps it in a local while it retries, and a
            # second invalid_client unwinds through that frame.
            return take_secret(self._secret_provider())[0]
        except Exception as exc:  # noqa: BLE001 - e.g. the stored entry was deleted
            log_event(
                EventKind.ERROR,
                "could not re-read the client secret",
                level=30,
                logger="auth",
                type=type(exc).__name__,
            )
            return None

    def _sync_client(self) -> Any:
        """``http_client``, else the internal client (made on first use)."""
        if self._http_client:
            return self._http_client
        return self._internal_client()

    def _internal_client(self) -> Any:
        """This process's internal client (made on first use, closed by ``close``)."""
        if self._fork.forked():  # a fork the at-fork hook did not see
            self._after_fork()
        with self._own_client_lock:
            if self._own_client is None:
                self._own_client = self._lib.Client(timeout=10.0)
            return self._own_client

    def _used_before_fork(self, client: Any) -> bool:
        """True when this auth first saw ``client`` in another process: a client used before a
        fork (``gunicorn --preload``, a module-level client warmed in the parent) shares its
        keep-alive sockets with the parent and every sibling, so their responses can cross.
        Such a client never carries this auth's token requests (the internal client, made in
        this process, does); its other requests are the application's to keep apart."""
        pid = os.getpid()
        with self._seen_lock:
            seen = self._client_pids.setdefault(client, pid)
        if seen != pid:
            _log.debug("a client used before fork; token requests use the internal client")
        return seen != pid

    def _via(self, caller: Any) -> Any:
        """The client a sync token request goes through: ``http_client`` (your explicit
        choice, used as it is), else the calling client, else ``None`` (the flow's driver
        sends it); the internal client instead of a calling client used before a fork
        (``_used_before_fork``)."""
        if self._http_client:
            return self._http_client
        if caller is not None and self._used_before_fork(caller):
            return self._internal_client()
        return caller

    def get_token(self) -> Token:
        """A valid token: cached, or fetched now (single-flight).

        With a valid token past its refresh point, the refresh runs in the background and
        the valid token is returned at once. Token requests use ``http_client`` or an
        internal client (closed by ``close``); transport errors are retried under
        ``retry``.
        """
        entry = self._engine.entry
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token
        return self._run(self._lead.obtain(), self._sync_client)

    def sync_auth_flow(self, request: _Req) -> Generator[_Req, _Resp, None]:
        """Add ``Authorization: Bearer …``; on 401 get a new token and resend once."""
        entry = self._engine.entry
        # Decide before sending: a transport may buffer a stream while sending it.
        replayable = self._lib.replayable(request)
        if entry is not None and self._clock() < entry.refresh_at:
            request.headers["Authorization"] = entry.header
            response = yield request
            if response.status_code != 401:
                return
            flow = self._lead.after_401(request, entry.token, response, replayable=replayable)
        else:
            flow = self._lead.auth_flow(request, replayable=replayable)
        caller = self._calling_client(sys._getframe(1))
        via = self._via(caller)
        yield from self._drive(flow, caller, None if via is None else lambda: via)

    # -- the sync driver: performs the lead's actions ------------------------------------------

    def _run(
        self,
        flow: Generator[Any, Any, _T],
        get_client: Callable[[], Any],
        *,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> _T:
        """Run ``flow`` to its end, sending its token requests through ``get_client()``."""
        driver = self._drive(flow, None, get_client, errors=errors)
        try:
            next(driver)  # with a client nothing is yielded: the flow sends no request itself
        except StopIteration as stop:
            result: _T = stop.value
            return result
        driver.close()
        raise RuntimeError("a token flow yielded a request to a client driver")  # pragma: no cover

    def _drive(
        self,
        flow: Generator[Any, Any, _T],
        caller: Any,
        get_client: Callable[[], Any] | None,
        *,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> Generator[_Req, _Resp, _T]:
        """Perform ``flow``'s actions. Token requests go through ``get_client()`` (an error
        of ``errors``, default the library's HTTP error, is the flow's to handle; any other
        ends the flow) or, without one, are yielded like the caller's own request; an error
        of any other action is thrown into the flow, outside this frame's except blocks."""
        from ._engine._drivers import http_result, to_httpx_request, transport_failure
        from ._engine._flow import SendRequest

        lib = self._lib
        drive = _Drive(caller)
        outcome: Any = None
        error: BaseException | None = None
        with contextlib.ExitStack() as drive.locks:
            try:
                while True:
                    try:
                        action = flow.send(outcome) if error is None else flow.throw(error)
                    except StopIteration as stop:
                        result: _T = stop.value
                        return result
                    outcome = error = None
                    if isinstance(action, SendRequest) and get_client is not None:
                        outcome, error = self._send(get_client, action, errors)
                        continue
                    try:
                        if isinstance(action, SendRequest):
                            try:
                                response = yield to_httpx_request(action.request, lib)
                                response.read()
                            except lib.HTTPError as exc:  # never raised: .request has secrets
                                outcome = transport_failure(exc, lib)
                            else:
                                outcome = http_result(response)
                        elif isinstance(action, lib.Request):
                            outcome = yield action
                        else:
                            outcome = self._perform(action, drive)
                    except BaseException as exc:  # noqa: BLE001 - the flow decides
                        error = exc
            finally:
                flow.close()  # a lead suspended in it abandons its flight at once

    def _send(
        self,
        get_client: Callable[[], Any],
        action: Any,
        errors: tuple[type[BaseException], ...] | None,
    ) -> tuple[Any, BaseException | None]:
        """Send a token request with a client: ``(outcome, None)`` or ``(None, error to
        throw into the flow)``; an error outside ``errors`` propagates."""
        from ._engine._drivers import http_result, to_httpx_request, transport_failure

        lib = self._lib
        caught = errors if errors is not None else (lib.HTTPError,)
        try:
            response = send_credentialed(get_client(), to_httpx_request(action.request, lib))
        except caught as exc:
            if isinstance(exc, lib.HTTPError):
                return transport_failure(exc, lib), None
            return None, exc
        try:
            response.read()
        except lib.HTTPError as exc:
            return transport_failure(exc, lib), None
        except BaseException as exc:  # noqa: BLE001 - the flow decides
            return None, exc
        else:
            return http_result(response), None
        finally:
            response.close()

    def _perform(self, action: Any, drive: _Drive) -> Any:
        """Perform one action of the lead other than a send; return its outcome."""
        from ._engine._flow import CacheRead, CacheWrite, ReloadSecret, Sleep
        from ._engine._lead import DeleteIf, EnterLock, ExitLock, ReadBody, StartRefresh, WaitFlight

        if isinstance(action, CacheRead):
            return self._store.get(action.key)
        if isinstance(action, WaitFlight):
            return action.flight.wait(action.timeout)
        if isinstance(action, EnterLock):
            drive.sleep = self._lead_sleep()  # a close() from now on ends its retry sleeps
            return drive.locks.enter_context(self._store.lead_lock(refresh=action.try_once))
        if isinstance(action, ExitLock):
            drive.locks.close()
        elif isinstance(action, CacheWrite):
            self._store.set(action.key, action.token)
        elif isinstance(action, Sleep):
            (drive.sleep or self._lead_sleep())(action.seconds)
        elif isinstance(action, ReloadSecret):
            return self._reload_secret()
        elif isinstance(action, StartRefresh):
            self._refresh_in_thread(action.plan, drive.caller)
        elif isinstance(action, DeleteIf):
            self._store.delete_if(action.token)
        elif isinstance(action, ReadBody):
            action.response.read()
        return None

    # -- async ---------------------------------------------------------------------------

    async def _areload_secret(self) -> str | Secret | None:
        from ._engine._eventloop import run_in_thread

        return await run_in_thread(self._reload_secret)  # type: ignore[no-any-return]

    async def _asleep(self, seconds: float) -> None:
        if self._async_sleep is not None:
            await self._async_sleep(seconds)
            return
        await self._lead_asleep()(seconds)

    async def aget_token(self) -> Token:
        """Async ``get_token`` (asyncio or trio); never blocks the event loop."""
        entry = self._engine.entry
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token
        return await self._arun(self._lead.obtain(), self._async_http_client)

    async def async_auth_flow(self, request: _Req) -> AsyncGenerator[_Req, _Resp]:
        """Async twin of ``sync_auth_flow``: the same steps, awaited (token requests are
        yielded into the flow only when no client is known)."""
        entry = self._engine.entry
        replayable = self._lib.replayable(request)
        if entry is not None and self._clock() < entry.refresh_at:
            request.headers["Authorization"] = entry.header
            response = yield request
            if response.status_code != 401:
                return
            flow = self._lead.after_401(request, entry.token, response, replayable=replayable)
        else:
            flow = self._lead.auth_flow(request, replayable=replayable)
        from ._engine._drivers import http_result, to_httpx_request, transport_failure
        from ._engine._flow import SendRequest

        lib = self._lib
        caller = self._calling_client(sys._getframe(1))
        client = self._async_http_client or caller
        drive = _Drive(caller)
        outcome: Any = None
        error: BaseException | None = None
        async with contextlib.AsyncExitStack() as drive.alocks:
            try:
                while True:
                    try:
                        action = flow.send(outcome) if error is None else flow.throw(error)
                    except StopIteration:
                        return
                    outcome = error = None
                    if isinstance(action, SendRequest) and client is not None:
                        outcome, error = await self._asend(client, action, None)
                        continue
                    try:
                        if isinstance(action, SendRequest):
                            try:
                                response = yield to_httpx_request(action.request, lib)
                                await response.aread()
                            except lib.HTTPError as exc:  # never raised: .request has secrets
                                outcome = transport_failure(exc, lib)
                            else:
                                outcome = http_result(response)
                        elif isinstance(action, lib.Request):
                            outcome = yield action
                        else:
                            outcome = await self._aperform(action, drive)
                    except BaseException as exc:  # noqa: BLE001 - the flow decides
                        error = exc
            finally:
                flow.close()

    async def _arun(
        self,
        flow: Generator[Any, Any, _T],
        client: Any,
        *,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> _T:
        """Async twin of ``_run``: token requests go through ``client`` (``None``: a
        short-lived client of the library, made when the first request is due)."""
        from ._engine._flow import SendRequest

        own: Any = None
        drive = _Drive(None)
        outcome: Any = None
        error: BaseException | None = None
        try:
            async with contextlib.AsyncExitStack() as drive.alocks:
                try:
                    while True:
                        try:
                            action = flow.send(outcome) if error is None else flow.throw(error)
                        except StopIteration as stop:
                            result: _T = stop.value
                            return result
                        outcome = error = None
                        if isinstance(action, SendRequest):
                            if client is None:
                                own = client = self._lib.AsyncClient(timeout=10.0)
                            outcome, error = await self._asend(client, action, errors)
                            continue
                        try:
                            outcome = await self._aperform(action, drive)
                        except BaseException as exc:  # noqa: BLE001 - the flow decides
                            error = exc
                finally:
                    flow.close()
        finally:
            if own is not None:
                await own.aclose()

    async def _asend(
        self, client: Any, action: Any, errors: tuple[type[BaseException], ...] | None
    ) -> tuple[Any, BaseException | None]:
        """Async ``_send``."""
        from ._engine._drivers import http_result, to_httpx_request, transport_failure

        lib = self._lib
        caught = errors if errors is not None else (lib.HTTPError,)
        try:
            response = await asend_credentialed(client, to_httpx_request(action.request, lib))
        except caught as exc:
            if isinstance(exc, lib.HTTPError):
                return transport_failure(exc, lib), None
            return None, exc
        try:
            await response.aread()
        except lib.HTTPError as exc:
            return transport_failure(exc, lib), None
        except BaseException as exc:  # noqa: BLE001 - the flow decides
            return None, exc
        else:
            return http_result(response), None
        finally:
            await response.aclose()

    async def _aperform(self, action: Any, drive: _Drive) -> Any:
        """Async ``_perform``."""
        from ._engine._flow import CacheRead, CacheWrite, ReloadSecret, Sleep
        from ._engine._lead import DeleteIf, EnterLock, ExitLock, ReadBody, StartRefresh, WaitFlight

        if isinstance(action, CacheRead):
            return await self._store.aget(action.key)
        if isinstance(action, WaitFlight):
            return await action.flight.wait_async(action.timeout)
        if isinstance(action, EnterLock):
            drive.asleep = self._lead_asleep()  # a close() from now on ends its retry sleeps
            lock = self._store.alead_lock(refresh=action.try_once)
            return await drive.alocks.enter_async_context(lock)
        if isinstance(action, ExitLock):
            await drive.alocks.aclose()
        elif isinstance(action, CacheWrite):
            await self._store.aset(action.key, action.token)
        elif isinstance(action, Sleep):
            await (drive.asleep or self._lead_asleep())(action.seconds)
        elif isinstance(action, ReloadSecret):
            return await self._areload_secret()
        elif isinstance(action, StartRefresh):
            self._refresh_in_task(action.plan, drive.caller)
        elif isinstance(action, DeleteIf):
            await self._store.adelete_if(action.token)
        elif isinstance(action, ReadBody):
            await action.response.aread()
        return None


class PingOneWorkerAuth(
    _AuthCore[httpx.Request, httpx.Response, httpx.Client, httpx.AsyncClient], httpx.Auth
):
    """httpx authentication with PingOne worker tokens (OAuth 2.0 client credentials).

    ```python
    auth = PingOneWorkerAuth(client_id, client_secret, environment_id, region="EU")
    with httpx.Client(auth=auth) as client:
        client.get(f"https://api.pingone.eu/v1/environments/{environment_id}")
    ```

    One instance serves sync and async clients, threads and event loops (asyncio and
    trio) at the same time. When a token is fresh, stale or expired, and who waits:
    [How a token lives](../token-lifecycle.md).

    :param client_id: the worker app's client id.
    :param client_secret: its secret (a ``str`` or ``Secret``); not needed with
        ``private_key_jwt``, nor when ``secret_provider`` supplies it.
    :param environment_id: the PingOne environment id; ``None`` for another OAuth 2.0 /
        OpenID Connect server named with ``issuer`` or ``token_endpoint``.
    :param region: ``NA`` (the default), ``EU``, ``CA``, ``AU``, ``SG`` or ``AP``, as a
        ``Region`` or its code (any case).
    :param scopes: scopes to request, space-separated or as an iterable (a worker token's
        power comes from the app's roles, so usually none).
    :param token_endpoint: an explicit token endpoint URL instead of PingOne's.
    :param issuer: an OpenID Connect issuer: the endpoints come from its discovery
        document, whose ``issuer`` must match.
    :param auth_method: ``client_secret_basic`` (the default), ``client_secret_post``,
        ``client_secret_jwt`` or ``private_key_jwt``.
    :param private_key: the PEM RSA private key for ``private_key_jwt``.
    :param cache: where tokens are kept (default: a ``MemoryTokenCache`` of this
        instance); an ``EncryptedFileTokenCache`` or ``RedisTokenCache`` shares them
        between processes and hosts.
    :param refresh_ratio: the share of a token's lifetime after which it is stale and
        refreshed in the background (between 0 and 1).
    :param auth_base_url: the auth host (``https://auth.pingone.eu``, an emulator's, a
        proxy's) instead of the region's.
    :param allow_loopback_http: accept ``http://`` for a loopback host (tests, an
        emulator); every other endpoint must be HTTPS.
    :param clock: a callable returning the time in epoch seconds (default
        ``time.time``); tests move it instead of waiting.
    :param key_id: the ``kid`` of ``private_key``.
    :param strict_scopes: a requested scope that is not granted raises ``ScopeError``
        (by default it is logged and listed in ``Token.missing_scopes``).
    :param http_client: the ``httpx.Client`` that sends every token request, background
        refreshes included (default: the client whose request needs the token, else an
        internal one).
    :param async_http_client: the same for async requests, an ``httpx.AsyncClient``.
    :param secret_provider: a callable returning the secret, asked when
        ``client_secret`` is not given and once more after an ``invalid_client`` answer
        (a rotated secret).
    :param retry: the ``RetryPolicy`` of the token endpoint (408, 429 and 5xx answers,
        connect errors and timeouts; jittered backoff within a total budget).
    :param api_base_url: the Management API base URL instead of the region's.
    :param custom_domain: a PingOne custom domain (``login.example.com``) as auth host.
    :param expiry_margin: seconds before ``expires_at`` at which a token counts as
        expired.
    :param sleep: the function retry waits call in sync code (for tests).
    :param async_sleep: the same for async code.
    :param wait_timeout: the longest time, in seconds, a caller waits for another
        caller's token request before it starts its own.
    """

    _lib = HTTPX
