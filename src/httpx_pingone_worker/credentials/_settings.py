"""Settings resolution with a recorded source per value, and credential format checks.

Precedence, highest first (each value is resolved on its own, so the client id may come
from an argument while the secret comes from the environment):

1. explicit arguments of [`resolve_settings`][httpx_pingone_worker.resolve_settings];
2. environment variables (``PINGONE_CLIENT_ID``, ``PINGONE_CLIENT_SECRET``,
   ``PINGONE_ENVIRONMENT_ID``, ``PINGONE_REGION``, ``PINGONE_SCOPES``, and the host
   overrides ``PINGONE_AUTH_BASE_URL`` / ``PINGONE_API_BASE_URL`` or the Go SDK pair
   ``PINGONE_AUTH_SERVICE_HOSTNAME`` + ``PINGONE_API_SERVICE_HOSTNAME``);
3. a ``.env`` file, only when its path is passed (``env_file=``); same variable names;
4. a ``settings.json`` file (``settings_file=``) with the block
   ``{"pingone": {"workerToken": {...}}}``;
5. stored credentials (the ``stored=`` callable, asked only when a required value is
   still missing).

Every resolved value records where it came from in ``ResolvedSettings.sources``
(``"argument"``, ``"env:PINGONE_X"``, ``"env-file:<path>"``, ``"settings:<path>"``,
``"store"`` or ``"default"``). Messages name settings, variables, files and keys; never a
value, so a secret pasted into the wrong place cannot leak through an error.

One cohesive thing (a little over 400 lines): the precedence rules, the per-value source
record and the checks of the combined result are one algorithm; the readers of each source
are in ``_sources``, the format advice in ``_format``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._regions import Region, check_secure_url
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import normalize_scopes
from httpx_pingone_worker.credentials._credentials import ClientCredentials
from httpx_pingone_worker.credentials._sources import (
    ENV_VARS,
    EnvView,
    _env_layer,
    _read_settings_file,
    parse_env_file,
)

__all__ = [
    "DEFAULT_REFRESH_RATIO",
    "ENV_VARS",
    "ResolvedSettings",
    "StoredLookup",
    "parse_env_file",
    "resolve_credentials",
    "resolve_settings",
]

DEFAULT_REFRESH_RATIO = 0.8

StoredLookup = Callable[[str | None], ClientCredentials | None]


@dataclass(frozen=True, slots=True)
class ResolvedSettings:
    """The outcome of [`resolve_settings`][httpx_pingone_worker.resolve_settings].

    ``credentials`` is ``None`` only when ``require=False`` and a required value is
    missing; the individual values are still available. ``sources`` maps each setting name
    to where its value came from. ``auth_base_url``/``api_base_url`` are ``None`` when no
    override was given (the region's PingOne hosts apply).
    """

    credentials: ClientCredentials | None
    sources: Mapping[str, str]
    client_id: str | None = None
    environment_id: str | None = None
    region: Region = Region.NA
    scopes: frozenset[str] = frozenset()
    auth_base_url: str | None = None
    api_base_url: str | None = None
    token_cache_ttl_percent: float = DEFAULT_REFRESH_RATIO
    introspection_enabled: bool = True
    management_api_enabled: bool = True
    auto_discovery: bool = True
    default_scopes: frozenset[str] = frozenset()
    missing: tuple[str, ...] = ()

    @property
    def refresh_ratio(self) -> float:
        """``token_cache_ttl_percent`` under the name ``PingOneWorkerAuth`` takes."""
        return self.token_cache_ttl_percent

    def __repr__(self) -> str:
        return (
            f"ResolvedSettings(credentials={self.credentials!r}, "
            f"sources={dict(self.sources)!r}, missing={list(self.missing)!r})"
        )


# --- resolution ------------------------------------------------------------------------

_WHERE: Mapping[str, str] = MappingProxyType(
    {
        "client_id": "the client_id argument, PINGONE_CLIENT_ID (environment or .env file), "
        "settings.json pingone.workerToken.clientId, or stored credentials",
        "client_secret": "the client_secret argument, PINGONE_CLIENT_SECRET (environment or "
        ".env file), or stored credentials (secure_store)",
        "environment_id": "the environment_id argument, PINGONE_ENVIRONMENT_ID (environment or "
        ".env file), settings.json pingone.workerToken.environmentId, or stored credentials",
    }
)


def resolve_settings(
    *,
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    environment_id: str | None = None,
    region: Region | str | None = None,
    scopes: str | Iterable[str] | None = None,
    auth_base_url: str | None = None,
    api_base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    env_file: str | Path | None = None,
    settings_file: str | Path | None = None,
    stored: StoredLookup | None = None,
    require: bool = True,
    allow_loopback_http: bool = False,
    environment_id_required: bool = True,
) -> ResolvedSettings:
    """Resolve PingOne settings from arguments, environment, files and stored credentials.

    ``env`` defaults to ``os.environ``. ``env_file`` and ``settings_file`` are read
    only when given (a given path that does not exist is an error). ``stored`` is called
    with the client id resolved so far (or ``None``) when the client id, secret or
    environment id is still missing; it returns ``ClientCredentials`` or ``None``.

    With ``require=True`` (default) every missing required value (client id, client
    secret, environment id) is reported in ONE ``ConfigurationError`` that lists
    them all and where each could come from. ``environment_id_required=False`` is for a
    custom OIDC server (explicit token endpoint or issuer): the credentials then come
    without an environment id when none is configured. Host overrides are checked for HTTPS
    (``allow_loopback_http`` permits ``http://`` to loopback hosts only).
    """
    # Wrapped before anything can fail: the locals of this frame (and of the helpers below)
    # are printed by pytest -l and TracebackException(capture_locals=True).
    if isinstance(client_secret, str) and client_secret.strip():
        client_secret = Secret(client_secret)
    env = EnvView(os.environ if env is None else env)
    values, sources, settings = _collect(
        {
            "client_id": client_id,
            "client_secret": client_secret,
            "environment_id": environment_id,
            "region": region,
            "scopes": scopes,
            "auth_base_url": auth_base_url,
            "api_base_url": api_base_url,
        },
        env=env,
        env_file=env_file,
        settings_file=settings_file,
    )
    stored_creds = _apply_store(values, sources, stored)
    reg = _resolve_region(values, sources)
    resolved_scopes = _resolve_scopes(values, sources, settings)
    urls = _resolve_urls(values, sources, allow_loopback_http)
    for name, default in (
        ("token_cache_ttl_percent", DEFAULT_REFRESH_RATIO),
        ("introspection_enabled", True),
        ("management_api_enabled", True),
        ("auto_discovery", True),
        ("default_scopes", frozenset()),
    ):
        if name not in values:
            values[name] = default
            sources[name] = "default"
    _check_types(values, sources)

    missing = [
        name
        for name in _REQUIRED
        if name not in values and (environment_id_required or name != "environment_id")
    ]
    if (
        missing == ["client_secret"]
        and stored_creds is not None
        and stored_creds.auth_method == "private_key_jwt"
        and stored_creds.private_key
    ):
        missing = []  # a stored private_key_jwt app authenticates without a secret
    credentials: ClientCredentials | None = None
    if missing:
        if require:
            raise _missing_error(missing)
    else:
        # Auth method and key travel with the stored app only when it is the same app.
        same_app = (
            stored_creds
            if (stored_creds is not None and stored_creds.client_id == values["client_id"].strip())
            else None
        )
        credentials = ClientCredentials(
            values["client_id"],
            values.get("client_secret"),
            values.get("environment_id"),
            reg,
            resolved_scopes,
            auth_method=same_app.auth_method if same_app else "client_secret_basic",
            private_key=same_app.private_key if same_app else None,
            key_id=same_app.key_id if same_app else None,
        )

    return ResolvedSettings(
        credentials=credentials,
        sources=MappingProxyType(dict(sorted(sources.items()))),
        client_id=values["client_id"].strip() if "client_id" in values else None,
        environment_id=values["environment_id"].strip() if "environment_id" in values else None,
        region=reg,
        scopes=resolved_scopes,
        auth_base_url=urls["auth_base_url"],
        api_base_url=urls["api_base_url"],
        token_cache_ttl_percent=values["token_cache_ttl_percent"],
        introspection_enabled=values["introspection_enabled"],
        management_api_enabled=values["management_api_enabled"],
        auto_discovery=values["auto_discovery"],
        default_scopes=values["default_scopes"],
        missing=tuple(missing),
    )


_REQUIRED = ("client_id", "client_secret", "environment_id")


def _collect(
    args: Mapping[str, Any],
    *,
    env: Mapping[str, str],
    env_file: str | Path | None,
    settings_file: str | Path | None,
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Merge the argument, environment, .env and settings.json layers (first wins)."""
    layers: list[dict[str, tuple[Any, str]]] = [
        {
            name: (value, "argument")
            for name, value in args.items()
            if value is not None and not (isinstance(value, str) and not value.strip())
        },
        _env_layer(env, "env:"),
    ]
    if env_file is not None:
        layers.append(_env_layer(parse_env_file(env_file), f"env-file:{env_file}:"))
    settings: dict[str, Any] = {}
    if settings_file is not None:
        settings = _read_settings_file(settings_file)
        label = f"settings:{settings_file}"
        layers.append({k: (v, label) for k, v in settings.items() if v is not None})
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for layer in layers:
        for name, (value, source) in layer.items():
            if name not in values:
                values[name] = value
                sources[name] = _clean_source(source)
    return values, sources, settings


def _apply_store(
    values: dict[str, Any], sources: dict[str, str], stored: StoredLookup | None
) -> ClientCredentials | None:
    """Fill missing values from stored credentials (asked only when something required lacks)."""
    if stored is None or all(name in values for name in _REQUIRED):
        return None
    known_id = values.get("client_id")
    candidate = stored(known_id.strip() if isinstance(known_id, str) else None)
    if candidate is None:
        return None
    if isinstance(known_id, str) and candidate.client_id != known_id.strip():
        return None  # another app's credentials: never mix them with ours
    for name, value in (
        ("client_id", candidate.client_id),
        ("client_secret", candidate.client_secret),
        ("environment_id", candidate.environment_id),
        ("region", candidate.region),
        ("scopes", candidate.scopes or None),
    ):
        if name not in values and value is not None:
            values[name] = value
            sources[name] = "store"
    return candidate


def _resolve_region(values: dict[str, Any], sources: dict[str, str]) -> Region:
    try:
        reg = Region.parse(values.get("region"))
    except ConfigurationError as exc:
        # Re-raise naming where the bad code came from.
        raise ConfigurationError(
            f"{exc.message} (from {sources.get('region', 'default')})", hint=exc.hint
        ) from None
    sources.setdefault("region", "default")
    return reg


def _resolve_scopes(
    values: dict[str, Any], sources: dict[str, str], settings: Mapping[str, Any]
) -> frozenset[str]:
    default_scopes: frozenset[str] = settings.get("default_scopes", frozenset())
    if "scopes" in values:
        try:
            return normalize_scopes(_split_scopes(values["scopes"]))
        except TypeError:
            raise ConfigurationError(
                f"scopes must be a string or an iterable of strings (from {sources['scopes']})",
                hint='e.g. scopes="openid profile" or scopes=["openid", "profile"]',
            ) from None
    if default_scopes:
        sources["scopes"] = sources["default_scopes"]
        return default_scopes
    sources["scopes"] = "default"
    return frozenset()


def _resolve_urls(
    values: dict[str, Any], sources: dict[str, str], allow_loopback_http: bool
) -> dict[str, str | None]:
    urls: dict[str, str | None] = {}
    for name in ("auth_base_url", "api_base_url"):
        raw = values.get(name)
        if raw is None:
            urls[name] = None
            sources[name] = "default"
            continue
        if not isinstance(raw, str):
            raise ConfigurationError(
                f"{name} must be a str, not {type(raw).__name__} (from {sources[name]})",
                hint="give a full https:// URL",
            )
        urls[name] = check_secure_url(
            raw, what=f"{name} (from {sources[name]})", allow_loopback_http=allow_loopback_http
        )
    return urls


def _check_types(values: Mapping[str, Any], sources: Mapping[str, str]) -> None:
    for name in ("client_id", "environment_id"):
        if name in values and not isinstance(values[name], str):
            raise ConfigurationError(
                f"{name} must be a str, not {type(values[name]).__name__} (from {sources[name]})",
                hint=f"pass {name} as a string",
            )
    secret = values.get("client_secret")
    if secret is not None and not isinstance(secret, (str, Secret)):
        raise ConfigurationError(
            f"client_secret must be a str or Secret, not {type(secret).__name__}",
            hint="pass the client secret as a string or Secret",
        )


def _clean_source(source: str) -> str:
    # "env:PINGONE_X" stays; "env-file:<path>:PINGONE_X" -> "env-file:<path>".
    if source.startswith("env-file:"):
        return source.rsplit(":", 1)[0]
    return source


def _split_scopes(value: Any) -> Any:
    # PINGONE_SCOPES may be space- or comma-separated.
    if isinstance(value, str):
        return value.replace(",", " ")
    return value


def _missing_error(missing: list[str]) -> ConfigurationError:
    lines = [f"{name} (from {_WHERE[name]})" for name in missing]
    return ConfigurationError(
        f"missing PingOne setting{'s' if len(missing) > 1 else ''}: " + "; ".join(lines),
        details=[{"setting": name, "sources": _WHERE[name]} for name in missing],
        hint="set the PINGONE_* environment variables or pass the values explicitly",
    )


def resolve_credentials(
    *,
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    environment_id: str | None = None,
    region: Region | str | None = None,
    scopes: str | Iterable[str] | None = None,
    auth_base_url: str | None = None,
    api_base_url: str | None = None,
    env: Mapping[str, str] | None = None,
    env_file: str | Path | None = None,
    settings_file: str | Path | None = None,
    stored: StoredLookup | None = None,
    require: bool = True,
    allow_loopback_http: bool = False,
) -> ClientCredentials:
    """Like ``resolve_settings``, returning only the ``ClientCredentials``.

    Always raises ``ConfigurationError`` when a required value is missing (``require``
    is accepted for signature compatibility and ignored).
    """
    del require  # credentials are the whole point here: always required
    resolved = resolve_settings(
        client_id=client_id,
        client_secret=client_secret,
        environment_id=environment_id,
        region=region,
        scopes=scopes,
        auth_base_url=auth_base_url,
        api_base_url=api_base_url,
        env=env,
        env_file=env_file,
        settings_file=settings_file,
        stored=stored,
        require=True,
        allow_loopback_http=allow_loopback_http,
    )
    assert resolved.credentials is not None  # noqa: S101 - require=True guarantees it
    return resolved.credentials
