"""Putting one `PingOneWorkerAuth` together: its constructors' arguments and its pieces.

- `AuthParts`: what the constructor wires up from an `AuthConfig`, in order: the
  `GuardedCache` (bound to the secret), the `TokenClients`, the `SecretReload`, the
  `RefreshJobs`, the `CloseSignal`, the `TokenEngine`, the `Lead` and the `Performer` that
  performs the lead's actions with them.
- `env_options` / `credentials_options` / `store_options`: the constructor arguments
  `from_env()`, `from_credentials()` and `from_store()` pass on (settings resolved from the
  environment, files and the credential store; a `ClientCredentials`' fields; the store's
  entry and a provider that reads it again).
- `auth_repr`: the masked repr, safe on a half-built auth.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._httplib import HttpLib
from httpx_pingone_worker._core._logging import EventKind, log_event, register_held_secret
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker.caches._memory import MemoryTokenCache, TokenCache
from httpx_pingone_worker.credentials._credentials import ClientCredentials

from ._background import RefreshJobs
from ._clients import TokenClients
from ._config import AuthConfig
from ._engine import TokenEngine
from ._guarded_cache import GuardedCache
from ._lead import Lead
from ._lifecycle import CloseSignal, SecretReload
from ._perform import Performer

__all__ = [
    "AuthParts",
    "auth_repr",
    "credentials_options",
    "env_options",
    "store_options",
]


class AuthParts:
    """The pieces of one auth object, built from its `AuthConfig` (see the module)."""

    __slots__ = ("cache", "clients", "closing", "engine", "jobs", "lead", "performer", "store")

    def __init__(
        self,
        lib: HttpLib,
        config: AuthConfig,
        cache: TokenCache | None,
        http_client: Any,
        async_http_client: Any,
    ) -> None:
        register_held_secret(config.client_secret, basic_client_id=config.client_id)
        register_held_secret(config.private_key)
        self.cache: TokenCache = cache if cache is not None else MemoryTokenCache()
        self.store = GuardedCache(self.cache, config.cache_key)
        self.store.bind(
            config.client_secret if config.client_secret is not None else config.private_key
        )
        self.clients = TokenClients(lib, http_client, async_http_client)
        reload_secret = SecretReload(config.secret_provider)
        self.jobs = RefreshJobs()
        #: Set by close(): wakes token requests sleeping before a retry.
        self.closing = CloseSignal()
        self.engine = TokenEngine(config)
        self.lead = Lead(self.engine, locking=self.store.locking, wait_timeout=config.wait_timeout)
        self.performer = Performer(
            lib=lib,
            engine=self.engine,
            lead=self.lead,
            store=self.store,
            clients=self.clients,
            closing=self.closing,
            reload_secret=reload_secret,
            jobs=self.jobs,
            sleep=config.sleep,
            async_sleep=config.async_sleep,
        )
        log_event(
            EventKind.CONFIGURING,
            "configuring",
            logger="auth",
            client_id=config.client_id,
            env=config.environment_id or "-",
        )


#: The `from_env()` keywords that `resolve_settings` takes; the rest go to the constructor.
_RESOLVE_KEYS = (
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


def env_options(overrides: dict[str, Any]) -> tuple[ClientCredentials, dict[str, Any]]:
    """`from_env(**overrides)`: the resolved credentials and the other constructor
    arguments (explicit keywords win over resolved settings). `overrides` is emptied of
    what `resolve_settings` takes; its secrets must be wrapped already
    (`wrap_secret_overrides`)."""
    from httpx_pingone_worker.credentials._settings import resolve_settings
    from httpx_pingone_worker.credentials._sources import EnvView
    from httpx_pingone_worker.credentials._store import stored_credentials_lookup

    if isinstance(overrides.get("env"), Mapping):
        overrides["env"] = EnvView(overrides["env"])
    resolve_args = {k: overrides.pop(k) for k in _RESOLVE_KEYS if k in overrides}
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
    return creds, kwargs


def credentials_options(credentials: object, overrides: dict[str, Any]) -> dict[str, Any]:
    """`from_credentials(credentials, **overrides)`: every constructor argument (its secrets
    must be wrapped already); a `ClientCredentials` is required."""
    if not isinstance(credentials, ClientCredentials):
        raise ConfigurationError(
            f"from_credentials() needs a ClientCredentials, not {type(credentials).__name__}",
            hint="build one with ClientCredentials(client_id, client_secret, environment_id)",
        )
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
    return options


def store_options(
    client_id: str, directory: str | os.PathLike[str] | None, kwargs: dict[str, Any]
) -> tuple[ClientCredentials, dict[str, Any]]:
    """`from_store(client_id, directory=..., **kwargs)`: the stored credentials (read now) and
    the overrides, with a `secret_provider` that reads the store again (after
    `invalid_client`: the secret may have been rotated in the store meanwhile)."""
    from httpx_pingone_worker.credentials._store import secure_retrieve

    def provider() -> Secret | None:
        return secure_retrieve(client_id, directory=directory).client_secret

    creds: ClientCredentials = secure_retrieve(client_id, directory=directory)
    return creds, {"secret_provider": provider, **kwargs}


def auth_repr(auth: object) -> str:
    """`PingOneWorkerAuth(...)` with the secret masked and the token as a fingerprint.

    Reads with defaults: a half-built instance (its `__init__` raised) is repr'd by
    `TracebackException(capture_locals=True)` and `pytest -l`, which must not crash.
    """
    config = getattr(auth, "_config", None)
    token = getattr(getattr(auth, "_engine", None), "current_token", None)
    region = getattr(config, "region", None)
    return (
        f"PingOneWorkerAuth(client_id={getattr(config, 'client_id', None)!r}, "
        f"environment_id={getattr(config, 'environment_id', None)!r}, "
        f"region={getattr(region, 'value', None)!r}, "
        f"auth_method={getattr(config, 'auth_method', None)!r}, "
        f"scopes={sorted(getattr(config, 'scopes', ()))!r}, "
        f"client_secret=Secret('**********'), "
        f"token={token.fingerprint if token else None!r})"
    )
