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

Where the pieces live (all in ``_engine/``): the validated settings in ``_config.py``
(``AuthConfig``); every decision around a fetch and around one request in ``_lead.py``
(``Lead``: generators of actions, sans-IO); their performance with the library in
``_perform.py`` (``Performer``: the sync and async drivers); cache access where a broken cache
is a miss in ``_guarded_cache.py``; the client choice in ``_clients.py``; the close signal and
the secret reload in ``_lifecycle.py``; the background jobs in ``_background.py``. This module
is the public class: constructors, properties, ``get_token`` / ``aget_token``,
invalidate / rotate / close and the thin ``sync_auth_flow`` / ``async_auth_flow`` drivers
(the async one yields the caller's request to httpx from its own frame, so its loop is here).
One cohesive thing (over 400 lines, half of it this docstring and the constructor's
documented keywords): one public class.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import (
    AsyncGenerator,
    Callable,
    Generator,
    Iterable,
    Mapping,
    MutableMapping,
)
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import httpx

from ._core._errors import (
    ConfigurationError,
)
from ._core._httplib import HTTPX, HttpLib
from ._core._logging import EventKind, log_event, register_held_secret
from ._core._regions import Endpoints, Region
from ._core._retry import DEFAULT_RETRY, RetryPolicy
from ._core._secrets import Secret, take_secret
from ._core._testtime import current_test_time
from ._core._token import DEFAULT_EXPIRY_MARGIN, Token
from .caches._memory import MemoryTokenCache, TokenCache
from .credentials._credentials import ClientCredentials

__all__ = ["PingOneWorkerAuth"]


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
_Self = TypeVar("_Self", bound="_AuthBase[Any, Any, Any, Any]")


def _wrap_secrets(overrides: dict[str, Any]) -> None:
    """Wrap a secret or key among a constructor's `**overrides` in place, before anything can
    fail (`overrides` is a local of the caller's frame; blank becomes None: not given)."""
    if isinstance(overrides.get("client_secret"), str):
        overrides["client_secret"] = take_secret(overrides["client_secret"])[0]
    if isinstance(overrides.get("private_key"), (str, bytes)):
        key, problem = take_secret(overrides["private_key"], allow_bytes=True)
        if problem is None:  # else the constructor names the problem
            overrides["private_key"] = key


class _AuthBase(Generic[_Req, _Resp, _Client, _AClient]):
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
        from ._engine._clients import TokenClients
        from ._engine._config import AuthConfig
        from ._engine._engine import TokenEngine
        from ._engine._guarded_cache import GuardedCache
        from ._engine._lead import Lead
        from ._engine._lifecycle import CloseSignal, SecretReload
        from ._engine._perform import Performer

        # The secret and the key are wrapped in Secret on the first line that sees them
        # (the parameters rebound): any failure below unwinds through this frame, whose
        # locals pytest -l, --junitxml and TracebackException(capture_locals=True) print.
        client_secret, bad_secret = take_secret(client_secret)
        private_key, bad_key = take_secret(private_key, allow_bytes=True)
        test_time = current_test_time()
        if test_time is not None:  # built during an emulator-mode test: retry waits on its clock
            sleep = sleep or test_time.sleep
            async_sleep = async_sleep or test_time.async_sleep
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
        self._wait_timeout = config.wait_timeout
        self._clients = TokenClients(self._lib, http_client, async_http_client)
        self._reload_secret = SecretReload(config.secret_provider)
        self._jobs = RefreshJobs()
        # Set by close(): wakes token requests sleeping before a retry.
        self._closing = CloseSignal()
        self._engine = TokenEngine(config)
        self._lead = Lead(
            self._engine, locking=self._store.locking, wait_timeout=config.wait_timeout
        )
        self._performer = Performer(
            lib=self._lib,
            engine=self._engine,
            lead=self._lead,
            store=self._store,
            clients=self._clients,
            closing=self._closing,
            reload_secret=self._reload_secret,
            jobs=self._jobs,
            sleep=config.sleep,
            async_sleep=config.async_sleep,
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
        self._closing.fire()
        self._jobs.stop(self._wait_timeout)
        self._clients.close_internal()

    async def aclose(self) -> None:
        """Async ``close``: cancels refresh tasks and waits for them (on this event loop)
        and for refresh threads (in a worker thread), without blocking the loop; a token
        request sleeping before a retry ends as with ``close``."""
        self._closing.fire()
        for job in self._jobs.cancel_tasks():
            await self._jobs.await_job(job, self._wait_timeout)
        self._clients.close_internal()

    # -- background refresh ----------------------------------------------------------------

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
        return self._performer.run(self._lead.obtain(), self._clients.sync)

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
        caller = self._clients.calling(sys._getframe(1))
        via = self._clients.via(caller)
        yield from self._performer.drive(flow, caller, None if via is None else lambda: via)

    # -- async ---------------------------------------------------------------------------

    async def aget_token(self) -> Token:
        """Async ``get_token`` (asyncio or trio); never blocks the event loop."""
        entry = self._engine.entry
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token
        return await self._performer.arun(self._lead.obtain(), self._clients.async_http_client)

    async def async_auth_flow(self, request: _Req) -> AsyncGenerator[_Req, _Resp]:
        """Async twin of ``sync_auth_flow``. Its loop is the async driver's (`Performer.arun`)
        with the caller's request, and token requests when no client is known, yielded to httpx
        from this frame."""
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
        from ._engine._perform import Drive

        lib = self._lib
        caller = self._clients.calling(sys._getframe(1))
        client = self._clients.async_via(caller)
        drive = Drive(caller)
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
                        outcome, error = await self._performer.asend(client, action, None)
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
                            outcome = await self._performer.aperform(action, drive)
                    except BaseException as exc:  # noqa: BLE001 - the flow decides
                        error = exc
            finally:
                flow.close()


class PingOneWorkerAuth(
    _AuthBase[httpx.Request, httpx.Response, httpx.Client, httpx.AsyncClient], httpx.Auth
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
