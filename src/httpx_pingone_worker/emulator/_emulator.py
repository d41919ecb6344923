"""``PingOneEmulator``: state, scenario API and the sans-IO ``handle``."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, overload
from urllib.parse import urlsplit

from httpx_pingone_worker._credentials import ClientCredentials, parse_auth_method
from httpx_pingone_worker._errors import EmulatorError
from httpx_pingone_worker._logging import get_logger
from httpx_pingone_worker._regions import Region
from httpx_pingone_worker._secrets import Secret

from ._clock import EmulatorClock
from ._faults import Fault, make_fault
from ._handler import (
    EmulatorResponse,
    RequestRecord,
    _Ctx,
    _json_body,
    api_error,
    dispatch,
    record_active,
    token_hash,
)
from ._keys import SigningKey, signing_key
from ._state import ROLE_NAMES, App, Environment, IssuedToken, RoleAssignment, World

if TYPE_CHECKING:
    from types import ModuleType

    import respx

    from httpx_pingone_worker._httplib import HttpLib

    from ._server import EmulatorServer
    from ._transport import EmulatorTransport

__all__ = ["PingOneEmulator"]

_log = get_logger("emulator")

MIN_TOKEN_LIFETIME = 1
MAX_TOKEN_LIFETIME = 2_592_000
DEFAULT_GRACE_SECONDS = 86_400
#: Scopes the seeded worker app may request (worker tokens for the Platform API usually
#: carry none: their power comes from role assignments).
DEFAULT_APP_SCOPES = ("openid", "p1:read:user", "p1:read:env")


def _check_lifetime(seconds: int) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise EmulatorError(f"token_lifetime must be an int of seconds, got {seconds!r}")
    if not MIN_TOKEN_LIFETIME <= seconds <= MAX_TOKEN_LIFETIME:
        raise EmulatorError(
            f"token_lifetime {seconds}s is out of range",
            hint=f"use {MIN_TOKEN_LIFETIME}..{MAX_TOKEN_LIFETIME} seconds (PingOne itself "
            "allows 300..2592000; shorter lifetimes are an emulator convenience for tests)",
        )
    return seconds


class PingOneEmulator:
    """An offline, deterministic PingOne: auth endpoints, a Management API subset, faults.

    >>> emu = PingOneEmulator(users=3)
    >>> emu.credentials.environment_id == emu.environment_id
    True

    ``seed`` fixes every id, name and the seeded app's (throwaway) secret. The emulator starts
    with one SANDBOX environment in ``region`` holding one enabled WORKER app
    (``emu.credentials``) with ``roles`` assigned at environment scope, two populations,
    five groups and ``users`` users. ``clock`` is an :class:`EmulatorClock`, a callable
    returning epoch seconds (followed, plus :meth:`EmulatorClock.advance`), or ``None``
    (real time plus offset).

    ``strict_auth`` (default on) rejects a client that authenticates with another method
    than its app's configured one (``invalid_client`` "Unsupported authentication
    method"), as PingOne does; ``assertion_leeway`` is the clock skew (seconds) allowed on
    client assertion ``exp``/``nbf``. ``rate_limit`` is Management API requests per minute
    per license (``None``: unlimited). Client assertions are checked against the emulator
    clock: after :meth:`EmulatorClock.advance`, give clients ``clock=emu.clock``.

    Adapters: :meth:`transport` (httpx, sync and async), :meth:`router` (respx),
    :meth:`serve` (HTTPS on loopback). :meth:`handle` is the one sans-IO entry point they
    share. All methods are thread-safe.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        region: Region | str = "NA",
        token_lifetime: int = 3600,
        auth_method: str = "client_secret_basic",
        roles: Iterable[str] = ("Environment Admin",),
        rate_limit: int | None = None,
        strict_auth: bool = True,
        users: int = 300,
        clock: EmulatorClock | Callable[[], float] | None = None,
        assertion_leeway: float = 5.0,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise EmulatorError(f"seed must be an int, got {seed!r}")
        if isinstance(users, bool) or not isinstance(users, int) or users < 0:
            raise EmulatorError(f"users must be an int >= 0, got {users!r}")
        self._check_rate_limit(rate_limit)
        self.region = Region.parse(region)
        self.token_lifetime = _check_lifetime(token_lifetime)
        self.auth_method = parse_auth_method(auth_method)
        self.roles = tuple(roles)
        self._check_roles(self.roles)
        self.rate_limit = rate_limit
        self.strict_auth = bool(strict_auth)
        self.users = users
        self.assertion_leeway = float(assertion_leeway)
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
        self._seed = seed
        self._build(seed)

    # ------------------------------------------------------------------ state
    def _build(self, seed: int) -> None:
        self._seed = seed
        self._world = World(seed)
        self._signing_index = 0
        self._signing_keys: list[SigningKey] = [signing_key(seed, "signing", 0)]
        self._client_key_index = 0
        self._faults: list[Fault] = []
        self._requests: list[RequestRecord] = []
        self._token_request_count = 0
        self._rate_windows: dict[str, deque[float]] = {}
        self._last_fault: str | None = None
        self._current_ctx: _Ctx | None = None
        env = self._world.add_environment(
            name="Emulator Sandbox",
            region=self.region,
            description="Seeded by httpx_pingone_worker.emulator",
        )
        self._world.seed_directory(env, self.users)
        self._default_env = env
        self._credentials = self._add_app(
            env,
            name="Emulator Worker",
            auth_method=self.auth_method,
            enabled=True,
            roles=self.roles,
            scopes=DEFAULT_APP_SCOPES,
        )

    def reset(self, *, seed: int | None = None) -> None:
        """Forget everything (tokens, faults, request log, scenario changes) and re-seed.

        With ``seed=`` the emulator is rebuilt from that seed (new ids and credentials).
        The clock keeps its time: tokens issued before the reset are unknown afterwards.
        """
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise EmulatorError(f"seed must be an int, got {seed!r}")
        with self._lock:
            self._build(self._seed if seed is None else seed)

    @property
    def seed(self) -> int:
        """The seed the current state was built from."""
        return self._seed

    @property
    def credentials(self) -> ClientCredentials:
        """Credentials of the seeded worker app (current secret; the value is throwaway)."""
        return self._credentials

    @property
    def environment_id(self) -> str:
        """Id of the seeded environment."""
        return self._default_env.id

    @property
    def organization_id(self) -> str:
        """Id of the emulated organization."""
        return self._world.organization_id

    @property
    def client_id(self) -> str:
        """Client id (= application id) of the seeded worker app."""
        return self._credentials.client_id

    @property
    def auth_base_url(self) -> str:
        """``https://auth.pingone.<tld>`` of the emulator's region (served by the adapters)."""
        return self.region.auth_base_url

    @property
    def api_base_url(self) -> str:
        """``https://api.pingone.<tld>/v1`` of the emulator's region."""
        return self.region.api_base_url

    @property
    def issuer(self) -> str:
        """Issuer of the seeded environment on PingOne's host."""
        return f"{self.auth_base_url}/{self.environment_id}/as"

    @property
    def token_endpoint(self) -> str:
        """Token endpoint of the seeded environment on PingOne's host."""
        return f"{self.issuer}/token"

    @property
    def jwks_url(self) -> str:
        """JWKS URL of the seeded environment on PingOne's host."""
        return f"{self.issuer}/jwks"

    @property
    def introspection_endpoint(self) -> str:
        """Introspection URL of the seeded environment on PingOne's host."""
        return f"{self.issuer}/introspect"

    @property
    def requests(self) -> list[RequestRecord]:
        """Redacted log of every request handled so far (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def token_requests(self) -> int:
        """Number of requests that reached the token endpoint (failed ones included)."""
        return self._token_request_count

    @property
    def regions(self) -> frozenset[Region]:
        """Regions that hold at least one environment."""
        with self._lock:
            return frozenset(e.region for e in self._world.environments.values())

    @property
    def jwks(self) -> dict[str, Any]:
        """The JWKS the emulator publishes (public keys only)."""
        return self._jwks()

    def _jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in reversed(self._signing_keys)]}

    def _env(self, environment_id: str | None) -> Environment:
        env_id = environment_id or self._default_env.id
        env = self._world.environments.get(env_id)
        if env is None:
            raise EmulatorError(
                f"no environment {env_id!r} in the emulator",
                hint="use emu.environment_id or an id returned by add_environment()",
            )
        return env

    @staticmethod
    def _check_roles(roles: Iterable[str]) -> None:
        for role in roles:
            if role not in ROLE_NAMES:
                raise EmulatorError(
                    f"unknown role {role!r}", hint=f"use one of {', '.join(ROLE_NAMES)}"
                )

    @staticmethod
    def _check_rate_limit(rate_limit: int | None) -> None:
        if rate_limit is not None and (
            isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or rate_limit < 1
        ):
            raise EmulatorError(
                f"rate_limit must be None or a positive int (requests per minute per license), "
                f"got {rate_limit!r}"
            )

    # ------------------------------------------------------------------ scenario API
    def add_environment(
        self,
        name: str = "Emulated Environment",
        *,
        region: Region | str | None = None,
        type: str = "SANDBOX",
        description: str = "",
        license_id: str | None = None,
        users: int = 0,
        rate_limit: int | None = None,
    ) -> str:
        """Add an environment (same organization; own license unless ``license_id`` names
        an existing one, so environments can share a rate limit). Returns its id."""
        if type not in ("SANDBOX", "PRODUCTION"):
            raise EmulatorError(f"environment type must be SANDBOX or PRODUCTION, got {type!r}")
        self._check_rate_limit(rate_limit)
        with self._lock:
            env = self._world.add_environment(
                name=name,
                region=Region.parse(region) if region is not None else self.region,
                type=type,
                description=description,
                license_id=license_id,
                rate_limit=rate_limit,
            )
            self._world.seed_directory(env, users)
            return env.id

    def license_id(self, environment_id: str | None = None) -> str:
        """License id of an environment (default: the seeded one)."""
        with self._lock:
            return self._env(environment_id).license_id

    def add_worker_app(
        self,
        environment_id: str | None = None,
        *,
        name: str = "Emulated Worker",
        auth_method: str = "client_secret_basic",
        enabled: bool = True,
        roles: Iterable[str] = ("Environment Admin",),
        jwks: Mapping[str, Any] | None = None,
        private_key: str | None = None,
        key_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_APP_SCOPES,
        token_lifetime: int | None = None,
    ) -> ClientCredentials:
        """Add a WORKER app and return its credentials.

        ``roles`` are role names, assigned at environment scope (``"Organization Admin"`` at
        organization scope). For ``private_key_jwt`` the emulator generates a key pair unless
        you pass ``private_key`` (PEM) or ``jwks`` with ``private_key`` (the app then trusts
        ``jwks``; ``private_key`` only fills the returned credentials).
        """
        method = parse_auth_method(auth_method)
        roles = tuple(roles)
        self._check_roles(roles)
        if token_lifetime is not None:
            _check_lifetime(token_lifetime)
        with self._lock:
            env = self._env(environment_id)
            return self._add_app(
                env,
                name=name,
                auth_method=method,
                enabled=enabled,
                roles=roles,
                jwks=jwks,
                private_key=private_key,
                key_id=key_id,
                scopes=scopes,
                token_lifetime=token_lifetime,
            )

    def _add_app(
        self,
        env: Environment,
        *,
        name: str,
        auth_method: str,
        enabled: bool,
        roles: Iterable[str],
        jwks: Mapping[str, Any] | None = None,
        private_key: str | None = None,
        key_id: str | None = None,
        scopes: Iterable[str] = (),
        token_lifetime: int | None = None,
    ) -> ClientCredentials:
        world = self._world
        app = App(
            id=world.new_id(),
            environment_id=env.id,
            name=name,
            description=f"{name} (emulated worker application)",
            enabled=enabled,
            auth_method=auth_method,
            secret=world.new_secret(),
            created_at=world.timestamp(),
            scopes=frozenset(scopes),
            token_lifetime=token_lifetime,
        )
        pem: str | None = None
        kid: str | None = None
        if auth_method == "private_key_jwt":
            if jwks is not None:
                if private_key is None:
                    raise EmulatorError(
                        "add_worker_app(jwks=...) also needs private_key=",
                        hint="pass the PEM whose public half is in jwks (the returned "
                        "ClientCredentials must be able to sign assertions), or pass neither "
                        "and let the emulator generate a key pair",
                    )
                app.jwks = json.loads(json.dumps(dict(jwks)))
                pem, kid = private_key, key_id
            elif private_key is not None:
                app.jwks = {"keys": [_public_jwk_from_pem(private_key, key_id or app.id)]}
                pem, kid = private_key, key_id or app.id
            else:
                key = signing_key(self._seed, "client", self._client_key_index)
                self._client_key_index += 1
                app.jwks = {"keys": [key.public_jwk()]}
                pem, kid = key.private_pem(), key.kid
        for role in roles:
            org = role == "Organization Admin"
            app.role_assignments.append(
                RoleAssignment(
                    id=world.new_id(),
                    role_id=world.roles[role],
                    role_name=role,
                    scope_type="ORGANIZATION" if org else "ENVIRONMENT",
                    scope_id=world.organization_id if org else env.id,
                    environment_id=env.id,
                )
            )
        env.apps[app.id] = app
        return ClientCredentials(
            app.id,
            app.secret,
            env.id,
            env.region,
            auth_method=auth_method,
            private_key=pem,
            key_id=kid,
        )

    def _app(self, client_id: str) -> App:
        app = self._world.find_app(client_id)
        if app is None:
            raise EmulatorError(f"no application {client_id!r} in the emulator")
        return app

    def set_app_enabled(self, client_id: str, enabled: bool) -> None:
        """Enable or disable an app (a disabled app gets ``unauthorized_client``)."""
        with self._lock:
            self._app(client_id).enabled = bool(enabled)

    def set_app_auth_method(self, client_id: str, auth_method: str) -> None:
        """Change an app's configured token endpoint auth method."""
        method = parse_auth_method(auth_method)
        with self._lock:
            app = self._app(client_id)
            if method == "private_key_jwt" and not app.jwks:
                raise EmulatorError(
                    "the app has no JWKS for private_key_jwt",
                    hint="add the app with auth_method='private_key_jwt'",
                )
            app.auth_method = method

    def add_user(
        self,
        environment_id: str | None = None,
        *,
        username: str,
        email: str | None = None,
        given_name: str = "Test",
        family_name: str = "User",
        enabled: bool = True,
        population_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a user (default population unless ``population_id``); returns its JSON."""
        if not isinstance(username, str) or not username.strip():
            raise EmulatorError("add_user needs a non-empty username")
        with self._lock:
            env = self._env(environment_id)
            if any(u["username"] == username for u in env.users):
                raise EmulatorError(f"username {username!r} already exists in {env.id}")
            return dict(
                self._world.add_user(
                    env,
                    username=username,
                    email=email,
                    given=given_name,
                    family=family_name,
                    enabled=enabled,
                    population_id=population_id,
                )
            )

    def add_group(
        self, environment_id: str | None = None, *, name: str, description: str = ""
    ) -> dict[str, Any]:
        """Add a group; returns its JSON."""
        if not isinstance(name, str) or not name.strip():
            raise EmulatorError("add_group needs a non-empty name")
        with self._lock:
            return dict(self._world.add_group(self._env(environment_id), name, description))

    def set_token_lifetime(self, seconds: int, *, client_id: str | None = None) -> None:
        """Lifetime of tokens issued from now on (for one app with ``client_id``)."""
        _check_lifetime(seconds)
        with self._lock:
            if client_id is None:
                self.token_lifetime = seconds
            else:
                self._app(client_id).token_lifetime = seconds

    def set_rate_limit(self, per_minute: int | None, *, license_id: str | None = None) -> None:
        """Management API requests per minute per license (``None``: off)."""
        self._check_rate_limit(per_minute)
        with self._lock:
            if license_id is None:
                self.rate_limit = per_minute
            else:
                if license_id not in self._world.licenses:
                    raise EmulatorError(f"no license {license_id!r} in the emulator")
                self._world.licenses[license_id] = per_minute

    def rotate_signing_key(self) -> str:
        """Sign new tokens with a new key; the old key stays in the JWKS. Returns the new kid."""
        with self._lock:
            self._signing_index += 1
            key = signing_key(self._seed, "signing", self._signing_index)
            self._signing_keys.append(key)
            return key.kid

    def rotate_client_secret(
        self, client_id: str | None = None, grace_seconds: float = DEFAULT_GRACE_SECONDS
    ) -> Secret:
        """Give an app a new secret; the old one keeps working for ``grace_seconds``
        (emulator time), as PingOne's secret rotation with a previous-secret expiry does."""
        if grace_seconds < 0:
            raise EmulatorError(f"grace_seconds must be >= 0, got {grace_seconds!r}")
        with self._lock:
            app = self._app(client_id or self.client_id)
            app.previous_secret = app.secret
            app.previous_secret_expires_at = self.clock.now() + grace_seconds
            app.secret = self._world.new_secret()
            if app.id == self._credentials.client_id:
                old = self._credentials
                self._credentials = ClientCredentials(
                    old.client_id,
                    app.secret,
                    old.environment_id,
                    old.region,
                    auth_method=old.auth_method,
                    private_key=old.private_key,
                    key_id=old.key_id,
                )
            return Secret(app.secret)

    def expire_tokens(self) -> int:
        """Make every issued token expired now; returns how many were still active."""
        with self._lock:
            now = self.clock.now()
            n = 0
            for record in self._world.tokens.values():
                if record_active(record, now):
                    n += 1
                record.expired = True
            return n

    def inject_fault(
        self,
        endpoint: str = "*",
        kind: str = "status",
        *,
        count: int | None = 1,
        status: int = 503,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """Fail the next ``count`` matching requests (``None``: all of them).

        ``endpoint``: ``token``, ``jwks``, ``discovery``, ``introspect``, ``revoke``, ``api``
        (every Management API call), a resource (``users`` …) or ``*``. ``kind``:
        ``status`` (answer ``status`` with ``Retry-After`` when ``retry_after``),
        ``rate_limit`` (429 ``REQUEST_LIMITED``, ``Retry-After`` default 1), ``latency``
        (answer normally after ``delay`` seconds), ``connect`` (the transport raises
        ``httpx.ConnectError``; the server drops the connection), ``timeout`` (the transport
        raises ``httpx.ReadTimeout``; the server never answers), ``malformed`` (200 with a
        truncated JSON body). Faults fire in the order they were injected.
        """
        fault = make_fault(
            endpoint=endpoint,
            kind=kind,
            count=count,
            status=status,
            retry_after=retry_after,
            delay=delay,
        )
        with self._lock:
            self._faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults.clear()

    def _take_fault(self, endpoint: str, resource: str | None) -> Fault | None:
        for fault in self._faults:
            if fault.matches(endpoint, resource):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    # ------------------------------------------------------------------ tokens
    def _issue(
        self, app: App, env: Environment, scopes: list[str], issuer: str
    ) -> tuple[str, IssuedToken]:
        now = int(self.clock.now())
        lifetime = app.token_lifetime or self.token_lifetime
        jti = self._world.new_id()
        aud = [f"https://{env.region.api_host}"]
        scope = " ".join(scopes)
        claims: dict[str, Any] = {
            "client_id": app.id,
            "iss": issuer,
            "iat": now,
            "exp": now + lifetime,
            "aud": aud,
            "scope": scope,
            "jti": jti,
            "env": env.id,
            "org": env.organization_id,
        }
        token = self._signing_keys[-1].sign(claims)
        record = IssuedToken(
            jti=jti,
            client_id=app.id,
            environment_id=env.id,
            scope=scope,
            iat=now,
            exp=now + lifetime,
            issuer=issuer,
            audience=aud,
        )
        self._world.tokens[token_hash(token)] = record
        return token, record

    def _lookup_token(self, token: str) -> IssuedToken | None:
        return self._world.tokens.get(token_hash(token))

    def _is_active(self, record: IssuedToken) -> bool:
        return record_active(record, self.clock.now())

    def issue_token(self, client_id: str | None = None, *, scopes: Iterable[str] = ()) -> Secret:
        """Issue an access token directly (no HTTP), e.g. to seed a test's cache."""
        with self._lock:
            app = self._app(client_id or self.client_id)
            env = self._world.environments[app.environment_id]
            token, _ = self._issue(
                app, env, list(scopes), f"{env.region.auth_base_url}/{env.id}/as"
            )
            return Secret(token)

    def _rate_limited(self, license_id: str) -> int | None:
        limit = self._world.licenses.get(license_id) or self.rate_limit
        if limit is None:
            return None
        now = self.clock.now()
        window = self._rate_windows.setdefault(license_id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + 60 - now))
        window.append(now)
        return None

    # ------------------------------------------------------------------ handling
    def respond(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str = b"",
    ) -> EmulatorResponse:
        """Handle one request without I/O: the answer, plus any latency or connection fault
        for the adapter to apply. Every call is logged in :attr:`requests`."""
        hdrs = dict(headers.items() if isinstance(headers, Mapping) else (headers or ()))
        data = body.encode() if isinstance(body, str) else bytes(body)
        with self._lock:
            self._last_fault = None
            self._current_ctx = None
            resp = dispatch(self, method, url, hdrs, data)
            record = self._log(method, url, resp) if resp.endpoint != "control" else None
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug(
                "emulator %s %s -> %s endpoint=%s client_id=%s auth_method=%s fault=%s",
                method.upper(),
                urlsplit(url).path,
                resp.status if resp.action is None else resp.action,
                resp.endpoint,
                record.client_id if record else None,
                record.auth_method if record else None,
                record.fault if record else None,
            )
        return resp

    def _log(self, method: str, url: str, resp: EmulatorResponse) -> RequestRecord:
        ctx = self._current_ctx
        path = urlsplit(url).path
        record = RequestRecord(
            method=method.upper(),
            path=path,
            endpoint=resp.endpoint,
            status=resp.status,
            client_id=ctx.client_id if ctx else None,
            auth_method=ctx.auth_method if ctx else None,
            environment_id=ctx.environment_id if ctx else None,
            correlation_id=resp.headers.get("Correlation-Id"),
            fault=self._last_fault,
            time=self.clock.now(),
        )
        self._requests.append(record)
        return record

    def handle(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        """Handle one request: ``(status, headers, body)``.

        Injected latency is slept here (real time); an injected connection failure raises
        ``httpx.ConnectError`` and a timeout ``httpx.ReadTimeout``, as a transport would.
        """
        resp = self.respond(method, url, headers, body)
        if resp.delay:
            time.sleep(resp.delay)
        _raise_action(resp, method, url)
        return resp.status, dict(resp.headers), resp.body

    # ------------------------------------------------------------------ control endpoints
    def _control(self, ctx: _Ctx) -> EmulatorResponse:
        """``/_emulator/<action>`` for non-Python consumers of the HTTPS server."""
        action = ctx.path[len("/_emulator/") :].strip("/")
        if ctx.method == "GET" and action == "requests":
            return _json_body(
                200,
                {
                    "token_requests": self._token_request_count,
                    "requests": [dataclasses.asdict(r) for r in self._requests],
                },
                ctx,
            )
        if ctx.method == "GET" and action == "state":
            return _json_body(200, self._describe(), ctx)
        if ctx.method != "POST":
            return api_error(
                ctx,
                405,
                "INVALID_REQUEST",
                f"{ctx.method} /_emulator/{action} "
                "is not supported; control endpoints take POST with a JSON body",
            )
        try:
            payload = json.loads(ctx.body or b"{}")
        except ValueError as exc:
            return api_error(ctx, 400, "INVALID_DATA", f"control body is not JSON ({exc})")
        if not isinstance(payload, dict):
            return api_error(ctx, 400, "INVALID_DATA", "control body must be a JSON object")
        try:
            if action == "reset":
                self._build(int(payload.get("seed", self._seed)))
                return _json_body(200, self._describe(include_secret=True), ctx)
            if action == "seed":
                if "seed" not in payload:
                    return api_error(
                        ctx, 400, "INVALID_DATA", 'POST /_emulator/seed needs {"seed": <int>}'
                    )
                if "users" in payload:
                    self.users = max(0, int(payload["users"]))
                self._build(int(payload["seed"]))
                return _json_body(200, self._describe(include_secret=True), ctx)
            if action == "advance":
                seconds = payload.get("seconds", 0)
                if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
                    return api_error(
                        ctx,
                        400,
                        "INVALID_DATA",
                        f'POST /_emulator/advance: "seconds" must be a number, got {seconds!r}',
                    )
                now = self.clock.advance(seconds)
                return _json_body(200, {"now": now}, ctx)
            if action == "expire":
                return _json_body(200, {"expired": self.expire_tokens()}, ctx)
            if action == "faults":
                if payload.get("clear"):
                    self.clear_faults()
                    return _json_body(200, {"faults": 0}, ctx)
                self.inject_fault(
                    endpoint=str(payload.get("endpoint", "*")),
                    kind=str(payload.get("kind", "status")),
                    count=payload.get("count", 1),
                    status=int(payload.get("status", 503)),
                    retry_after=payload.get("retry_after"),
                    delay=float(payload.get("delay", 0.0)),
                )
                return _json_body(200, {"faults": len(self._faults)}, ctx)
        except (EmulatorError, ValueError, TypeError) as exc:
            message = (
                exc.message
                if isinstance(exc, EmulatorError)
                else f"POST /_emulator/{action}: a value has the wrong type ({exc})"
            )
            return api_error(ctx, 400, "INVALID_DATA", message)
        return api_error(
            ctx,
            404,
            "NOT_FOUND",
            f"no control endpoint /_emulator/{action} "
            "(use reset, seed, advance, expire, faults, requests, state)",
        )

    def _describe(self, *, include_secret: bool = False) -> dict[str, Any]:
        creds = self._credentials
        out: dict[str, Any] = {
            "seed": self._seed,
            "region": self.region.value,
            "environment_id": creds.environment_id,
            "client_id": creds.client_id,
            "auth_method": creds.auth_method,
            "now": self.clock.now(),
        }
        if include_secret and creds.client_secret is not None:
            # Throwaway emulator value: control clients need it after re-seeding.
            out["client_secret"] = creds.client_secret.get_secret_value()
        return out

    # ------------------------------------------------------------------ adapters
    @overload
    def transport(self) -> EmulatorTransport: ...
    @overload
    def transport(self, *, lib: ModuleType | None) -> Any: ...
    def transport(self, *, lib: ModuleType | None = None) -> Any:
        """An httpx transport (sync and async) serving PingOne's hosts and this emulator's
        loopback servers.

        ``lib=httpx2`` gives the same transport for ``httpx2.Client`` /
        ``httpx2.AsyncClient`` (an ``httpx2.BaseTransport`` and ``AsyncBaseTransport``).
        """
        from ._transport import EmulatorTransport, transport_class

        if lib is None:
            return EmulatorTransport(self)
        return transport_class(lib)(self)

    def router(self, **kwargs: Any) -> respx.MockRouter:
        """A respx router sending PingOne's auth/API hosts of every region to the emulator.

        ``kwargs`` go to :class:`respx.MockRouter` (default ``assert_all_called=False``).
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
        return (
            f"PingOneEmulator(seed={self._seed}, region={self.region.value!r}, "
            f"environment_id={self.environment_id!r}, client_id={self.client_id!r})"
        )


def _raise_action(
    resp: EmulatorResponse, method: str, url: str, lib: HttpLib | None = None
) -> None:
    """Raise the injected transport failure as ``lib``'s exception (default httpx)."""
    if resp.action is None:
        return
    from httpx_pingone_worker._httplib import HTTPX

    lib = lib or HTTPX
    request = lib.Request(method, url)
    if resp.action == "connect":
        raise lib.ConnectError("emulator: injected connection failure", request=request)
    raise lib.ReadTimeout("emulator: injected timeout", request=request)


def _public_jwk_from_pem(pem: str, kid: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from ._keys import SigningKey

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise EmulatorError("private_key is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise EmulatorError("private_key must be an RSA key (private_key_jwt uses RS256)")
    return SigningKey(kid=kid, key=key).public_jwk()
