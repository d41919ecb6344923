"""``status`` (the status panel) and ``check`` (pass/fail diagnosis of a setup).

One cohesive thing (a little over 400 lines): ``check`` diagnoses from the same views and
probes that ``status`` renders, so the two commands and their views stay in one module.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from httpx_pingone_worker._core._errors import ManagementApiError, PingOneError
from httpx_pingone_worker._core._regions import display_url

from ._output import Output, format_duration
from ._tokens import token_info, token_rows

if TYPE_CHECKING:
    from ._session import Session

__all__ = [
    "AppView",
    "EnvironmentView",
    "LicenseView",
    "RoleView",
    "ServiceView",
    "app_data",
    "app_view",
    "environment_data",
    "environment_view",
    "probe_data",
    "register",
]

#: Probed by ``check``, ``status`` and ``demo``: what a worker app typically needs.
DEFAULT_PROBES = ("users", "groups", "populations", "applications", "roles")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``status`` and ``check`` to the parser."""
    p = sub.add_parser(
        "status",
        parents=[common],
        help="environment, region, app, roles, token fingerprint and expiry, cache",
        description="Show the status panel of the configured worker app.",
    )
    p.set_defaults(handler=cmd_status)
    c = sub.add_parser(
        "check",
        parents=[common],
        help="validate settings, credentials, connection, app discovery and API access",
        description="Run every check and exit 0 when all pass. A failed check exits with "
        "the status of its cause (2 settings, 3 credentials, 4 API refused, 5 unreachable) "
        "or 1.",
    )
    c.add_argument(
        "--probe",
        action="append",
        metavar="ENDPOINT",
        help=f"API endpoint to probe (repeatable; default: {', '.join(DEFAULT_PROBES)})",
    )
    c.set_defaults(handler=cmd_check)


@dataclass(frozen=True, slots=True)
class LicenseView:
    """The environment's license: its id always, name/package/status when PingOne says."""

    id: str | None
    name: str | None = None
    package: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceView:
    """One product of the environment's bill of materials (an enabled service)."""

    type: str
    description: str | None


@dataclass(frozen=True, slots=True)
class EnvironmentView:
    """What ``status`` shows about the environment: ids, names and URLs, never a secret."""

    id: str
    name: str | None
    type: str | None
    region: str | None
    license: LicenseView
    services: tuple[ServiceView, ...]

    def to_json(self) -> dict[str, Any]:
        """The documented ``environment`` object of ``status --json``."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class RoleView:
    """One role assignment of the worker app."""

    name: str | None
    role_id: str | None
    scope_type: str | None
    scope_id: str | None


@dataclass(frozen=True, slots=True)
class AppView:
    """The worker app as discovery sees it: name, description, type, state and roles."""

    name: str | None
    description: str | None
    enabled: bool
    type: str | None
    roles: tuple[RoleView, ...]

    def to_json(self) -> dict[str, Any]:
        """The documented ``application`` object."""
        return asdict(self)


def _services(raw: Mapping[str, Any]) -> list[ServiceView]:
    bom = raw.get("billOfMaterials")
    products = bom.get("products") if isinstance(bom, Mapping) else None
    return [
        ServiceView(
            type=p["type"],
            description=p["description"] if isinstance(p.get("description"), str) else None,
        )
        for p in products or ()
        if isinstance(p, Mapping) and isinstance(p.get("type"), str)
    ]


def environment_view(session: Session) -> EnvironmentView:
    """``GET /environments/{id}`` with its license and bill of materials.

    The license's name and package come from ``/organizations/{org}/licenses/{id}``, which
    needs a role that reads licenses: without one (403/404) only the id is shown. The bill of
    materials is embedded in the environment; if not, it is read from its own endpoint.
    """
    client = session.client()
    env = client.get_environment()
    creds = session.credentials
    raw = env.raw
    license_view = LicenseView(id=env.license_id)
    if env.license_id and env.organization_id:
        try:
            lic = client.get(f"/organizations/{env.organization_id}/licenses/{env.license_id}")
        except ManagementApiError:
            pass  # no role to read licenses: the id alone
        else:
            if isinstance(lic, Mapping):
                license_view = LicenseView(
                    id=env.license_id,
                    name=_text(lic.get("name")),
                    package=_text(lic.get("package")),
                    status=_text(lic.get("status")),
                )
    services = _services(raw)
    if not services and "billOfMaterials" not in raw:
        try:
            bom = client.get("/environments/{env}/billOfMaterials")
        except ManagementApiError:
            bom = None
        if isinstance(bom, Mapping):
            services = _services({"billOfMaterials": bom})
    return EnvironmentView(
        id=env.id or creds.environment_id or "",
        name=env.name,
        type=env.type,
        region=env.region,
        license=license_view,
        services=tuple(services),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def environment_data(session: Session) -> dict[str, Any]:
    """``environment_view`` as the JSON object ``status`` and ``demo`` print."""
    return environment_view(session).to_json()


def app_view(session: Session) -> AppView:
    """The worker app as discovery sees it."""
    from httpx_pingone_worker import discover_worker_app

    app = discover_worker_app(session.client(), session.credentials.client_id)
    return AppView(
        name=app.name,
        description=app.description,
        enabled=bool(app.enabled),
        type=app.type,
        roles=tuple(
            RoleView(name=r.name, role_id=r.role_id, scope_type=r.scope_type, scope_id=r.scope_id)
            for r in app.roles
        ),
    )


def app_data(session: Session) -> dict[str, Any]:
    """``app_view`` as a JSON object."""
    return app_view(session).to_json()


def probe_data(session: Session, probes: list[str] | None = None) -> list[dict[str, Any]]:
    """Which Management API endpoints the app's token may read."""
    from httpx_pingone_worker import test_api_access

    report = test_api_access(session.client(), list(probes or DEFAULT_PROBES))
    return [
        {
            "endpoint": r.endpoint,
            "allowed": bool(r.allowed),
            "status_code": r.status_code,
            "code": r.code,
            "outcome": getattr(r, "outcome", None),
        }
        for r in report.results
    ]


def render_probes(out: Output, probes: list[dict[str, Any]]) -> None:
    """A table of probe results."""
    out.table(
        ["endpoint", "access", "status", "code"],
        [
            [
                p["endpoint"],
                f"{out.mark(p['allowed'])} {'allowed' if p['allowed'] else 'DENIED'}",
                p["status_code"],
                p["code"],
            ]
            for p in probes
        ],
    )


def render_roles(out: Output, roles: list[dict[str, Any]]) -> None:
    """A table of role assignments."""
    out.table(
        ["role", "scope", "scope id"],
        [[r["name"], r["scope_type"], r["scope_id"]] for r in roles],
    )


def cmd_status(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker status``."""
    del args  # status takes only the global options
    creds = session.credentials
    token = session.auth().get_token()
    info = token_info(token)
    env = environment_view(session)
    app = app_view(session)
    endpoints = session.endpoints()
    cache = session.cache_info()
    out.emit_json(
        {
            "command": "status",
            "ok": True,
            "client_id": creds.client_id,
            "environment": env.to_json(),
            "region": creds.region.value,
            "application": app.to_json(),
            "token": info,
            "cache": cache,
            "endpoints": {
                "issuer": endpoints.issuer,
                "token": endpoints.token,
                "api": session.api_base_url,
            },
        }
    )
    enabled = out.ok("enabled") if app.enabled else out.bad("DISABLED")
    out.write(
        f"{env.name or env.id} · {creds.region.value} · {app.name} ({enabled}) · "
        f"token {info['fingerprint']} · expires in {format_duration(info['remaining'])}"
    )
    lic = env.license
    license_text = " · ".join(v for v in (lic.name, lic.package, lic.status) if v)
    out.heading("Environment")
    out.panel(
        [
            ("id", env.id),
            ("name", env.name),
            ("type", env.type),
            ("region", creds.region.value),
            ("license", f"{license_text} ({lic.id})" if license_text else lic.id),
            ("api", session.api_base_url),
            ("issuer", endpoints.issuer),
            ("token endpoint", endpoints.token),
        ]
    )
    out.heading("Services")
    out.table(["product", "description"], [[svc.type, svc.description] for svc in env.services])
    out.heading("Worker app")
    out.panel(
        [
            ("name", app.name),
            ("description", app.description),
            ("type", app.type),
            ("client id", creds.client_id),
            ("state", enabled),
            ("auth method", creds.auth_method),
        ]
    )
    out.write("")
    render_roles(out, [asdict(r) for r in app.roles])
    out.heading("Token")
    out.panel(token_rows(info))
    out.heading("Cache")
    out.panel([("backend", cache["backend"]), ("location", cache["location"])])
    return 0


@dataclass
class _Check:
    name: str
    passed: bool | None
    detail: str
    exit_code: int = 0


def _run_check(checks: list[_Check], name: str, fn: Callable[[], tuple[bool, str]]) -> bool:
    import httpx  # not at module level: `pingone-worker --help` does not load httpx

    from . import _describe, _exit_code_for

    try:
        passed, detail = fn()
    except (PingOneError, httpx.HTTPError) as exc:
        message, hint = _describe(exc)
        detail = f"{message} (hint: {hint})" if hint else message
        checks.append(_Check(name, False, detail, _exit_code_for(exc)))
        return False
    checks.append(_Check(name, passed, detail, 0 if passed else 1))
    return passed


def cmd_check(  # noqa: PLR0915 - the checks are nested functions on purpose
    args: argparse.Namespace, session: Session, out: Output
) -> int:
    """``pingone-worker check``."""
    checks: list[_Check] = []
    settings_view: dict[str, dict[str, Any]] = {}
    probes: list[dict[str, Any]] = []

    def configuration() -> tuple[bool, str]:
        sources = session.sources
        settings = session.resolve(require=False)  # None with --emulator
        if settings is not None:
            # Show what was found, with its source, even when something is missing.
            partial = {
                "client_id": settings.client_id,
                "client_secret": "********" if "client_secret" in sources else None,
                "environment_id": settings.environment_id,
                "region": settings.region.value,
                "scopes": " ".join(sorted(settings.scopes)) or None,
                "auth_base_url": settings.auth_base_url,
                "api_base_url": settings.api_base_url,
            }
            required = ("client_id", "client_secret", "environment_id")
            for name, value in partial.items():
                source = sources.get(name, "MISSING" if name in required else "default")
                settings_view[name] = {"value": value, "source": source}
        creds = session.credentials  # raises ConfigurationError naming what is missing
        values = {
            "client_id": creds.client_id,
            "client_secret": "********" if creds.client_secret else None,
            "environment_id": creds.environment_id,
            "region": creds.region.value,
            "auth_method": creds.auth_method,
            "scopes": " ".join(sorted(creds.scopes)) or None,
            "api_base_url": display_url(session.api_base_url),
        }
        if session.auth_base_url:  # --auth-base-url as given: shown without user info
            values["auth_base_url"] = display_url(session.auth_base_url)
        for name, value in values.items():
            settings_view[name] = {"value": value, "source": sources.get(name, "default")}
        return True, f"client {creds.client_id} in environment {creds.environment_id}"

    def credential_format() -> tuple[bool, str]:
        from httpx_pingone_worker.credentials._format import validate_credential_format

        creds = session.credentials
        problems = validate_credential_format(
            creds.client_id, creds.client_secret, creds.environment_id
        )
        if not problems:
            return True, "client id, secret and environment id look right"
        errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
        # Warnings (unusual but possibly valid formats) advise; only errors fail the check.
        return not errors, "; ".join(str(p) for p in (errors or problems))

    def connection() -> tuple[bool, str]:
        token = session.auth().get_token()
        info = token_info(token)
        return True, (
            f"got token {info['fingerprint']}, expires in {format_duration(info['remaining'])}"
        )

    def discovery() -> tuple[bool, str]:
        app = app_data(session)
        roles = ", ".join(sorted({str(r["name"]) for r in app["roles"]})) or "no roles"
        state = "enabled" if app["enabled"] else "DISABLED"
        return bool(app["enabled"]), f"app {app['name']!r} is {state}; roles: {roles}"

    def api_access() -> tuple[bool, str]:
        probes.extend(probe_data(session, args.probe))
        denied = [p["endpoint"] for p in probes if not p["allowed"]]
        if denied:
            return False, f"denied: {', '.join(denied)} (give the app a role that covers them)"
        return True, f"all {len(probes)} probed endpoints allowed"

    steps: list[tuple[str, Callable[[], tuple[bool, str]]]] = [
        ("configuration", configuration),
        ("credential format", credential_format),
        ("connection", connection),
        ("app discovery", discovery),
        ("api access", api_access),
    ]
    blocked = False
    for name, fn in steps:
        if blocked:
            checks.append(_Check(name, None, "skipped (an earlier check failed)"))
            continue
        ok = _run_check(checks, name, fn)
        # Format problems are advice: later checks still run and tell the full story.
        if not ok and name in ("configuration", "connection"):
            blocked = True
    passed = all(c.passed is not False for c in checks)
    exit_code = next((c.exit_code for c in checks if c.passed is False), 0)
    if passed:
        exit_code = 0
    elif exit_code == 0:
        exit_code = 1
    out.emit_json(
        {
            "command": "check",
            "ok": passed,
            "settings": settings_view,
            "checks": [{"name": c.name, "passed": c.passed, "detail": c.detail} for c in checks],
            "probes": probes,
        }
    )
    if settings_view:
        out.heading("Settings")
        out.table(
            ["setting", "value", "source"],
            [[k, v["value"], v["source"]] for k, v in settings_view.items()],
        )
    out.heading("Checks")
    for c in checks:
        word = "skip" if c.passed is None else ("ok" if c.passed else "FAIL")
        styled = (
            out.dim(word) if c.passed is None else (out.ok(word) if c.passed else out.bad(word))
        )
        out.write(f"    {out.mark(c.passed)} {styled:<4}  {c.name:<18} {c.detail}")
    if probes:
        out.heading("API access")
        render_probes(out, probes)
    out.write("")
    out.write(out.ok("All checks passed.") if passed else out.bad("Some checks failed."))
    return exit_code
