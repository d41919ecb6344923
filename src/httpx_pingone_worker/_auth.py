"""``PingOneWorkerAuth``: PingOne worker tokens inside httpx request flows (sync and async).

The public class: constructors, properties, ``get_token`` / ``aget_token``, invalidate /
rotate / close, and the thin ``sync_auth_flow`` / ``async_auth_flow`` drivers. The hot path
(a fresh token: a memory look-up and a clock read) is decided here; every other decision is
the token engine's (``_engine/``: its ``__init__`` lists the pieces, from ``AuthConfig`` and
``AuthParts`` to the sans-IO ``Lead`` and the ``Performer`` that carries out its decisions),
imported when the first auth is built, so ``from httpx_pingone_worker import
PingOneWorkerAuth`` stays close to the cost of ``import httpx``. One cohesive thing (a little
over 400 lines): one public class; a third of it is the docstrings users read, sixty lines
its documented constructor signature and the hand-over to ``AuthConfig``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncGenerator, Callable, Generator, Iterable
from typing import Any, ClassVar, Generic, TypeVar

import httpx

from ._core._errors import ConfigurationError
from ._core._httplib import HTTPX, HttpLib, RequestLike, ResponseLike
from ._core._logging import EventKind, log_event
from ._core._regions import Endpoints, Region
from ._core._retry import DEFAULT_RETRY, RetryPolicy
from ._core._secrets import Secret, SecretProvider, take_secret, wrap_secret_overrides
from ._core._token import DEFAULT_EXPIRY_MARGIN, Token
from .caches._memory import TokenCache
from .credentials._credentials import ClientCredentials

__all__ = ["PingOneWorkerAuth"]

_Req = TypeVar("_Req", bound=RequestLike)
_Resp = TypeVar("_Resp", bound=ResponseLike)
_Client = TypeVar("_Client")
_AClient = TypeVar("_AClient")
_Self = TypeVar("_Self", bound="_AuthBase[Any, Any, Any, Any]")


class _AuthBase(Generic[_Req, _Resp, _Client, _AClient]):
    """All of ``PingOneWorkerAuth``, for any httpx-compatible library.

    A concrete class mixes this with the library's ``Auth`` base and sets ``_lib``
    (``HttpLib``); the type parameters are the library's request, response, client and async
    client classes. Nothing here names httpx itself.
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
        from ._engine._assembly import AuthParts
        from ._engine._config import AuthConfig

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
        self._clock = config.clock
        parts = AuthParts(self._lib, config, cache, http_client, async_http_client)
        self._store = parts.store
        self._clients = parts.clients
        self._jobs = parts.jobs
        self._closing = parts.closing
        self._engine = parts.engine
        self._lead = parts.lead
        self._performer = parts.performer

    # -- constructors --------------------------------------------------------------------

    @classmethod
    def from_env(cls: type[_Self], **overrides: Any) -> _Self:
        """Build from ``PINGONE_*`` environment variables (and optional files).

        Accepts every [`resolve_settings`][httpx_pingone_worker.resolve_settings] argument (``env``,
        ``env_file``, ``settings_file``, ``client_id`` …) plus any constructor keyword;
        explicit keywords win. Missing settings raise one ``ConfigurationError``
        listing all of them.
        """
        wrap_secret_overrides(overrides)  # first: nothing below may see them raw
        from ._engine._assembly import env_options

        credentials, options = env_options(overrides)
        return cls.from_credentials(credentials, **options)

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
        wrap_secret_overrides(overrides)  # first: nothing below may see them raw
        from ._engine._assembly import credentials_options

        return cls(**credentials_options(credentials, overrides))

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
        from ._engine._assembly import store_options

        credentials, options = store_options(client_id, directory, kwargs)
        return cls.from_credentials(credentials, **options)

    # -- attributes ----------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The worker app's client id."""
        return self._config.client_id

    @property
    def environment_id(self) -> str | None:
        """The PingOne environment id (``None`` for a custom OIDC server without one)."""
        return self._config.environment_id

    @property
    def region(self) -> Region:
        """The PingOne region."""
        return self._config.region

    @property
    def scopes(self) -> frozenset[str]:
        """The requested scopes."""
        return self._config.scopes

    @property
    def endpoints(self) -> Endpoints | None:
        """The environment's endpoints; with ``issuer=`` filled after discovery."""
        return self._engine.discovered or self._config.endpoints

    @property
    def issuer(self) -> str | None:
        """The ``issuer=`` given (discovery reads its endpoints), else the known issuer URL."""
        return self._engine.issuer or self._config.known_issuer

    @property
    def token_endpoint(self) -> str | None:
        """The token endpoint URL (``None`` until discovered with ``issuer=``)."""
        return self._engine.token_endpoint

    @property
    def api_base_url(self) -> str:
        """Base URL of the PingOne Platform API for this region / override."""
        return self._config.api_base_url

    @property
    def cache(self) -> TokenCache:
        """The token cache."""
        return self._store.cache

    @property
    def cache_key(self) -> str:
        """This instance's cache key (issuer/endpoint + client id + scopes, hashed)."""
        return self._config.cache_key

    @property
    def credentials(self) -> ClientCredentials:
        """The credentials in use (with the current, possibly rotated, secret).

        ``environment_id`` is ``None`` for a custom OIDC server (``token_endpoint=`` or
        ``issuer=`` without an environment): the credentials still authenticate the client,
        e.g. to ``introspect_token``.
        """
        return self._config.credentials(self._engine.client_secret)

    @property
    def current_token(self) -> Token | None:
        """The token held in memory, without I/O (may be stale or expired)."""
        return self._engine.current_token

    def __repr__(self) -> str:
        from ._engine._assembly import auth_repr

        return auth_repr(self)

    def __reduce__(self) -> Any:
        raise TypeError("PingOneWorkerAuth refuses to be pickled: it holds a secret")

    # -- invalidate, rotate, close, wait for a refresh -------------------------------------

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
        self._jobs.stop(self._config.wait_timeout)
        self._clients.close_internal()

    async def aclose(self) -> None:
        """Async ``close``: cancels refresh tasks and waits for them (on this event loop)
        and for refresh threads (in a worker thread), without blocking the loop; a token
        request sleeping before a retry ends as with ``close``."""
        self._closing.fire()
        for job in self._jobs.cancel_tasks():
            await self._jobs.await_job(job, self._config.wait_timeout)
        self._clients.close_internal()

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

    # -- tokens and request flows ----------------------------------------------------------

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
        yield from self._performer.drive_request(flow, self._clients.calling(sys._getframe(1)))

    async def aget_token(self) -> Token:
        """Async ``get_token`` (asyncio or trio); never blocks the event loop."""
        entry = self._engine.entry
        if entry is not None and self._clock() < entry.refresh_at:
            return entry.token
        return await self._performer.arun(self._lead.obtain(), self._clients.async_http_client)

    async def async_auth_flow(self, request: _Req) -> AsyncGenerator[_Req, _Resp]:
        """Async twin of ``sync_auth_flow``."""
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
        driver = self._performer.adrive_request(flow, self._clients.calling(sys._getframe(1)))
        try:
            outgoing = await driver.__anext__()
            while True:
                incoming = yield outgoing
                outgoing = await driver.asend(incoming)
        except StopAsyncIteration:
            return
        finally:
            await driver.aclose()


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
