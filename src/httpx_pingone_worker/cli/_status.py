"""``status`` (the status panel) and ``check`` (pass/fail diagnosis of a setup)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from httpx_pingone_worker._core._errors import PingOneError

from ._output import Output, format_duration
from ._tokens import token_info, token_rows

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["app_data", "environment_data", "probe_data", "register"]

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


def environment_data(session: Session) -> dict[str, Any]:
    """``GET /environments/{id}`` reduced to id, name, type and region."""
    env = session.client().get_environment()
    creds = session.credentials

    return {
        "id": env.id or creds.environment_id,
        "name": env.name,
        "type": env.type,
        "region": env.region,
    }


def app_data(session: Session) -> dict[str, Any]:
    """The worker app as discovery sees it."""
    from httpx_pingone_worker import discover_worker_app

    app = discover_worker_app(session.client(), session.credentials.client_id)
    roles = [
        {
            "name": getattr(r, "name", None),
            "role_id": getattr(r, "role_id", None),
            "scope_type": getattr(r, "scope_type", None),
            "scope_id": getattr(r, "scope_id", None),
        }
        for r in getattr(app, "roles", ())
    ]
    return {
        "name": app.name,
        "enabled": bool(app.enabled),
        "type": getattr(app, "type", None),
        "roles": roles,
    }


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
    env = environment_data(session)
    app = app_data(session)
    endpoints = session.endpoints()
    cache = session.cache_info()
    out.emit_json(
        {
            "command": "status",
            "ok": True,
            "client_id": creds.client_id,
            "environment": env,
            "region": creds.region.value,
            "application": app,
            "token": info,
            "cache": cache,
            "endpoints": {
                "issuer": endpoints.issuer,
                "token": endpoints.token,
                "api": session.api_base_url,
            },
        }
    )
    enabled = out.ok("enabled") if app["enabled"] else out.bad("DISABLED")
    out.write(
        f"{env['name'] or env['id']} · {creds.region.value} · {app['name']} ({enabled}) · "
        f"token {info['fingerprint']} · expires in {format_duration(info['remaining'])}"
    )
    out.heading("Environment")
    out.panel(
        [
            ("id", env["id"]),
            ("name", env["name"]),
            ("type", env["type"]),
            ("region", creds.region.value),
            ("api", session.api_base_url),
            ("issuer", endpoints.issuer),
        ]
    )
    out.heading("Worker app")
    out.panel(
        [
            ("name", app["name"]),
            ("client id", creds.client_id),
            ("state", enabled),
            ("auth method", creds.auth_method),
        ]
    )
    out.write("")
    render_roles(out, app["roles"])
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
            "api_base_url": session.api_base_url,
        }
        if session.auth_base_url:
            values["auth_base_url"] = session.auth_base_url
        for name, value in values.items():
            settings_view[name] = {"value": value, "source": sources.get(name, "default")}
        return True, f"client {creds.client_id} in environment {creds.environment_id}"

    def credential_format() -> tuple[bool, str]:
        from httpx_pingone_worker._config import validate_credential_format

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
