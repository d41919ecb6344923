"""The scenario API of ``PingOneEmulator``: add environments, apps, users and groups,
change apps, rotate keys and secrets, expire tokens, inject faults.

A mixin over the facade's ``_engine`` and ``_lock``, so ``_emulator`` stays about
construction, resets and adapters.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker.credentials._credentials import ClientCredentials, parse_auth_method

from ._app_factory import add_app, credentials_of
from ._engine import EmulatorEngine, record_active
from ._faults import make_fault
from ._keys import signing_key
from ._roles import DEFAULT_ROLES, ROLE_NAMES
from ._seed import seed_configuration, seed_directory
from ._state import App, Environment

__all__ = [
    "DEFAULT_APP_SCOPES",
    "PAGED_COLLECTIONS",
    "ScenarioMixin",
    "check_lifetime",
    "check_rate_limit",
]

#: Collections whose page size a scenario can cap (``set_page_size``).
PAGED_COLLECTIONS = ("users", "groups", "populations", "memberOfGroups", "groupNesting")
MIN_TOKEN_LIFETIME = 1
MAX_TOKEN_LIFETIME = 2_592_000
DEFAULT_GRACE_SECONDS = 86_400
#: Scopes the seeded worker app may request (worker tokens for the Platform API usually
#: carry none: their power comes from role assignments).
DEFAULT_APP_SCOPES = ("openid", "p1:read:user", "p1:read:env")


def check_lifetime(seconds: int) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise EmulatorError(f"token_lifetime must be an int of seconds, got {seconds!r}")
    if not MIN_TOKEN_LIFETIME <= seconds <= MAX_TOKEN_LIFETIME:
        raise EmulatorError(
            f"token_lifetime {seconds}s is out of range",
            hint=f"use {MIN_TOKEN_LIFETIME}..{MAX_TOKEN_LIFETIME} seconds (PingOne itself "
            "allows 300..2592000; shorter lifetimes are an emulator convenience for tests)",
        )
    return seconds


def check_rate_limit(rate_limit: int | None) -> None:
    if rate_limit is not None and (
        isinstance(rate_limit, bool) or not isinstance(rate_limit, int) or rate_limit < 1
    ):
        raise EmulatorError(
            f"rate_limit must be None or a positive int (requests per minute per license), "
            f"got {rate_limit!r}"
        )


def check_roles(roles: Iterable[str]) -> None:
    for role in roles:
        if role not in ROLE_NAMES:
            raise EmulatorError(
                f"unknown role {role!r}", hint=f"use one of {', '.join(ROLE_NAMES)}"
            )


class ScenarioMixin:
    """Scenario methods; every one is thread-safe (it takes the emulator's lock)."""

    _lock: threading.RLock
    region: Region
    _default_client_id: str
    _default_env_id: str

    @property
    def _engine(self) -> EmulatorEngine:
        """The emulator's engine (the facade marks the directory as changed)."""
        raise NotImplementedError

    def _rebaseline(self) -> None:
        raise NotImplementedError  # pragma: no cover - the facade's

    def _trust_client_jwks(self, jwks: Mapping[str, Any]) -> None:
        """The seeded app (``private_key_jwt``) trusts ``jwks`` (public keys the caller holds
        the private half of) instead of its generated key pair; ``reset`` keeps that.

        ``credentials`` cannot hold the caller's private key, so from then on it reports
        the app's (throwaway) secret with ``client_secret_basic``, which the app refuses
        under ``strict_auth``: the runner (``--client-jwks``) is the only caller."""
        with self._lock:
            app = self._app(self._default_client_id)
            if app.auth_method != "private_key_jwt":
                raise EmulatorError(
                    "a client JWKS or public key needs auth_method private_key_jwt",
                    hint="pass --auth-method private_key_jwt (or leave --auth-method out)",
                )
            app.jwks = json.loads(json.dumps(dict(jwks)))
            kids = [k.get("kid") for k in app.jwks.get("keys", []) if isinstance(k, dict)]
            app.private_pem, app.key_id = None, next((k for k in kids if k), None)
            app.credential_method = "client_secret_basic"
            self._rebaseline()

    def _env(self, environment_id: str | None) -> Environment:
        env_id = environment_id or self._default_env_id
        env = self._engine.world.environments.get(env_id)
        if env is None:
            raise EmulatorError(
                f"no environment {env_id!r} in the emulator",
                hint="use emu.environment_id or an id returned by add_environment()",
            )
        return env

    def _app(self, client_id: str) -> App:
        app = self._engine.world.find_app(client_id)
        if app is None:
            raise EmulatorError(f"no application {client_id!r} in the emulator")
        return app

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
        check_rate_limit(rate_limit)
        with self._lock:
            world = self._engine.world
            env = world.add_environment(
                name=name,
                region=Region.parse(region) if region is not None else self.region,
                type=type,
                description=description,
                license_id=license_id,
                rate_limit=rate_limit,
            )
            seed_directory(world, env, users)
            seed_configuration(world, env)
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
        roles: Iterable[str] = DEFAULT_ROLES,
        jwks: Mapping[str, Any] | None = None,
        private_key: str | None = None,
        key_id: str | None = None,
        scopes: Iterable[str] = DEFAULT_APP_SCOPES,
        token_lifetime: int | None = None,
    ) -> ClientCredentials:
        """Add a WORKER app and return its credentials.

        ``roles`` are role names, assigned at environment scope (``"Organization Admin"`` at
        organization scope); the default is Environment Admin and Identity Data Admin. For
        ``private_key_jwt`` the emulator generates a key pair unless
        you pass ``private_key`` (PEM) or ``jwks`` with ``private_key`` (the app then trusts
        ``jwks``; ``private_key`` only fills the returned credentials).
        """
        method = parse_auth_method(auth_method)
        roles = tuple(roles)
        check_roles(roles)
        if token_lifetime is not None:
            check_lifetime(token_lifetime)
        with self._lock:
            app = add_app(
                self._engine,
                self._env(environment_id),
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
            return credentials_of(self._engine, app)

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
            if any(u["username"].lower() == username.lower() for u in env.users.values()):
                raise EmulatorError(f"username {username!r} already exists in {env.id}")
            if population_id is not None and population_id not in env.populations:
                raise EmulatorError(f"no population {population_id!r} in {env.id}")
            return dict(
                self._engine.world.add_user(
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
            env = self._env(environment_id)
            if any(g["name"].lower() == name.lower() for g in env.groups.values()):
                raise EmulatorError(f"group {name!r} already exists in {env.id}")
            return dict(self._engine.world.add_group(env, name, description))

    def set_token_lifetime(self, seconds: int, *, client_id: str | None = None) -> None:
        """Lifetime of tokens issued from now on (for one app with ``client_id``)."""
        check_lifetime(seconds)
        with self._lock:
            if client_id is None:
                self._engine.settings.token_lifetime = seconds
            else:
                self._app(client_id).token_lifetime = seconds

    def set_rate_limit(self, per_minute: int | None, *, license_id: str | None = None) -> None:
        """Management API requests per minute per license (``None``: off)."""
        check_rate_limit(per_minute)
        with self._lock:
            if license_id is None:
                self._engine.settings.rate_limit = per_minute
            else:
                if license_id not in self._engine.world.licenses:
                    raise EmulatorError(f"no license {license_id!r} in the emulator")
                self._engine.world.licenses[license_id] = per_minute

    def set_page_size(self, size: int | None, *, collection: str = "users") -> None:
        """Most items one page of ``collection`` holds, whatever ``limit`` asks (``None``:
        ``limit`` decides). PingOne may answer a page shorter than ``limit`` with a ``next``
        link ("use the page size in the response rather than the requested limit"); users
        pages hold at most 200 by default. ``collection``: ``users``, ``groups``,
        ``populations``, ``memberOfGroups`` (a user's groups), ``groupNesting``."""
        if collection not in PAGED_COLLECTIONS:
            raise EmulatorError(
                f"unknown collection {collection!r}", hint=f"use one of {PAGED_COLLECTIONS}"
            )
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise EmulatorError(f"page size must be None or a positive int, got {size!r}")
        with self._lock:
            sizes = self._engine.settings.page_sizes
            if size is None:
                sizes.pop(collection, None)
            else:
                sizes[collection] = size

    def rotate_signing_key(self) -> str:
        """Sign new tokens with a new key; the old key stays in the JWKS. Returns the new kid."""
        with self._lock:
            engine = self._engine
            engine.signing_index += 1
            key = signing_key(engine.seed, "signing", engine.signing_index)
            engine.signing_keys.append(key)
            return key.kid

    def rotate_client_secret(
        self, client_id: str | None = None, grace_seconds: float = DEFAULT_GRACE_SECONDS
    ) -> Secret:
        """Give an app a new secret; the old one keeps working for ``grace_seconds``
        (emulator time), as PingOne's secret rotation with a previous-secret expiry does."""
        if grace_seconds < 0:
            raise EmulatorError(f"grace_seconds must be >= 0, got {grace_seconds!r}")
        with self._lock:
            app = self._app(client_id or self._default_client_id)
            app.previous_secret = app.secret
            app.previous_secret_expires_at = self._engine.clock.now() + grace_seconds
            app.secret = self._engine.world.new_secret()
            return Secret(app.secret)

    def expire_tokens(self) -> int:
        """Make every issued token expired now; returns how many were still active."""
        with self._lock:
            now = self._engine.clock.now()
            n = 0
            for record in self._engine.world.tokens.values():
                if record_active(record, now):
                    n += 1
                record.expired = True
            return n

    def issue_token(self, client_id: str | None = None, *, scopes: Iterable[str] = ()) -> Secret:
        """Issue an access token directly (no HTTP), e.g. to seed a test's cache."""
        with self._lock:
            app = self._app(client_id or self._default_client_id)
            env = self._engine.world.environments[app.environment_id]
            token, _ = self._engine.issue(
                app, env, list(scopes), f"{env.region.auth_base_url}/{env.id}/as"
            )
            return Secret(token)

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
            self._engine.faults.append(fault)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._engine.faults.clear()
