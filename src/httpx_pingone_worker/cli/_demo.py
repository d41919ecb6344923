"""``demo``: the whole worker-token flow against an embedded emulator, step by step."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._output import Output, format_duration

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["register"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``demo`` to the parser."""
    p = sub.add_parser(
        "demo",
        parents=[common],
        help="the whole flow against an embedded PingOne emulator (no setup, no network)",
        description="Configure a worker app, get a token, decode, verify and introspect it, "
        "discover the app, probe API access and explore a few endpoints, all against an "
        "in-process PingOne emulator. Nothing leaves this process.",
    )
    p.set_defaults(handler=cmd_demo)


Step = Callable[[], dict[str, Any]]


def cmd_demo(  # noqa: PLR0915 - the steps are nested functions on purpose
    args: argparse.Namespace, session: Session, out: Output
) -> int:
    """``pingone-worker demo``."""
    from ._api import collection_items, render_items
    from ._status import app_data, probe_data, render_probes, render_roles
    from ._tokens import claim_rows, decoded_data, introspection_data, token_info, token_rows

    args.emulator = True  # the demo never touches a real tenant
    emu = session.start_emulator()
    creds = session.credentials
    steps: list[dict[str, Any]] = []
    titles = [
        "Configure the worker app",
        "Get a worker token",
        "Decode and verify the token",
        "Introspect the token",
        "Discover the worker app",
        "Probe Management API access",
        "Explore the Management API",
    ]
    total = len(titles)

    out.write(out.dim("PingOne worker tokens, end to end, against an in-process emulator."))
    out.write(out.dim("No setup, no network: every request below is answered in this process."))

    def run(step: Step) -> dict[str, Any]:
        number = len(steps) + 1
        out.step(number, total, titles[number - 1])
        data = step()
        steps.append({"number": number, "title": titles[number - 1], "ok": True, "data": data})
        return data

    def configure() -> dict[str, Any]:
        endpoints = session.endpoints()
        data = {
            "client_id": creds.client_id,
            "environment_id": creds.environment_id,
            "region": creds.region.value,
            "auth_method": creds.auth_method,
            "token_endpoint": endpoints.token,
            "api_base_url": session.api_base_url,
        }
        out.panel(
            [
                ("client id", creds.client_id),
                ("client secret", "held as a Secret, never printed"),
                ("environment", creds.environment_id),
                ("region", creds.region.value),
                ("auth method", creds.auth_method),
                ("token endpoint", endpoints.token),
                ("api", session.api_base_url),
            ]
        )
        out.write("")
        out.write(out.dim("    In your code:  auth = PingOneWorkerAuth.from_env()"))
        return data

    def token() -> dict[str, Any]:
        auth = session.auth()
        first = auth.get_token()
        again = auth.get_token()  # served from the cache: no second request
        info = token_info(first)
        info["cached_reuse"] = again.fingerprint == first.fingerprint
        info["token_requests"] = emu.token_requests
        out.panel(token_rows(info))
        out.write("")
        out.write(
            f"    {out.mark(info['cached_reuse'])} get_token() twice, {emu.token_requests} "
            "token request: the second call was served from the cache"
        )
        return info

    def decode() -> dict[str, Any]:
        from ._tokens import verify_token

        raw = session.auth().get_token().access_token.get_secret_value()
        data = decoded_data(raw)
        claims, _issuer, jwks_url = verify_token(raw, session)
        data["verified"] = True
        data["jwks_url"] = jwks_url
        header = data["header"]
        keep = ("iss", "aud", "client_id", "env", "scope", "iat", "exp")
        shown = "  ".join(f"{k}={header[k]}" for k in ("alg", "typ", "kid") if k in header)
        out.panel([("header", shown), *claim_rows({k: claims[k] for k in keep if k in claims})])
        out.write("")
        out.write(f"    {out.mark(True)} signature, issuer and expiry verified with {jwks_url}")
        return data

    def introspect() -> dict[str, Any]:
        raw = session.auth().get_token().access_token.get_secret_value()
        data = introspection_data(raw, session)
        state = out.ok("ACTIVE") if data["active"] else out.bad("INACTIVE")
        out.panel(
            [
                ("state", state),
                ("client id", data["client_id"]),
                *claim_rows({"exp": data["exp"]}),
                ("issuer", data["iss"]),
            ]
        )
        out.write("")
        out.write(out.dim("    The authorization server itself vouches for the token (RFC 7662)."))
        return data

    def discover() -> dict[str, Any]:
        app = app_data(session)
        state = out.ok("enabled") if app["enabled"] else out.bad("DISABLED")
        out.panel([("name", app["name"]), ("state", state), ("type", app["type"])])
        out.write("")
        render_roles(out, app["roles"])
        return app

    def probe() -> dict[str, Any]:
        probes = probe_data(session)
        render_probes(out, probes)
        return {"probes": probes}

    def explore() -> dict[str, Any]:
        from ._status import environment_data

        client = session.client()
        env = environment_data(session)
        out.write(
            f"    GET /environments/{{env}}  →  {env['name']} ({env['type']}, {env['region']})"
        )
        data: dict[str, Any] = {"environment": env}
        for preset, limit in (("users", 5), ("groups", 5), ("populations", 5)):
            page = client.get(f"/environments/{{env}}/{preset}", params={"limit": limit})
            items = collection_items(page) or []
            total_count = page.get("count") if isinstance(page, dict) else None
            out.write("")
            shown = f"first {len(items[:limit])}" + (
                f" of {total_count}" if isinstance(total_count, int) else ""
            )
            out.write(f"    GET /environments/{{env}}/{preset}?limit={limit}  →  {shown}")
            render_items(out, items[:limit])
            data[preset] = {"count": total_count, "items": items[:limit]}
        return data

    for step in (configure, token, decode, introspect, discover, probe, explore):
        run(step)

    remaining = steps[1]["data"]["remaining"]
    out.write("")
    out.write(out.ok(f"Done: {total} steps, token still valid for {format_duration(remaining)}."))
    out.write("Next:  pingone-worker --emulator status      (the status panel)")
    out.write("       pingone-worker --emulator api users --all")
    out.write("       pingone-worker check                  (against your tenant: PINGONE_* set)")
    out.emit_json({"command": "demo", "ok": True, "steps": steps})
    return 0
