"""The ``pingone_*`` fixtures.

Every heavy import (the emulator, the auth engine, the Management API client)
happens inside a fixture, so loading the plugin costs next to nothing for suites that
never ask for PingOne.

One cohesive thing (over 400 lines): the fixtures are one dependency graph (emulator →
credentials → auth → token / client → worker app), each built on the one before, with the
per-configuration emulator pool and the emulator-clock wiring they share; a reader follows it
top to bottom here.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from ._config import Mode, get_config
from ._events import PingOneEvents
from ._markers import EmulatorSettings, MarkerError, settings_for

if TYPE_CHECKING:
    import ssl

    import httpx

    from httpx_pingone_worker import (
        AsyncPingOneClient,
        ClientCredentials,
        Introspection,
        PingOneClient,
        Token,
        WorkerApp,
    )
    from httpx_pingone_worker._auth import PingOneWorkerAuth
    from httpx_pingone_worker.emulator import EmulatorClock, EmulatorSnapshot, PingOneEmulator
    from httpx_pingone_worker.management._models import Environment

__all__ = [
    "EVENTS_KEY",
    "ROUTER_KEY",
    "SETTINGS_KEY",
    "XDIST_KEY_NAME",
    "AsyncClientFactory",
    "PingOneEmulatorServer",
    "emulator_client_kwargs",
    "item_settings",
    "pingone_aclient",
    "pingone_async_client",
    "pingone_auth",
    "pingone_client",
    "pingone_credentials",
    "pingone_emulator",
    "pingone_emulator_server",
    "pingone_emulator_server_env",
    "pingone_environment",
    "pingone_events",
    "pingone_introspection",
    "pingone_token",
    "pingone_worker_app",
]

SETTINGS_KEY = pytest.StashKey[EmulatorSettings]()
#: The `PingOneRouting` of the test's ``pingone_emulator`` (for white-box tests).
ROUTER_KEY = pytest.StashKey[Any]()


def item_settings(item: pytest.Item) -> EmulatorSettings:
    """The merged ``pingone`` marker settings of ``item`` (validated once, then stashed)."""
    try:
        return item.stash[SETTINGS_KEY]
    except KeyError:
        pass
    try:
        settings = settings_for(item)
    except MarkerError as exc:
        problem = str(exc)
    else:
        item.stash[SETTINGS_KEY] = settings
        return settings
    # Failed outside the except block, so the report shows the message once (no chain).
    pytest.fail(problem, pytrace=False)


def _fake_env(monkeypatch: pytest.MonkeyPatch, credentials: ClientCredentials) -> None:
    """Replace every PINGONE_* variable with the emulator's (fake) values for the test."""
    for name in list(os.environ):
        if name.startswith("PINGONE_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PINGONE_CLIENT_ID", credentials.client_id)
    if credentials.client_secret is not None:
        monkeypatch.setenv("PINGONE_CLIENT_SECRET", credentials.client_secret.get_secret_value())
    if credentials.environment_id is not None:
        monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", credentials.environment_id)
    monkeypatch.setenv("PINGONE_REGION", credentials.region.value)


def _missing_extra(exc: ImportError) -> NoReturn:
    pytest.fail(
        f"the PingOne emulator fixtures need {exc.name or 'an optional dependency'}: "
        "pip install 'httpx-pingone-worker[emulator]'",
        pytrace=False,
    )


def _seed(config: pytest.Config, emulator: PingOneEmulator) -> None:
    config.hook.pytest_pingone_seed(emulator=emulator)


def _need_live(config: pytest.Config) -> ClientCredentials:
    """Live credentials, or skip (fail under --pingone-require-live) with the reason."""
    cfg = get_config(config)
    if cfg.live_credentials is None:
        reason = cfg.live_unavailable_reason()
        if cfg.require_live:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return cfg.live_credentials


#: Emulators of this session by configuration: (emulator, its seeded snapshot).
_POOL_KEY = pytest.StashKey[dict[str, tuple["PingOneEmulator", "EmulatorSnapshot"]]]()


def _pooled_emulator(
    config: pytest.Config, kwargs: dict[str, Any]
) -> tuple[PingOneEmulator, EmulatorSnapshot]:
    """The session's emulator for ``kwargs``, back in its seeded state with a fresh clock.

    Built and seeded (``pytest_pingone_seed``) once per configuration; every later test gets
    it restored from the snapshot taken after seeding, which is what a new emulator would
    hold, for a fraction of the cost of building one.
    """
    from httpx_pingone_worker.emulator import EmulatorClock, PingOneEmulator

    pool = config.stash.setdefault(_POOL_KEY, {})
    key = json.dumps(kwargs, sort_keys=True, default=str)
    entry = pool.get(key)
    if entry is None:
        emulator = PingOneEmulator(**kwargs)
        _seed(config, emulator)
        entry = pool[key] = (emulator, emulator.snapshot())
    else:
        emulator = entry[0]
        emulator.clock = EmulatorClock()  # a test that advanced time leaves nothing behind
        emulator.restore(entry[1])
    return entry


def _release(config: pytest.Config, emulator: PingOneEmulator, seed: int) -> None:
    """Drop an emulator the test rebuilt (``reset(seed=...)``) from the pool."""
    if emulator.seed != seed:
        pool = config.stash.get(_POOL_KEY, {})
        for key, (pooled, _) in list(pool.items()):
            if pooled is emulator:
                del pool[key]


@pytest.fixture
def pingone_emulator(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PingOneEmulator]:
    """A PingOne emulator in the seeded state for this test, shaped by the nearest ``pingone``
    marker.

    While the test runs, httpx requests to the emulator's PingOne hosts are served by it,
    requests to other PingOne hosts are refused (see ``--pingone-allow-passthrough``), and
    ``PINGONE_*`` hold the emulator's fake credentials. Every test starts from the seeded
    state with a fresh clock: the emulator is built once per configuration and restored
    from a snapshot before each test (cheap), so nothing a test writes is seen by another.
    ``pingone_emulator.requests`` lists what the code under test sent. Skipped in live mode.
    """
    cfg = get_config(request.config)
    if cfg.mode is Mode.LIVE:
        pytest.skip("pingone_emulator needs emulator mode; this run uses a live tenant")
    settings = item_settings(request.node)
    from httpx_pingone_worker import EmulatorError

    from ._routing import routing_for

    problem: str | None = None
    kwargs = settings.constructor_kwargs(default_region=cfg.region)
    if "seed_file" in kwargs:  # relative to the test's own file, so fixtures sit beside tests
        kwargs["seed_file"] = Path(request.node.path).parent / kwargs["seed_file"]
    try:
        emulator, _ = _pooled_emulator(request.config, kwargs)
        for fault in settings.faults:
            emulator.inject_fault(**fault)
    except EmulatorError as exc:  # a role name, rate limit or fault the emulator rejects
        problem = f"pingone marker or pytest_pingone_seed: {exc}"
    if problem is not None:  # failed outside the except block: the message shows once
        pytest.fail(problem, pytrace=False)
    seed = emulator.seed
    _fake_env(monkeypatch, emulator.credentials)
    routing = routing_for(request.config, allow_passthrough=cfg.allow_passthrough)
    routing.activate(emulator)
    request.node.stash[ROUTER_KEY] = routing
    from httpx_pingone_worker._core._testtime import TestTime, set_test_time

    # Clients the code under test builds itself (PingOneClient.from_env() …) wait on the
    # emulator's clock too: their default limiter, backoff and Retry-After.
    clock = emulator.clock
    set_test_time(TestTime(clock.now, _advance(clock), _async_advance(clock)))
    try:
        yield emulator
    finally:
        set_test_time(None)
        routing.deactivate()
        _release(request.config, emulator, seed)


@dataclass(frozen=True, slots=True, repr=False)
class PingOneEmulatorServer:
    """The session's emulator behind a real HTTPS server on 127.0.0.1.

    Point any HTTP client at ``auth_base_url`` / ``api_base_url`` and trust
    ``ssl_context`` (or ``ca_file``). ``http_client`` and ``auth`` build
    ready-made ones. After every test the emulator is restored to ``baseline``, the
    state seeded at session start, so one test's writes are invisible to the next.
    """

    emulator: PingOneEmulator
    server: Any
    baseline: EmulatorSnapshot
    _clients: list[httpx.Client] = field(default_factory=list)

    @property
    def auth_base_url(self) -> str:
        """``https://127.0.0.1:<port>`` standing in for ``https://auth.pingone.<tld>``."""
        return str(self.server.auth_base_url)

    @property
    def api_base_url(self) -> str:
        """The Management API base URL (``…/v1``) of the server."""
        return str(self.server.api_base_url)

    @property
    def url(self) -> str:
        """The server's root URL (control endpoints live under ``/_emulator/``)."""
        return str(self.server.url)

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts the server's test CA."""
        ctx: ssl.SSLContext = self.server.ssl_context
        return ctx

    @property
    def ca_file(self) -> str:
        """Path of the test CA's PEM file (for ``verify=`` or ``SSL_CERT_FILE``)."""
        return str(self.server.ca_file)

    @property
    def credentials(self) -> ClientCredentials:
        """The seeded worker app's credentials (``repr`` masks the secret)."""
        return self.emulator.credentials

    def http_client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` that trusts the server's certificate (closed after the test)."""
        import httpx

        kwargs.setdefault("verify", self.ssl_context)
        client = httpx.Client(**kwargs)
        self._clients.append(client)
        return client

    def close_clients(self) -> None:
        """Close every client made by ``http_client`` / ``auth`` (done after each test)."""
        while self._clients:
            self._clients.pop().close()

    def auth(self, **kwargs: Any) -> PingOneWorkerAuth:
        """A ``PingOneWorkerAuth`` for the seeded app, pointed at this server."""
        from httpx_pingone_worker import PingOneWorkerAuth

        creds = self.credentials
        kwargs.setdefault("auth_base_url", self.auth_base_url)
        kwargs.setdefault("api_base_url", self.api_base_url)
        kwargs.setdefault("http_client", self.http_client())
        kwargs.setdefault("clock", self.emulator.clock.now)
        kwargs.setdefault("sleep", _advance(self.emulator.clock))  # retry waits: emulator time
        kwargs.setdefault("async_sleep", _async_advance(self.emulator.clock))
        return PingOneWorkerAuth.from_credentials(creds, **kwargs)

    def env(self) -> dict[str, str]:
        """The settings of the seeded worker app for another process or for `from_env()`.

        ``PINGONE_CLIENT_ID``, ``PINGONE_CLIENT_SECRET`` (the emulator's throwaway value),
        ``PINGONE_ENVIRONMENT_ID``, ``PINGONE_REGION``, ``PINGONE_AUTH_BASE_URL``,
        ``PINGONE_API_BASE_URL`` and ``SSL_CERT_FILE`` (the server's test CA): pass them as a
        subprocess's environment (``env={**os.environ, **server.env()}``) or use the
        `pingone_emulator_server_env` fixture, which sets them for the test.
        """
        creds = self.credentials
        secret = creds.client_secret.get_secret_value() if creds.client_secret else ""
        return {
            "PINGONE_CLIENT_ID": creds.client_id,
            "PINGONE_CLIENT_SECRET": secret,
            "PINGONE_ENVIRONMENT_ID": creds.environment_id or "",
            "PINGONE_REGION": creds.region.value,
            "PINGONE_AUTH_BASE_URL": self.auth_base_url,
            "PINGONE_API_BASE_URL": self.api_base_url,
            "SSL_CERT_FILE": self.ca_file,
        }

    def __repr__(self) -> str:
        return f"<PingOneEmulatorServer {self.url} client_id={self.credentials.client_id}>"


@pytest.fixture(scope="session")
def _pingone_emulator_server_session(
    pytestconfig: pytest.Config,
) -> Iterator[PingOneEmulatorServer]:
    cfg = get_config(pytestconfig)
    if cfg.mode is Mode.LIVE:
        pytest.skip("pingone_emulator_server needs emulator mode; this run uses a live tenant")
    from httpx_pingone_worker.emulator import PingOneEmulator

    emulator = PingOneEmulator(region=cfg.region)
    _seed(pytestconfig, emulator)
    baseline = emulator.snapshot()
    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(emulator.serve())
        except ImportError as exc:  # trustme (certificates) is in the [emulator] extra
            _missing_extra(exc)
        yield PingOneEmulatorServer(emulator=emulator, server=server, baseline=baseline)


@pytest.fixture
def pingone_emulator_server(
    _pingone_emulator_server_session: PingOneEmulatorServer,
) -> Iterator[PingOneEmulatorServer]:
    """The session-wide emulator behind real HTTPS (127.0.0.1, port 0), restored to its
    seeded state after each test (also under xdist: one server per worker).

    For code that must make real network calls (other processes, non-httpx clients).
    ``pingone`` markers do not apply to it: it is shared by the session.
    """
    server = _pingone_emulator_server_session
    try:
        yield server
    finally:
        server.close_clients()
        server.emulator.restore(server.baseline)


@pytest.fixture
def pingone_emulator_server_env(
    pingone_emulator_server: PingOneEmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Sets `PingOneEmulatorServer.env` (``PINGONE_*`` and ``SSL_CERT_FILE``) for the test.

    For code that reads its settings from the environment (``PingOneClient.from_env()``,
    ``PingOneWorkerAuth.from_env()``, a console run in-process) and talks to the server over
    real HTTPS. Every other ``PINGONE_*`` variable is removed for the test; all are restored
    afterwards. Returns the variables set.
    """
    values = pingone_emulator_server.env()
    for name in list(os.environ):
        if name.startswith("PINGONE_"):
            monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def pingone_credentials(request: pytest.FixtureRequest) -> ClientCredentials:
    """The worker app's ``ClientCredentials`` (secret masked).

    Emulator mode: the emulator's seeded app. Live mode: from the
    ``pytest_pingone_credentials`` hook or ``PINGONE_*``.
    """
    if get_config(request.config).mode is Mode.LIVE:
        return _need_live(request.config)
    emulator: PingOneEmulator = request.getfixturevalue("pingone_emulator")
    return emulator.credentials


@pytest.fixture(scope="session")
def _pingone_live_auth(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PingOneWorkerAuth]:
    creds = _need_live(pytestconfig)
    cfg = get_config(pytestconfig)
    from httpx_pingone_worker import PingOneWorkerAuth

    auth = PingOneWorkerAuth.from_credentials(
        creds,
        auth_base_url=cfg.auth_base_url,
        api_base_url=cfg.api_base_url,
        cache=_shared_live_cache(pytestconfig, tmp_path_factory),
    )
    try:
        yield auth
    finally:
        auth.close()


XDIST_KEY_NAME = "pingone_token_cache_key"


def _shared_live_cache(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Under pytest-xdist: an encrypted file cache the workers of this run share.

    The controller hands every worker the same fresh key through xdist's in-memory
    ``workerinput`` (never a file); the cache lives in the run's temp directory (the
    parent of each worker's base temp). Outside xdist, or without the storage layer,
    ``None``: the auth's own memory cache.
    """
    workerinput = getattr(config, "workerinput", None)
    if not isinstance(workerinput, dict) or not workerinput.get(XDIST_KEY_NAME):
        return None
    try:
        from httpx_pingone_worker import EncryptedFileTokenCache
    except ImportError:  # the storage layer is not installed: per-worker memory cache
        return None
    shared = tmp_path_factory.getbasetemp().parent / "pingone-live-token-cache"
    return EncryptedFileTokenCache(shared, key=str(workerinput[XDIST_KEY_NAME]))


@pytest.fixture
def pingone_auth(request: pytest.FixtureRequest) -> Iterator[PingOneWorkerAuth]:
    """A [`PingOneWorkerAuth`][httpx_pingone_worker.PingOneWorkerAuth] for the worker app.

    Emulator mode: a new one per test, on the emulator's clock. Live mode: one per
    session (and one token shared by xdist workers through the encrypted file cache).
    """
    if get_config(request.config).mode is Mode.LIVE:
        live: PingOneWorkerAuth = request.getfixturevalue("_pingone_live_auth")
        yield live
        return
    emulator: PingOneEmulator = request.getfixturevalue("pingone_emulator")
    auth = _emulator_auth(emulator)
    try:
        yield auth
    finally:
        auth.close()


def _emulator_auth(emulator: PingOneEmulator) -> PingOneWorkerAuth:
    """A `PingOneWorkerAuth` of the emulator's worker app, on the emulator's clock."""
    from httpx_pingone_worker import PingOneWorkerAuth

    creds = emulator.credentials
    clock = emulator.clock
    return PingOneWorkerAuth.from_credentials(
        creds,
        clock=clock.now,
        # A token request's retry waits (429 Retry-After, backoff) pass on the emulator's clock.
        sleep=_advance(clock),
        async_sleep=_async_advance(clock),
    )


@contextlib.contextmanager
def _client_auth(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[PingOneWorkerAuth, ClientCredentials, PingOneEmulator | None]]:
    """The auth, credentials and emulator (``None`` live) of the test's API clients.

    The test's ``pingone_auth`` when it uses one (so they share its token); otherwise, in
    emulator mode, an auth of the client's own, closed afterwards (two fixtures fewer to set
    up for the most common test, which asks for a client only).
    """
    if get_config(request.config).mode is Mode.LIVE:
        yield (
            request.getfixturevalue("pingone_auth"),
            request.getfixturevalue("pingone_credentials"),
            None,
        )
        return
    emulator: PingOneEmulator = request.getfixturevalue("pingone_emulator")
    if "pingone_auth" in request.fixturenames:
        yield request.getfixturevalue("pingone_auth"), emulator.credentials, emulator
        return
    auth = _emulator_auth(emulator)
    try:
        yield auth, emulator.credentials, emulator
    finally:
        auth.close()


def _advance(clock: EmulatorClock) -> Callable[[float], None]:
    """A sleep that moves ``clock`` forward instead of waiting."""

    def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return sleep


def _async_advance(clock: EmulatorClock) -> Callable[[float], Awaitable[None]]:
    """An async sleep that moves ``clock`` forward instead of waiting."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    return sleep


def emulator_client_kwargs(emulator: PingOneEmulator) -> dict[str, Any]:
    """What makes a Management API client run at memory speed on ``emulator``.

    The emulator's in-process transport (no TLS context, no socket), and every wait the
    client makes (its ``RateLimiter``, retry backoff, ``Retry-After``) passed on the
    emulator's clock: the limiter keeps its default rate and burst, and the emulator's own
    rate limit still answers ``429`` with ``Retry-After``, but no test sleeps in real time.
    """
    from httpx_pingone_worker import RateLimiter

    clock = emulator.clock
    return {
        "transport": emulator.transport(),
        "clock": clock.now,
        "rate_limiter": RateLimiter(
            clock=clock.now, sleep=_advance(clock), async_sleep=_async_advance(clock)
        ),
    }


@pytest.fixture
def pingone_token(pingone_auth: PingOneWorkerAuth) -> Token:
    """A current access [`Token`][httpx_pingone_worker.Token] (``repr`` shows a fingerprint)."""
    return pingone_auth.get_token()


@pytest.fixture
def pingone_introspection(
    pingone_auth: PingOneWorkerAuth, pingone_token: Token, pingone_credentials: ClientCredentials
) -> Introspection:
    """The introspection (RFC 7662) of ``pingone_token``."""
    from httpx_pingone_worker import introspect_token

    endpoints = pingone_auth.endpoints
    url = endpoints.introspection if endpoints is not None else None
    if url is None:  # pragma: no cover - PingOne always has one; a custom issuer may not
        pytest.skip("the token issuer publishes no introspection endpoint")
    return introspect_token(url, pingone_token.access_token, pingone_credentials)


@pytest.fixture
def pingone_client(request: pytest.FixtureRequest) -> Iterator[PingOneClient]:
    """An open ``PingOneClient`` for the worker app's environment.

    It uses the test's ``pingone_auth`` when the test asks for that too (one token for both).
    In emulator mode it runs on the emulator's transport and clock (see the module's docs).
    """
    from httpx_pingone_worker import PingOneClient

    with _client_auth(request) as (auth, credentials, emulator):
        kwargs: dict[str, Any] = {"api_base_url": auth.api_base_url}
        if emulator is not None:
            kwargs.update(emulator_client_kwargs(emulator))
            kwargs["sleep"] = _advance(emulator.clock)
        with PingOneClient(
            auth=auth,
            environment_id=credentials.environment_id,
            region=credentials.region,
            **kwargs,
        ) as client:
            yield client


class AsyncClientFactory:
    """Builds ``AsyncPingOneClient`` s inside an async test.

    Async fixtures need an async pytest plugin and an event loop chosen by the test, so
    this fixture is synchronous and the test opens the client itself:

    ```python
    @pytest.mark.anyio
    async def test_env(pingone_async_client):
        async with pingone_async_client() as client:
            env = await client.get_environment()
    ```
    """

    def __init__(
        self,
        auth: PingOneWorkerAuth,
        credentials: ClientCredentials,
        emulator: PingOneEmulator | None = None,
    ) -> None:
        self._auth = auth
        self._credentials = credentials
        self._emulator = emulator

    def __call__(self, **kwargs: Any) -> AsyncPingOneClient:
        """A new, unopened client; use it as ``async with factory() as client:``."""
        from httpx_pingone_worker import AsyncPingOneClient

        kwargs.setdefault("auth", self._auth)
        kwargs.setdefault("environment_id", self._credentials.environment_id)
        kwargs.setdefault("region", self._credentials.region)
        kwargs.setdefault("api_base_url", self._auth.api_base_url)
        emulator = self._emulator
        if emulator is not None:
            for name, value in emulator_client_kwargs(emulator).items():
                kwargs.setdefault(name, value)
            kwargs.setdefault("sleep", _async_advance(emulator.clock))
        return AsyncPingOneClient(**kwargs)

    def __repr__(self) -> str:
        return f"<AsyncClientFactory environment_id={self._credentials.environment_id}>"


@pytest.fixture
def pingone_async_client(request: pytest.FixtureRequest) -> Iterator[AsyncClientFactory]:
    """A factory for async Management API clients: ``async with pingone_async_client() as c``."""
    with _client_auth(request) as (auth, credentials, emulator):
        yield AsyncClientFactory(auth, credentials, emulator)


@pytest.fixture
async def pingone_aclient(
    pingone_async_client: AsyncClientFactory,
) -> AsyncIterator[AsyncPingOneClient]:
    """An open `AsyncPingOneClient` for the worker app's environment (closed afterwards).

    An async fixture: the test runs under an async plugin, e.g. anyio's
    (``@pytest.mark.anyio``, asyncio or trio through ``anyio_backend``) or pytest-asyncio.
    Same client as ``async with pingone_async_client() as client:``, on the emulator's
    transport and clock in emulator mode.
    """
    async with pingone_async_client() as client:
        yield client


@pytest.fixture
def pingone_worker_app(
    pingone_client: PingOneClient, pingone_credentials: ClientCredentials
) -> WorkerApp:
    """The worker app as discovered through the Management API (name, enabled, roles)."""
    from httpx_pingone_worker import discover_worker_app

    return discover_worker_app(pingone_client, pingone_credentials.client_id)


@pytest.fixture
def pingone_environment(pingone_client: PingOneClient) -> Environment:
    """The worker app's environment (``GET /environments/{id}``)."""
    return pingone_client.get_environment()


EVENTS_KEY = pytest.StashKey[PingOneEvents]()


@pytest.fixture
def pingone_events(request: pytest.FixtureRequest) -> PingOneEvents:
    """The library's log events of this test, already redacted (like ``caplog``).

    Capture starts before the first fixture of the test is set up, so events of
    fixtures requested before ``pingone_events`` (a token fetch …) are included.
    """
    stash: pytest.Stash = request.node.stash
    # Our runtest_protocol wrapper put it there; setdefault covers items it never saw.
    return stash.setdefault(EVENTS_KEY, PingOneEvents())
