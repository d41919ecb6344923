"""``api``: the Management API explorer."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._output import Output, Progress

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["PRESETS", "expand_path", "register"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

#: Preset name → path under the API base (``{env}`` is the configured environment id).
PRESETS: dict[str, str] = {
    "environment": "/environments/{env}",
    "users": "/environments/{env}/users",
    "groups": "/environments/{env}/groups",
    "applications": "/environments/{env}/applications",
    "populations": "/environments/{env}/populations",
    "roles": "/roles",
    "role-assignments": "/environments/{env}/applications/{client_id}/roleAssignments",
    "sign-on-policies": "/environments/{env}/signOnPolicies",
    "password-policies": "/environments/{env}/passwordPolicies",
    "resources": "/environments/{env}/resources",
    "bill-of-materials": "/environments/{env}/billOfMaterials",
    "licenses": "/organizations/{org}/licenses",
}

# Columns shown for items of a collection, first match wins per column.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id",),
    "name": ("username", "name"),
    "detail": ("email", "description", "type", "protocol"),
    "enabled": ("enabled",),
}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``api`` to the parser."""
    p = sub.add_parser(
        "api",
        parents=[common],
        help="call the Management API (presets: " + ", ".join(PRESETS) + ")",
        description="Call the PingOne Management API with the worker token. PATH is a "
        "preset (" + ", ".join(PRESETS) + ") or a path under the API base such as "
        "/environments/{env}/users/ID; {env} is replaced by the configured environment id "
        "and {org} by its organization's. METHOD defaults to GET; POST, PUT and PATCH take "
        "--data JSON.",
    )
    p.add_argument("method", metavar="METHOD", help="GET, POST, PUT, PATCH or DELETE (or a PATH)")
    p.add_argument("path", metavar="PATH", nargs="?", help="preset or API path")
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="query parameter (repeatable), e.g. --param filter='enabled eq true'",
    )
    p.add_argument("--data", "-d", metavar="JSON", help="JSON request body (or @PATH)")
    p.add_argument("--all", action="store_true", help="follow every page (progress on stderr)")
    p.add_argument("--limit", type=int, metavar="N", help="show at most N items")
    p.set_defaults(handler=cmd_api)


def expand_path(path: str, environment_id: str, client_id: str) -> str:
    """Turn a preset or a path template into a path under the API base (``{org}`` is left
    for ``_resolve_org``, which needs an API call)."""
    from . import CommandError

    template = PRESETS.get(path.strip().lower())
    if template is None:
        template = path.strip()
        if template.startswith(("http://", "https://")):
            raise CommandError(
                "PATH must be relative to the API base, not a full URL",
                hint="e.g. /environments/{env}/users (the API host comes from the region)",
                exit_code=2,
            )
        if not template.startswith("/"):
            raise CommandError(
                f"unknown preset {path!r}",
                hint=f"use a preset ({', '.join(PRESETS)}) or a path starting with /",
                exit_code=2,
            )
    return template.replace("{env}", environment_id).replace("{client_id}", client_id)


def _params(pairs: list[str]) -> dict[str, str]:
    from . import CommandError

    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CommandError(
                f"--param {pair!r} is not KEY=VALUE", hint="e.g. --param limit=10", exit_code=2
            )
        params[key] = value
    return params


def _body(data: str | None) -> Any:
    from pathlib import Path

    from . import CommandError

    if data is None:
        return None
    text = data
    if data.startswith("@"):
        try:
            text = Path(data[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                f"cannot read {data[1:]!r} ({exc.strerror or type(exc).__name__})", exit_code=2
            ) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise CommandError(
            f"--data is not valid JSON (line {getattr(exc, 'lineno', '?')}, "
            f"column {getattr(exc, 'colno', '?')})",
            hint='quote the JSON for your shell, e.g. --data \'{"name": "x"}\'',
            exit_code=2,
        ) from None


def collection_items(data: Any) -> list[Any] | None:
    """The items of a HAL collection (``_embedded.<name>``), or ``None`` for a resource."""
    if not isinstance(data, Mapping):
        return None
    embedded = data.get("_embedded")
    if not isinstance(embedded, Mapping):
        return None
    for value in embedded.values():
        if isinstance(value, list):
            return value
    return None


def render_items(out: Output, items: list[Any]) -> None:
    """A compact table of collection items."""
    rows = []
    for item in items:
        if not isinstance(item, Mapping):
            rows.append([item, None, None, None])
            continue
        rows.append(
            [next((item[k] for k in keys if k in item), None) for keys in _COLUMNS.values()]
        )
    out.table(list(_COLUMNS), rows)


def cmd_api(  # noqa: PLR0915 - one linear flow: parse, call, render
    args: argparse.Namespace, session: Session, out: Output
) -> int:
    """``pingone-worker api``."""
    from . import CommandError
    from ._output import scrub

    method = args.method.upper()
    path_arg = args.path
    if method not in METHODS:
        if path_arg is not None:
            raise CommandError(
                f"unknown HTTP method {args.method!r}",
                hint=f"use one of {', '.join(METHODS)}",
                exit_code=2,
            )
        method, path_arg = "GET", args.method
    if path_arg is None:
        raise CommandError("PATH is missing", hint="e.g. pingone-worker api GET users", exit_code=2)
    if args.all and method != "GET":
        raise CommandError("--all only works with GET", exit_code=2)
    if args.data is not None and method == "GET":
        raise CommandError(
            "--data is a request body, and GET sends none",
            hint="name the method: pingone-worker api POST PATH --data JSON (or PUT, PATCH)",
            exit_code=2,
        )
    creds = session.credentials
    path = expand_path(path_arg, session.environment_id, creds.client_id)
    params = _params(args.param)
    body = _body(args.data)
    client = session.client()
    if "{org}" in path:  # the organization id comes from the environment
        path = path.replace("{org}", client.get_environment().organization_id or "")
    if args.all:
        progress = Progress(out.stderr, f"GET {path}")
        items: list[Any] = []
        for page in client.pages(path, params=params or None):
            items.extend(dict(i) for i in page.items)
            if args.limit and len(items) >= args.limit:
                del items[args.limit :]
                progress.update(len(items), pages=1)
                break
            progress.update(len(items), pages=1)
        progress.done()
        out.emit_json(
            {
                "command": "api",
                "ok": True,
                "method": method,
                "path": path,
                "count": len(items),
                "items": items,
            }
        )
        out.heading(f"{method} {path}: {len(items)} items")
        render_items(out, items)
        return 0
    kwargs: dict[str, Any] = {}
    if params:
        kwargs["params"] = params
    if body is not None:
        kwargs["json"] = body
    call = getattr(client, method.lower())
    data = call(path, **kwargs)
    out.emit_json({"command": "api", "ok": True, "method": method, "path": path, "data": data})
    items_or_none = collection_items(data)
    if items_or_none is not None:
        shown = items_or_none[: args.limit] if args.limit else items_or_none
        total = data.get("count") if isinstance(data, Mapping) else None
        more = " (more pages: use --all)" if _has_next(data) else ""
        count = f"{len(shown)} of {total}" if isinstance(total, int) else f"{len(shown)}"
        out.heading(f"{method} {path}: {count} items{more}")
        render_items(out, shown)
        return 0
    out.heading(f"{method} {path}")
    if data is None:
        out.write("    (no content)")
    else:
        text = json.dumps(scrub(data), indent=2, ensure_ascii=False)
        for line in text.splitlines():
            out.write("    " + line)
    return 0


def _has_next(data: Any) -> bool:
    links = data.get("_links") if isinstance(data, Mapping) else None
    return isinstance(links, Mapping) and isinstance(links.get("next"), Mapping)
