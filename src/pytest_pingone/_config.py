"""Command-line options, ini settings and their resolution into a frozen config.

Precedence for every setting: command-line option > environment variable > ini file >
default. Credentials come from the ``pytest_pingone_credentials`` hook or from
``PINGONE_*`` environment variables only: a secret in an ini file is a usage error,
because ini files are committed.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from httpx_pingone_worker import ClientCredentials

__all__ = [
    "CONFIG_KEY",
    "CREDENTIAL_ENV_VARS",
    "Mode",
    "PingOneTestConfig",
    "add_options",
    "get_config",
    "resolve_config",
]

CREDENTIAL_ENV_VARS = ("PINGONE_CLIENT_ID", "PINGONE_CLIENT_SECRET", "PINGONE_ENVIRONMENT_ID")
# Registered only so that setting one gives our clear error, not "unknown option".
_SECRET_INI_NAMES = ("pingone_client_secret", "pingone_private_key")


class Mode(str, enum.Enum):
    """Where the ``pingone_*`` fixtures get PingOne from."""

    EMULATOR = "emulator"
    LIVE = "live"
    AUTO = "auto"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class PingOneTestConfig:
    """The plugin's settings for one pytest session, resolved once in ``pytest_configure``.

    ``mode`` is the effective mode (``emulator`` or ``live``; ``auto`` is resolved);
    ``sources`` maps each setting to where it came from (``option --pingone``,
    ``env PINGONE_REGION``, ``ini pingone_mode``, ``default`` …). ``live_credentials`` is
    set only in live mode when credentials were found; its ``repr`` masks the secret.
    """

    mode: Mode
    requested_mode: Mode
    require_live: bool
    allow_passthrough: bool
    region: str
    environment_id: str | None
    client_id: str | None
    live_credentials: ClientCredentials | None = None
    # As configured (a URL with user:password@ is refused when the auth is built); shown only
    # through display_url(), never in a repr.
    auth_base_url: str | None = field(default=None, repr=False)
    api_base_url: str | None = field(default=None, repr=False)
    missing: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_live(self) -> bool:
        """True when fixtures talk to a real PingOne tenant."""
        return self.mode is Mode.LIVE

    def live_unavailable_reason(self) -> str:
        """Why live mode cannot run (names the missing variables, never a value)."""
        missing = ", ".join(self.missing) or "credentials"
        return (
            f"PingOne live mode needs {missing}: set the PINGONE_* environment variables "
            "(or implement the pytest_pingone_credentials hook), or run with "
            "--pingone=emulator"
        )

    def header_lines(self) -> list[str]:
        """The ``pytest_report_header`` lines: mode, region, environment and their sources.

        Host overrides are shown without user info, query or fragment (``display_url``):
        ``PINGONE_AUTH_BASE_URL=https://svc:SECRET@proxy…`` must not reach a CI log.
        """
        from httpx_pingone_worker._core._regions import display_url

        src = self.sources
        mode = f"pingone: mode={self.mode} ({src.get('mode', 'default')}"
        if self.requested_mode is not self.mode:
            mode += f"; --pingone={self.requested_mode} resolved to {self.mode}"
        mode += ")"
        if self.require_live:
            mode += ", require-live"
        if self.allow_passthrough:
            mode += ", passthrough to real PingOne hosts allowed"
        if self.is_live:
            env = self.environment_id or "<missing>"
            where = src.get("environment_id", "missing")
            target = f"pingone: region={self.region} ({src.get('region', 'default')}), "
            target += f"environment={env} ({where})"
            if self.client_id:
                target += f", client_id={self.client_id} ({src.get('client_id', 'missing')})"
            for name in ("auth_base_url", "api_base_url"):
                value = getattr(self, name)
                if value:
                    target += f", {name}={display_url(value)} ({src[name]})"
        else:
            target = (
                f"pingone: region={self.region} ({src.get('region', 'default')}), "
                "environment=<emulator, seeded per test>"
            )
        return [mode, target]


CONFIG_KEY = pytest.StashKey[PingOneTestConfig]()


def add_options(parser: pytest.Parser) -> None:
    """Register the ``--pingone*`` options and their ini equivalents."""
    group = parser.getgroup("pingone", "PingOne fixtures (httpx-pingone-worker)")
    group.addoption(
        "--pingone",
        dest="pingone_mode",
        choices=[m.value for m in Mode],
        default=None,
        help="where pingone_* fixtures get PingOne from: emulator (default, offline), "
        "live (the tenant in PINGONE_*), auto (live when PINGONE_CLIENT_ID, "
        "PINGONE_CLIENT_SECRET and PINGONE_ENVIRONMENT_ID are all set). ini: pingone_mode",
    )
    group.addoption(
        "--pingone-require-live",
        dest="pingone_require_live",
        action="store_true",
        default=None,
        help="live mode, and fail (instead of skip) tests when live credentials are "
        "missing. ini: pingone_require_live",
    )
    group.addoption(
        "--pingone-allow-passthrough",
        dest="pingone_allow_passthrough",
        action="store_true",
        default=None,
        help="emulator mode: let requests to PingOne hosts the emulator does not serve "
        "reach the network (default: refused). ini: pingone_allow_passthrough",
    )
    group.addoption(
        "--pingone-region",
        dest="pingone_region",
        default=None,
        help="PingOne region (NA, EU, CA, AU, SG, AP) of the emulator, and of the live "
        "tenant. env: PINGONE_REGION, ini: pingone_region",
    )
    parser.addini("pingone_mode", "emulator | live | auto (default emulator)")
    parser.addini(
        "pingone_require_live", "fail instead of skip without live credentials", type="bool"
    )
    parser.addini(
        "pingone_allow_passthrough",
        "let requests to unserved PingOne hosts reach the network",
        type="bool",
    )
    parser.addini("pingone_region", "default PingOne region (NA)")
    parser.addini("pingone_environment_id", "live environment id (env PINGONE_ENVIRONMENT_ID wins)")
    parser.addini("pingone_client_id", "live client id (env PINGONE_CLIENT_ID wins)")
    for name in _SECRET_INI_NAMES:
        parser.addini(
            name,
            "never set this: secrets come from PINGONE_* environment variables or the "
            "pytest_pingone_credentials hook",
        )


def _ini_str(config: pytest.Config, name: str) -> str | None:
    value = config.getini(name)
    if value is None or value in ("", []):
        return None
    return str(value).strip() or None


def _ini_flag(config: pytest.Config, name: str) -> bool:
    return bool(config.getini(name))


def _check_no_secret_in_ini(config: pytest.Config) -> None:
    # Only registered names can be read (config.inicfg is deprecated); an unregistered
    # secret-looking key already gets pytest's "unknown config option" treatment.
    for key in _SECRET_INI_NAMES:
        if _ini_str(config, key) is not None:
            raise pytest.UsageError(
                f"ini setting {key!r} looks like a PingOne secret; secrets must never live "
                f"in {config.inipath or 'an ini file'} (it is usually committed). Remove it and "
                "set PINGONE_CLIENT_SECRET in the environment, or implement the "
                "pytest_pingone_credentials hook."
            )


def _parse_mode(value: str, where: str) -> Mode:
    try:
        return Mode(value.strip().lower())
    except ValueError:
        valid = ", ".join(m.value for m in Mode)
        raise pytest.UsageError(
            f"{where}: unknown PingOne mode {value!r}; use one of {valid}"
        ) from None


def _resolve_mode(config: pytest.Config, sources: dict[str, str]) -> tuple[Mode, bool, bool]:
    """Requested mode, require-live and allow-passthrough (option > ini > default)."""
    opt_mode = config.getoption("pingone_mode")
    ini_mode = _ini_str(config, "pingone_mode")
    if opt_mode is not None:
        requested = _parse_mode(opt_mode, "--pingone")
        sources["mode"] = "option --pingone"
    elif ini_mode is not None:
        requested = _parse_mode(ini_mode, f"ini pingone_mode in {config.inipath}")
        sources["mode"] = "ini pingone_mode"
    else:
        requested = Mode.EMULATOR
        sources["mode"] = "default"

    def flag(name: str) -> bool:
        value = config.getoption(name)
        if value is not None:
            return bool(value)
        return _ini_flag(config, name)

    require_live = flag("pingone_require_live")
    allow_passthrough = flag("pingone_allow_passthrough")
    if require_live:
        if requested is Mode.EMULATOR and sources["mode"] != "default":
            raise pytest.UsageError(
                f"--pingone-require-live contradicts mode 'emulator' ({sources['mode']}); "
                "drop one of them"
            )
        if requested is not Mode.LIVE:
            requested = Mode.LIVE
            sources["mode"] = "--pingone-require-live"
    return requested, require_live, allow_passthrough


def resolve_config(
    config: pytest.Config, env: Mapping[str, str] | None = None
) -> PingOneTestConfig:
    """Resolve options, environment and ini into a ``PingOneTestConfig``.

    Raises ``pytest.UsageError`` for a secret in the ini file, an unknown mode or
    region, or ``--pingone-require-live`` together with ``--pingone=emulator``.
    """
    from httpx_pingone_worker import ConfigurationError, Region

    env = os.environ if env is None else env
    _check_no_secret_in_ini(config)
    sources: dict[str, str] = {}
    requested, require_live, allow_passthrough = _resolve_mode(config, sources)

    def setting(name: str, option: str | None, env_name: str, ini: str) -> str | None:
        value = config.getoption(option) if option else None
        if value:
            sources[name] = f"option --{option.replace('_', '-')}" if option else ""
            return str(value).strip()
        if env.get(env_name, "").strip():
            sources[name] = f"env {env_name}"
            return env[env_name].strip()
        ini_value = _ini_str(config, ini)
        if ini_value is not None:
            sources[name] = f"ini {ini}"
            return ini_value
        return None

    region_raw = setting("region", "pingone_region", "PINGONE_REGION", "pingone_region")
    try:
        region = Region.parse(region_raw).value
    except ConfigurationError as exc:
        raise pytest.UsageError(f"PingOne region ({sources['region']}): {exc}") from None
    sources.setdefault("region", "default")
    environment_id = setting(
        "environment_id", None, "PINGONE_ENVIRONMENT_ID", "pingone_environment_id"
    )
    client_id = setting("client_id", None, "PINGONE_CLIENT_ID", "pingone_client_id")
    # Host overrides (a proxy, a staging stack, an emulator server): env only, live only.
    overrides: dict[str, str | None] = {}
    for name, env_name in (
        ("auth_base_url", "PINGONE_AUTH_BASE_URL"),
        ("api_base_url", "PINGONE_API_BASE_URL"),
    ):
        overrides[name] = env.get(env_name, "").strip() or None
        if overrides[name]:
            sources[name] = f"env {env_name}"

    live_credentials: ClientCredentials | None = None
    missing: tuple[str, ...] = ()
    mode = Mode.EMULATOR
    if requested is not Mode.EMULATOR:
        live_credentials, missing = _live_credentials(
            config,
            env,
            client_id=client_id,
            environment_id=environment_id,
            region=region,
            sources=sources,
        )
        if requested is Mode.LIVE or live_credentials is not None:
            mode = Mode.LIVE
        if live_credentials is not None:
            environment_id = live_credentials.environment_id
            client_id = live_credentials.client_id
            region = live_credentials.region.value
    return PingOneTestConfig(
        mode=mode,
        requested_mode=requested,
        require_live=require_live,
        allow_passthrough=allow_passthrough,
        region=region,
        environment_id=environment_id,
        client_id=client_id,
        live_credentials=live_credentials,
        auth_base_url=overrides["auth_base_url"] if mode is Mode.LIVE else None,
        api_base_url=overrides["api_base_url"] if mode is Mode.LIVE else None,
        missing=missing,
        sources=MappingProxyType(sources),
    )


def _live_credentials(
    config: pytest.Config,
    env: Mapping[str, str],
    *,
    client_id: str | None,
    environment_id: str | None,
    region: str,
    sources: dict[str, str],
) -> tuple[ClientCredentials | None, tuple[str, ...]]:
    from httpx_pingone_worker import ClientCredentials, ConfigurationError

    hooked = config.hook.pytest_pingone_credentials(config=config)
    if hooked is not None:
        if not isinstance(hooked, ClientCredentials):
            raise pytest.UsageError(
                "pytest_pingone_credentials must return ClientCredentials or None, not "
                f"{type(hooked).__name__}"
            )
        for name in ("client_id", "environment_id", "region", "client_secret"):
            sources[name] = "hook pytest_pingone_credentials"
        return hooked, ()
    secret = env.get("PINGONE_CLIENT_SECRET", "").strip()
    missing = tuple(
        name
        for name, value in (
            ("PINGONE_CLIENT_ID", client_id),
            ("PINGONE_CLIENT_SECRET", secret),
            ("PINGONE_ENVIRONMENT_ID", environment_id),
        )
        if not value
    )
    if missing or client_id is None or environment_id is None:
        return None, missing
    sources["client_secret"] = "env PINGONE_CLIENT_SECRET"
    try:
        creds = ClientCredentials(
            client_id,
            secret,
            environment_id,
            region,
            env.get("PINGONE_SCOPES") or None,
        )
    except ConfigurationError as exc:
        raise pytest.UsageError(f"PingOne live credentials: {exc}") from None
    return creds, ()


def get_config(config: pytest.Config) -> PingOneTestConfig:
    """The session's ``PingOneTestConfig`` (resolved in ``pytest_configure``)."""
    try:
        return config.stash[CONFIG_KEY]
    except KeyError:
        resolved = resolve_config(config)
        config.stash[CONFIG_KEY] = resolved
        return resolved
