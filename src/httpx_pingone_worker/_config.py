"""Settings resolution with a recorded source per value, and credential format checks.

Precedence, highest first (each value is resolved on its own, so the client id may come
from an argument while the secret comes from the environment):

1. explicit arguments of :func:`resolve_settings`;
2. environment variables (``PINGONE_CLIENT_ID``, ``PINGONE_CLIENT_SECRET``,
   ``PINGONE_ENVIRONMENT_ID``, ``PINGONE_REGION``, ``PINGONE_SCOPES``, and the host
   overrides ``PINGONE_AUTH_BASE_URL`` / ``PINGONE_API_BASE_URL`` or the Go SDK pair
   ``PINGONE_AUTH_SERVICE_HOSTNAME`` + ``PINGONE_API_SERVICE_HOSTNAME``);
3. a ``.env`` file, only when its path is passed (``env_file=``); same variable names;
4. a ``settings.json`` file (``settings_file=``) with the block
   ``{"pingone": {"workerToken": {...}}}``;
5. stored credentials (the ``stored=`` callable, asked only when a required value is
   still missing).

Every resolved value records where it came from in :attr:`ResolvedSettings.sources`
(``"argument"``, ``"env:PINGONE_X"``, ``"env-file:<path>"``, ``"settings:<path>"``,
``"store"`` or ``"default"``). Messages name settings, variables, files and keys; never a
value, so a secret pasted into the wrong place cannot leak through an error.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ._core._errors import ConfigurationError, CredentialFormatError
from ._core._input import check_path, finite_number, load_json
from ._core._regions import Region, check_secure_url
from ._core._secrets import Secret
from ._core._token import normalize_scopes
from ._credentials import ClientCredentials

__all__ = [
    "DEFAULT_REFRESH_RATIO",
    "ENV_VARS",
    "CredentialProblem",
    "ResolvedSettings",
    "parse_env_file",
    "resolve_credentials",
    "resolve_settings",
    "validate_credential_format",
]

DEFAULT_REFRESH_RATIO = 0.8

#: Setting name -> environment variable that supplies it.
ENV_VARS: Mapping[str, str] = MappingProxyType(
    {
        "client_id": "PINGONE_CLIENT_ID",
        "client_secret": "PINGONE_CLIENT_SECRET",
        "environment_id": "PINGONE_ENVIRONMENT_ID",
        "region": "PINGONE_REGION",
        "scopes": "PINGONE_SCOPES",
        "auth_base_url": "PINGONE_AUTH_BASE_URL",
        "api_base_url": "PINGONE_API_BASE_URL",
    }
)
_GO_AUTH_HOST = "PINGONE_AUTH_SERVICE_HOSTNAME"
_GO_API_HOST = "PINGONE_API_SERVICE_HOSTNAME"

# settings.json keys (camelCase, as in the file) -> setting name.
_SETTINGS_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "clientId": "client_id",
        "environmentId": "environment_id",
        "region": "region",
        "authBaseUrl": "auth_base_url",
        "apiBaseUrl": "api_base_url",
        "defaultScopes": "default_scopes",
        "tokenCacheTtlPercent": "token_cache_ttl_percent",
        "introspectionEnabled": "introspection_enabled",
        "managementApiEnabled": "management_api_enabled",
        "autoDiscovery": "auto_discovery",
    }
)
_BOOL_SETTINGS = ("introspection_enabled", "management_api_enabled", "auto_discovery")
_STR_SETTINGS = ("client_id", "environment_id", "region", "auth_base_url", "api_base_url")

StoredLookup = Callable[[str | None], ClientCredentials | None]


@dataclass(frozen=True, slots=True)
class ResolvedSettings:
    """The outcome of :func:`resolve_settings`.

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


@dataclass(frozen=True, slots=True)
class CredentialProblem:
    """One thing :func:`validate_credential_format` found wrong or suspicious.

    ``field`` names the setting (``client_id``, ``client_secret``, ``environment_id``);
    ``message`` says what looks wrong without quoting the value; ``hint`` says how to fix
    it. ``severity`` is ``"error"`` (cannot work with PingOne) or ``"warning"`` (unusual,
    but may be right, e.g. a custom OIDC server's secret format).
    """

    field: str
    message: str
    hint: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.hint})"


# --- sources ---------------------------------------------------------------------------


def parse_env_file(path: str | Path) -> dict[str, str]:
    """Read a ``.env`` file: ``KEY=VALUE`` lines, ``#`` comments, optional ``export``.

    Values may be wrapped in single or double quotes (kept verbatim inside; double quotes
    understand ``\\n``, ``\\"`` and ``\\\\``). An unquoted value ends at `` #``. No variable
    expansion. A malformed line raises :class:`ConfigurationError` naming the file and line
    number, never the line's text.
    """
    p = check_path(path, what="env_file")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigurationError(
            f"env file {str(p)!r} does not exist",
            hint="check the env_file= path, or leave it out to skip the .env source",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"env file {str(p)!r} cannot be read ({type(exc).__name__})",
            hint="it must be a readable UTF-8 text file",
        ) from None
    out: dict[str, str] = {}
    for lineno, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
            raise ConfigurationError(
                f"env file {str(p)!r} line {lineno} is not KEY=VALUE",
                hint="write one NAME=value per line; comments start with #",
            )
        value = value.strip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            end = _closing_quote(value, quote)
            if end < 0:
                raise ConfigurationError(
                    f"env file {str(p)!r} line {lineno} has an unterminated {quote} quote",
                    hint="close the quote on the same line",
                )
            inner = value[1:end]
            if quote == '"':
                inner = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), inner)
            value = inner
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        out[key] = value
    return out


def _closing_quote(value: str, quote: str) -> int:
    i = 1
    while i < len(value):
        if value[i] == "\\" and quote == '"':
            i += 2
            continue
        if value[i] == quote:
            return i
        i += 1
    return -1


def _read_settings_file(path: str | Path) -> dict[str, Any]:
    """Validated ``pingone.workerToken`` values of a settings.json, by setting name."""
    p = check_path(path, what="settings_file")
    where = str(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigurationError(
            f"settings file {where!r} does not exist",
            hint="check the settings_file= path, or leave it out to skip settings.json",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"settings file {where!r} cannot be read ({type(exc).__name__})",
            hint="it must be a readable UTF-8 JSON file",
        ) from None
    doc = load_json(
        text,
        what=f"settings file {where!r}",
        exc_type=ConfigurationError,
        hint='expected {"pingone": {"workerToken": {...}}}',
    )
    if not isinstance(doc, dict):
        raise ConfigurationError(
            f"settings file {where!r}: the top level must be a JSON object",
            hint='expected {"pingone": {"workerToken": {...}}}',
        )
    pingone = doc.get("pingone")
    if pingone is None:
        return {}
    if not isinstance(pingone, dict):
        raise ConfigurationError(
            f"settings file {where!r}: key 'pingone' must be an object",
            hint='expected {"pingone": {"workerToken": {...}}}',
        )
    block = pingone.get("workerToken")
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise ConfigurationError(
            f"settings file {where!r}: key 'pingone.workerToken' must be an object",
            hint='expected {"pingone": {"workerToken": {...}}}',
        )
    out: dict[str, Any] = {}
    for key, value in block.items():
        dotted = f"pingone.workerToken.{key}"
        if key in ("clientSecret", "client_secret", "secret"):
            raise ConfigurationError(
                f"settings file {where!r}: key {dotted!r} must not hold a client secret",
                hint="settings files get committed; use PINGONE_CLIENT_SECRET, a .env file "
                "kept out of version control, or secure_store()",
            )
        name = _SETTINGS_KEYS.get(key)
        if name is None:
            raise ConfigurationError(
                f"settings file {where!r}: unknown key {dotted!r}",
                hint=f"known keys: {', '.join(sorted(_SETTINGS_KEYS))}",
            )
        if value is None:
            continue
        out[name] = _check_settings_value(where, dotted, name, value)
    return out


def _check_settings_value(where: str, dotted: str, name: str, value: Any) -> Any:
    def bad(expected: str) -> ConfigurationError:
        return ConfigurationError(
            f"settings file {where!r}: key {dotted!r} must be {expected}, not {_json_type(value)}",
            hint=f"fix {dotted} in {where}",
        )

    if name in _BOOL_SETTINGS:
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if name == "token_cache_ttl_percent":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        ratio = finite_number(value)
        if ratio is None or not 0.0 < ratio < 1.0:
            raise ConfigurationError(
                f"settings file {where!r}: key {dotted!r} must be between 0 and 1 (exclusive)",
                hint="it is the fraction of a token's lifetime after which it is refreshed, "
                "e.g. 0.8",
            )
        return ratio
    if name == "default_scopes":
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise bad("a list of strings")
        return normalize_scopes(value)
    if name in _STR_SETTINGS:
        if not isinstance(value, str):
            raise bad("a string")
        return value.strip() or None
    raise AssertionError(name)  # pragma: no cover - _SETTINGS_KEYS and checks agree


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _env_layer(env: Mapping[str, str], label: str) -> dict[str, tuple[Any, str]]:
    """Setting name -> (value, source) from PINGONE_* variables of one env-like mapping."""
    out: dict[str, tuple[Any, str]] = {}
    for name, var in ENV_VARS.items():
        value = env.get(var)
        if value is None or not value.strip():
            continue  # an empty variable counts as unset (docker-compose writes those)
        out[name] = (value if name == "client_secret" else value.strip(), f"{label}{var}")
    auth_host = (env.get(_GO_AUTH_HOST) or "").strip()
    api_host = (env.get(_GO_API_HOST) or "").strip()
    if bool(auth_host) != bool(api_host):
        have, lack = (_GO_AUTH_HOST, _GO_API_HOST) if auth_host else (_GO_API_HOST, _GO_AUTH_HOST)
        raise ConfigurationError(
            f"{have} is set ({label.rstrip(':')}) but {lack} is not",
            hint="overriding one PingOne service hostname requires the other (as in Ping's "
            "Go SDK); set both, or use PINGONE_AUTH_BASE_URL / PINGONE_API_BASE_URL",
        )
    if auth_host and "auth_base_url" not in out:
        out["auth_base_url"] = (_host_to_url(auth_host, ""), f"{label}{_GO_AUTH_HOST}")
    if api_host and "api_base_url" not in out:
        out["api_base_url"] = (_host_to_url(api_host, "/v1"), f"{label}{_GO_API_HOST}")
    return out


def _host_to_url(host: str, path: str) -> str:
    if "://" in host:
        return host.rstrip("/")
    return f"https://{host.strip('/')}{path}"


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

    ``env`` defaults to :data:`os.environ`. ``env_file`` and ``settings_file`` are read
    only when given (a given path that does not exist is an error). ``stored`` is called
    with the client id resolved so far (or ``None``) when the client id, secret or
    environment id is still missing; it returns :class:`ClientCredentials` or ``None``.

    With ``require=True`` (default) every missing required value (client id, client
    secret, environment id) is reported in ONE :class:`ConfigurationError` that lists
    them all and where each could come from. ``environment_id_required=False`` is for a
    custom OIDC server (explicit token endpoint or issuer): the credentials then come
    without an environment id when none is configured. Host overrides are checked for HTTPS
    (``allow_loopback_http`` permits ``http://`` to loopback hosts only).
    """
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
        env=os.environ if env is None else env,
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
    """Like :func:`resolve_settings`, returning only the :class:`ClientCredentials`.

    Always raises :class:`ConfigurationError` when a required value is missing (``require``
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


# --- format validation -----------------------------------------------------------------

# Characters PingOne uses in generated client secrets.
_PINGONE_SECRET_CHARS = re.compile(r"[A-Za-z0-9._~-]+")
_MIN_SECRET_LEN = 16
_MAX_SECRET_LEN = 1024


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))


def validate_credential_format(
    client_id: str | None,
    client_secret: str | Secret | None,
    environment_id: str | None = None,
    *,
    raise_on_error: bool = False,
) -> list[CredentialProblem]:
    """Check that credentials look like a PingOne worker app's; return what looks off.

    Ids must be UUIDs (``8-4-4-4-12`` hex); the secret must be non-empty and is checked
    for plausibility: surrounding whitespace or control characters (copy-paste damage)
    and equality with an id are errors; an unusual length or characters outside PingOne's
    ``[A-Za-z0-9._~-]`` are warnings only, because custom OIDC servers issue other formats.
    No message quotes a value. With ``raise_on_error=True``, any ``"error"``-severity
    problem raises :class:`CredentialFormatError` carrying every problem.
    """
    problems: list[CredentialProblem] = []

    def check_id(name: str, value: object, what: str) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(CredentialProblem(name, "is missing", f"set it to the {what} (a UUID)"))
            return
        if not isinstance(value, str):
            problems.append(
                CredentialProblem(
                    name, f"must be a str, not {type(value).__name__}", f"pass the {what}"
                )
            )
            return
        if value != value.strip():
            problems.append(
                CredentialProblem(
                    name,
                    "has leading or trailing whitespace",
                    "remove the spaces or newline copied along with it",
                )
            )
        if not _is_uuid(value.strip()):
            problems.append(
                CredentialProblem(
                    name,
                    "is not a UUID (8-4-4-4-12 hexadecimal digits)",
                    f"copy the {what} from the PingOne admin console"
                    + (
                        "; imported apps and custom OIDC servers may use other ids"
                        if name == "client_id"
                        else ""
                    ),
                )
            )

    check_id("client_id", client_id, "worker application's Client ID")
    if environment_id is not None:
        check_id("environment_id", environment_id, "environment ID")

    given: object = client_secret  # callers without type checking pass anything
    if isinstance(given, Secret):
        problems.extend(_secret_problems(given.get_secret_value(), client_id, environment_id))
    elif given is None or isinstance(given, str):
        problems.extend(_secret_problems(given, client_id, environment_id))
    else:
        problems.append(
            CredentialProblem(
                "client_secret",
                f"must be a str or Secret, not {type(given).__name__}",
                "pass the client secret as a string",
            )
        )

    if raise_on_error and any(p.severity == "error" for p in problems):
        fields = sorted({p.field for p in problems if p.severity == "error"})
        raise CredentialFormatError(
            f"credentials look wrong: {', '.join(fields)}",
            problems=problems,
            hint="; ".join(str(p) for p in problems if p.severity == "error"),
        )
    return problems


def _secret_problems(
    raw: str | None, client_id: str | None, environment_id: str | None
) -> list[CredentialProblem]:
    name = "client_secret"
    if not raw:
        return [
            CredentialProblem(
                name, "is missing", "copy the Client Secret of the worker application"
            )
        ]
    out: list[CredentialProblem] = []
    if raw != raw.strip():
        out.append(
            CredentialProblem(
                name,
                "has leading or trailing whitespace",
                "remove the spaces or newline copied along with it",
            )
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in raw.strip()):
        out.append(
            CredentialProblem(
                name,
                "contains control characters",
                "the value was probably damaged while copying; copy it again",
            )
        )
    ids = {v.strip() for v in (client_id, environment_id) if isinstance(v, str) and v.strip()}
    if raw.strip() in ids:
        out.append(
            CredentialProblem(
                name,
                "equals the client or environment id",
                "the secret is a separate value: copy the Client Secret, not an id",
            )
        )
    elif _is_uuid(raw.strip()):
        out.append(
            CredentialProblem(
                name,
                "looks like a UUID (an id), not a client secret",
                "check that the client id and secret were not swapped",
                "warning",
            )
        )
    stripped = raw.strip()
    if len(stripped) < _MIN_SECRET_LEN:
        out.append(
            CredentialProblem(
                name,
                f"is shorter than {_MIN_SECRET_LEN} characters",
                "PingOne generates 64-character secrets; check it was copied in full",
                "warning",
            )
        )
    elif len(stripped) > _MAX_SECRET_LEN:
        out.append(
            CredentialProblem(
                name,
                f"is longer than {_MAX_SECRET_LEN} characters",
                "check that a whole file or token was not pasted instead of the secret",
                "warning",
            )
        )
    printable = "".join(c for c in stripped if ord(c) >= 32 and ord(c) != 127)
    if printable and not _PINGONE_SECRET_CHARS.fullmatch(printable):
        out.append(
            CredentialProblem(
                name,
                "contains characters PingOne does not use in generated secrets",
                "fine for a custom OIDC server; for PingOne, check for copy-paste artefacts "
                "such as quotes or spaces",
                "warning",
            )
        )
    return out
