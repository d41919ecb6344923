"""Settings sources: ``PINGONE_*`` environment variables, ``.env`` files, ``settings.json``.

Each reader returns values by setting name and validates what it reads; messages name the
file, line or key, never a value. ``_settings`` combines the sources in precedence order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._input import check_path, finite_number, load_json
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker._core._token import normalize_scopes

__all__ = ["ENV_VARS", "EnvView", "parse_env_file"]

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

# --- keeping values out of tracebacks -------------------------------------------------


class EnvView(Mapping[str, str]):
    """An environment-like mapping whose ``repr`` shows no value.

    ``os.environ`` (or a caller's ``env=`` dict) in a frame's locals would print every
    variable, ``PINGONE_CLIENT_SECRET`` included, in ``pytest -l`` and
    ``TracebackException(capture_locals=True)``; the resolution code holds this view instead.
    """

    __slots__ = ("_env",)

    _env: Mapping[str, str]

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env._env if isinstance(env, EnvView) else env

    def __getitem__(self, key: str) -> str:
        return self._env[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)

    def __repr__(self) -> str:
        return f"EnvView(<{len(self._env)} variables, values not shown>)"


# --- sources ---------------------------------------------------------------------------


@sealed_frames
def parse_env_file(path: str | Path) -> dict[str, str]:
    """Read a ``.env`` file: ``KEY=VALUE`` lines, ``#`` comments, optional ``export``.

    Values may be wrapped in single or double quotes (kept verbatim inside; double quotes
    understand ``\\n``, ``\\"`` and ``\\\\``). An unquoted value ends at `` #``. No variable
    expansion. A malformed line raises ``ConfigurationError`` naming the file and line
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


@sealed_frames
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
    env = EnvView(env)  # a .env file's dict would print its secret in tracebacks with locals
    out: dict[str, tuple[Any, str]] = {}
    for name, var in ENV_VARS.items():
        value = env.get(var)
        if value is None or not value.strip():
            continue  # an empty variable counts as unset (docker-compose writes those)
        # The secret is wrapped at once: nothing below holds it raw.
        out[name] = (
            Secret(value) if name == "client_secret" else value.strip(),
            f"{label}{var}",
        )
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
