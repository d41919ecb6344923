"""``PingOneEmulator``: construction, snapshots and resets, the sans-IO ``respond`` and the
adapters. The scenario API lives in ``_scenario``, request handling in ``_dispatch``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import urlsplit

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker.credentials._credentials import ClientCredentials, parse_auth_method

from ._app_factory import credentials_of
from ._auth_endpoints import AUTH_ENDPOINTS
from ._clock import EmulatorClock
from ._control import describe, handle_control
from ._dispatch import dispatch, make_ctx
from ._engine import EmulatorEngine, Settings
from ._http import Ctx, EmulatorResponse, RequestRecord, api_error, raise_action
from ._roles import DEFAULT_ROLES
from ._scenario import ScenarioMixin, check_lifetime, check_rate_limit, check_roles
from ._seed import check_users, load_seed_file
from ._snapshots import EmulatorSnapshot, baseline
from ._urls import UrlsMixin

if TYPE_CHECKING:
    from types import ModuleType

    import respx

    from ._server import EmulatorServer
    from ._transport import EmulatorTransport

__all__ = ["EmulatorSnapshot", "PingOneEmulator"]

_log = get_logger("emulator")

#: Methods of requests that change nothing but what ``EmulatorEngine.rewind`` puts back. Requests to
#: the auth host (token, introspection, revocation, JWKS, discovery) change only that too.
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_AUTH_ENDPOINTS = frozenset(AUTH_ENDPOINTS.values())


class PingOneEmulator(ScenarioMixin, UrlsMixin):
    """An offline, deterministic PingOne: auth endpoints, a writable Management API, faults.

    ```pycon
    >>> emu = PingOneEmulator(users=3)
    >>> emu.credentials.environment_id == emu.environment_id
    True
    ```

    ``seed`` fixes every id, name and the seeded app's (throwaway) secret. The emulator starts
    with one SANDBOX environment in ``region`` holding one enabled WORKER app
    (``emu.credentials``) with ``roles`` assigned at environment scope (by default
    Environment Admin and Identity Data Admin, what a worker app made in PingOne's admin
    console typically holds; Organization Admin goes at organization scope), two populations,
    five groups, ``users`` users, PingOne's built-in policies and resources, and whatever
    ``seed_file`` (JSON: users, groups, populations, in the format of the emulator reference's
    *Seed files*) adds. ``clock`` is an
    ``EmulatorClock``, a callable returning epoch seconds, or ``None`` (real time).

    ``strict_auth`` (default on) rejects a client that authenticates with another method
    than its app's configured one, as PingOne does; ``assertion_leeway`` is the clock skew
    (seconds) allowed on client assertion ``exp``/``nbf``. ``rate_limit`` is Management API
    requests per minute per license (``None``: unlimited).

    ``reset`` returns to the seeded state cheaply (a snapshot restore);
    ``snapshot``/``restore`` save and return to any state. Adapters:
    ``transport`` (httpx, sync and async), ``router`` (respx), ``serve``
    (HTTPS on loopback); ``respond`` is the sans-IO entry point they share. All methods
    are thread-safe; every instance has its own state.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        region: Region | str = "NA",
        token_lifetime: int = 3600,
        auth_method: str = "client_secret_basic",
        roles: Iterable[str] = DEFAULT_ROLES,
        rate_limit: int | None = None,
        strict_auth: bool = True,
        users: int = 300,
        clock: EmulatorClock | Callable[[], float] | None = None,
        assertion_leeway: float = 5.0,
        seed_file: str | Path | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise EmulatorError(f"seed must be an int, got {seed!r}")
        check_users(users)
        check_rate_limit(rate_limit)
        self.region = Region.parse(region)
        self.auth_method = parse_auth_method(auth_method)
        self.roles = tuple(roles)
        check_roles(self.roles)
        self.users = users
        self.seed_file = None if seed_file is None else str(seed_file)
        self._seed_data = None if seed_file is None else load_seed_file(seed_file)
        self._settings = Settings(
            check_lifetime(token_lifetime), rate_limit, bool(strict_auth), float(assertion_leeway)
        )
        if isinstance(clock, EmulatorClock):
            self.clock = clock
        elif clock is None:
            self.clock = EmulatorClock()
        elif callable(clock):
            self.clock = EmulatorClock(source=clock)
        else:
            raise EmulatorError(f"clock must be an EmulatorClock or a callable, got {clock!r}")
        self._lock = threading.RLock()
        self._servers: list[EmulatorServer] = []
        self._named: dict[str, EmulatorSnapshot] = {}
        self._state: EmulatorEngine
        self._runtime = b""
        self._installed: EmulatorSnapshot | None = None
        self._changed = True
        self._rebuild(seed)

    # ------------------------------------------------------------------ state
    def _config(self, seed: int) -> str:
        s = self._settings
        return json.dumps(
            {
                "seed": seed,
                "region": self.region.value,
                "token_lifetime": s.token_lifetime,
                "rate_limit": s.rate_limit,
                "strict_auth": s.strict_auth,
                "leeway": s.assertion_leeway,
                "users": self.users,
                "auth_method": self.auth_method,
                "roles": list(self.roles),
                "seed_data": self._seed_data,
                "seed_source": self.seed_file,
            },
            sort_keys=True,
        )

    def _rebuild(self, seed: int) -> None:
        """Seed from scratch (cached per configuration) and make that the reset target."""
        with self._lock:
            blob = baseline(self._config(seed))
            engine = EmulatorEngine.restore(blob, self.clock)
            app = next(iter(next(iter(engine.world.environments.values())).apps.values()))
            self._baseline = EmulatorSnapshot(blob, app.environment_id, app.id)
            self._install(self._baseline)

    # ------------------------------------------------------------------ state
    # ``_state`` is the engine. Code that may change the directory (every scenario method,
    # the control endpoints, any request but a read) reaches it through ``_engine``, which
    # marks it changed. A restore of the snapshot installed last then only has to rewind
    # what serving reads and token requests changes (``EmulatorEngine.rewind``: tokens, ids, the
    # request log, counters, faults) instead of unpickling the whole directory, which is
    # most of what a test of the pytest plugin would otherwise cost.

    @property
    def _engine(self) -> EmulatorEngine:
        """The engine, for code that may change the directory (see above)."""
        self._changed = True
        return self._state

    def _install(self, snap: EmulatorSnapshot) -> None:
        if snap is self._installed and not self._changed:
            self._state.rewind(self._runtime, self.clock)
        else:
            self._state = EmulatorEngine.restore(snap._blob, self.clock)
            self._runtime = self._state.runtime()
            self._installed = snap
        self._changed = False
        self._default_env_id = snap._env_id
        self._default_client_id = snap._client_id

    def snapshot(self) -> EmulatorSnapshot:
        """Save the whole state (directory, apps, tokens, faults, request log) but the clock."""
        with self._lock:
            return EmulatorSnapshot(
                self._state.snapshot(), self._default_env_id, self._default_client_id
            )

    def restore(self, snapshot: EmulatorSnapshot) -> None:
        """Return to a state saved by ``snapshot`` (of any emulator)."""
        if not isinstance(snapshot, EmulatorSnapshot):
            raise EmulatorError(
                f"restore() takes an EmulatorSnapshot, got {type(snapshot).__name__}",
                hint="use the value returned by emu.snapshot()",
            )
        with self._lock:
            self._install(snapshot)

    def reset(self, *, seed: int | None = None) -> None:
        """Forget everything (writes, tokens, faults, request log, scenario changes): back to
        the seeded state. With ``seed=`` the emulator is rebuilt from that seed (new ids and
        credentials). The clock keeps its time: tokens issued before are unknown afterwards.
        """
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise EmulatorError(f"seed must be an int, got {seed!r}")
        with self._lock:
            if seed is None or seed == self._state.seed:
                self._install(self._baseline)
            else:
                self._rebuild(seed)

    def _save_named(self, name: str) -> None:
        self._named[name] = self.snapshot()

    def _restore_named(self, name: str) -> None:
        if name not in self._named:
            raise EmulatorError(
                f"no snapshot named {name!r}", hint="POST /_emulator/snapshot first"
            )
        self.restore(self._named[name])

    def _rebaseline(self) -> None:
        """Make the current state what ``reset`` returns to (for ``_trust_client_jwks``)."""
        self._baseline = self.snapshot()

    def _fault_count(self) -> int:
        return len(self._state.faults)

    # ------------------------------------------------------------------ properties
    @property
    def seed(self) -> int:
        """The seed the current state was built from."""
        return self._state.seed

    @property
    def credentials(self) -> ClientCredentials:
        """Credentials of the seeded worker app (current secret; the value is throwaway)."""
        with self._lock:
            engine = self._state  # read only: a restore need not rebuild the directory
            app = engine.world.find_app(self._default_client_id)
            if app is None:  # pragma: no cover - the seeded app cannot be deleted
                raise EmulatorError(f"no application {self._default_client_id!r} in the emulator")
            return credentials_of(engine, app)

    @property
    def environment_id(self) -> str:
        """Id of the seeded environment."""
        return self._default_env_id

    @property
    def organization_id(self) -> str:
        """Id of the emulated organization."""
        return self._state.world.organization_id

    @property
    def client_id(self) -> str:
        """Client id (= application id) of the seeded worker app."""
        return self._default_client_id

    token_lifetime = property(
        lambda self: self._state.settings.token_lifetime,
        doc="Default access token lifetime (seconds).",
    )
    rate_limit = property(
        lambda self: self._state.settings.rate_limit,
        doc="Default API requests per minute per license (None: off).",
    )
    strict_auth = property(
        lambda self: self._state.settings.strict_auth,
        doc="Whether apps must use their configured auth method.",
    )
    assertion_leeway = property(
        lambda self: self._state.settings.assertion_leeway,
        doc="Clock skew allowed on client assertions (s).",
    )

    @property
    def requests(self) -> list[RequestRecord]:
        """Redacted log of every request handled since the last reset (a copy): method,
        path, query, resource, status, client id — never headers or bodies."""
        with self._lock:
            return list(self._state.requests)

    @property
    def token_requests(self) -> int:
        """Number of requests that reached the token endpoint (failed ones included)."""
        return self._state.token_request_count

    @property
    def regions(self) -> frozenset[Region]:
        """Regions that hold at least one environment."""
        with self._lock:
            return frozenset(e.region for e in self._state.world.environments.values())

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS the emulator publishes (public keys only)."""
        with self._lock:
            return self._state.jwks()

    # ------------------------------------------------------------------ handling
    def respond(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        body: bytes | str = b"",
    ) -> EmulatorResponse:
        """Handle one request without I/O: the answer, plus any latency or connection fault
        for the adapter to apply. Every call is logged in ``requests``."""
        hdrs = dict(headers.items() if isinstance(headers, Mapping) else (headers or ()))
        data = body.encode() if isinstance(body, str) else bytes(body)
        ctx = make_ctx(method, url, hdrs, data)
        with self._lock:
            try:
                resp = dispatch(self._state, ctx, self._control)
            except Exception:  # noqa: BLE001 - a bug must answer 500, as PingOne would, not crash the server
                _log.exception("emulator: unexpected error handling %s %s", ctx.method, ctx.path)
                resp = api_error(ctx, 500, "UNEXPECTED_ERROR", "An unexpected error occurred.")
            if resp.endpoint != "control":
                self._state.log(ctx, resp)
            if ctx.method not in _READS and ctx.endpoint not in _AUTH_ENDPOINTS:
                self._changed = True  # a write, or anything the emulator does not know
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "emulator %s %s -> %s endpoint=%s client_id=%s auth_method=%s fault=%s",
                ctx.method,
                urlsplit(url).path,
                resp.status if resp.action is None else resp.action,
                resp.endpoint,
                ctx.client_id,
                ctx.auth_method,
                ctx.fault,
            )
        return resp

    def _control(self, ctx: Ctx) -> EmulatorResponse:
        return handle_control(self, ctx)

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        body: bytes | str = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        """Handle one request: ``(status, headers, body)``.

        Injected latency is slept here (real time); an injected connection failure raises
        ``httpx.ConnectError`` and a timeout ``httpx.ReadTimeout``, as a transport would.
        """
        resp = self.respond(method, url, headers, body)
        if resp.delay:
            time.sleep(resp.delay)
        raise_action(resp, method, url)
        return resp.status, dict(resp.headers), resp.body

    def _describe(self, *, include_secret: bool = False) -> dict[str, Any]:
        return describe(self, include_secret=include_secret)

    # ------------------------------------------------------------------ adapters
    @overload
    def transport(self) -> EmulatorTransport: ...
    @overload
    def transport(self, *, lib: ModuleType | None) -> Any: ...
    def transport(self, *, lib: ModuleType | None = None) -> Any:
        """An httpx transport (sync and async) serving PingOne's hosts and this emulator's
        loopback servers. ``lib=httpx2`` gives the same transport for httpx2 clients."""
        from ._transport import EmulatorTransport, transport_class

        if lib is None:
            return EmulatorTransport(self)
        return transport_class(lib)(self)

    def router(self, **kwargs: Any) -> respx.MockRouter:
        """A respx router sending PingOne's auth/API hosts of every region to the emulator.

        ``kwargs`` go to ``respx.MockRouter`` (default ``assert_all_called=False``).
        Use as ``with emu.router(): ...`` (or ``respx_mock``-style ``router.start()``).
        """
        from ._transport import make_router

        return make_router(self, **kwargs)

    @contextlib.contextmanager
    def serve(self, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[EmulatorServer]:
        """Run the threaded HTTPS server for the ``with`` block; yields the started server."""
        from ._server import EmulatorServer

        server = EmulatorServer(self, host=host, port=port)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    def _serves_host(self, host: str, port: int | None) -> bool:
        return any(s.host == host and s.port == port for s in self._servers)

    def __repr__(self) -> str:
        try:
            return (
                f"PingOneEmulator(seed={self.seed}, region={self.region.value!r}, "
                f"environment_id={self.environment_id!r}, client_id={self.client_id!r})"
            )
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return "PingOneEmulator(<not initialised>)"
