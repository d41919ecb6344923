"""Applications: list, read, update (``enabled``, ``name``, ``description``) and the client
secret (``GET`` reads it, ``POST`` rotates it).

The secret of a worker app whose roles the caller's roles do not cover (a more privileged
worker) is refused with PingOne's ``403`` "Actor does not have permissions to access worker
application client secrets" (``_roles.may_manage_secret``).

Rotation follows PingOne: the new secret works at once; the previous one keeps working
until ``previous.expiresAt`` when the request sets it, otherwise it stops at once. A
disabled app gets ``unauthorized_client`` from the token endpoint.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ._http import (
    HAL,
    Abort,
    EmulatorResponse,
    api_error,
    invalid_data,
    json_body,
    not_found,
    read_json,
)
from ._paging import collection, item, with_links
from ._roles import SECRET_DENIED, may_manage_secret
from ._routes import Call, Route, Validator, forbidden, route
from ._state import App, iso

__all__ = ["ROUTES", "app_or_404", "rotate_secret"]

_READ_ONLY = {"id", "environment", "_links", "createdAt", "updatedAt", "grantTypes"}
#: ``tokenEndpointAuthMethod`` values a WORKER app (client credentials) can take: the
#: spec's ``EnumApplicationOIDCTokenAuthMethod`` minus ``NONE`` (a client-credentials client
#: must authenticate).
_AUTH_METHODS = (
    "CLIENT_SECRET_BASIC",
    "CLIENT_SECRET_POST",
    "CLIENT_SECRET_JWT",
    "PRIVATE_KEY_JWT",
)


def app_or_404(call: Call, app_id: str) -> App:
    app = call.environment.apps.get(app_id)
    if app is None:
        raise Abort(not_found(call.ctx, "application", app_id))
    return app


def rotate_secret(call: Call, app: App, previous_expires_at: float | None) -> None:
    """Give ``app`` a new secret; the old one works until ``previous_expires_at`` (or not)."""
    app.previous_secret = app.secret
    app.previous_secret_expires_at = (
        previous_expires_at if previous_expires_at is not None else call.engine.clock.now()
    )
    app.secret = call.engine.world.new_secret()
    app.updated_at = call.now()


def _list(call: Call) -> EmulatorResponse:
    if call.ctx.param("filter") is not None:
        # READ All Applications documents no filter parameter (the SDK spec, PingOne's query
        # parameter reference): refusing it keeps code from trusting a filter PingOne ignores.
        return api_error(
            call.ctx,
            400,
            "INVALID_DATA",
            "The request could not be completed.",
            detail="INVALID_FILTER",
            target="filter",
            detail_message="Applications cannot be filtered: list them and select the ones "
            "you need in your code.",
        )
    items = [
        with_links(call.ctx, a.to_json(), call.env_path(f"/applications/{a.id}"))
        for a in call.environment.apps.values()
    ]
    return collection(call.ctx, "applications", items)


def _get(call: Call) -> EmulatorResponse:
    app = app_or_404(call, call.params["id"])
    return item(call.ctx, app.to_json(), call.ctx.path)


def _update(call: Call) -> EmulatorResponse:
    app = app_or_404(call, call.params["id"])
    body = read_json(call.ctx)
    v = Validator(body)
    v.unknown(
        {"name", "description", "enabled", "type", "protocol", "tokenEndpointAuthMethod"},
        _READ_ONLY,
    )
    name = v.string("name", required=True)
    method = v.string("tokenEndpointAuthMethod", required=False)
    if method is not None and method not in _AUTH_METHODS:
        v.fail(
            "INVALID_VALUE",
            "tokenEndpointAuthMethod",
            "tokenEndpointAuthMethod of a WORKER application must be one of "
            f"{', '.join(_AUTH_METHODS)}.",
            allowedValues=list(_AUTH_METHODS),
        )
    elif method == "PRIVATE_KEY_JWT" and not app.jwks:
        v.fail(
            "INVALID_VALUE",
            "tokenEndpointAuthMethod",
            "PRIVATE_KEY_JWT needs the application's JWKS (jwks or jwksUrl), which this "
            "application does not have.",
        )
    enabled = v.boolean("enabled", required=True)
    description = v.string("description", required=False, max_len=1024)
    for key, want in (("type", "WORKER"), ("protocol", "OPENID_CONNECT")):
        value = v.string(key, required=True)
        if value is not None and value != want:
            v.fail(
                "INVALID_VALUE",
                key,
                f"{key} of an existing application cannot change (it is {want}).",
                allowedValues=[want],
            )
    if v.details or name is None or enabled is None:
        return invalid_data(call.ctx, *v.details)
    app.name, app.enabled = name, enabled
    app.description = description or ""
    if method is not None:
        app.auth_method = method.lower()
    app.updated_at = call.now()
    return item(call.ctx, app.to_json(), call.ctx.path)


def _secret_json(call: Call, app: App) -> dict[str, Any]:
    body: dict[str, Any] = {"environment": {"id": app.environment_id}, "secret": app.secret}
    now = call.engine.clock.now()
    expires = app.previous_secret_expires_at
    if app.previous_secret is not None and (expires is None or now < expires):
        body["previous"] = {"secret": app.previous_secret}
        if expires is not None:
            body["previous"]["expiresAt"] = iso(expires)
    return body


def _parse_time(value: str) -> float | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


#: ``previous.expiresAt``: "Supported time range is 1 minute to 30 days" (the SDK spec's
#: ``ApplicationSecret.previous.expiresAt``), counted from the rotation.
GRACE_RANGE = (60, 30 * 86_400)


def _check_grace(v: Validator, seconds: float) -> None:
    low, high = GRACE_RANGE
    if not low <= seconds <= high:
        v.fail(
            "OUT_OF_RANGE",
            "previous.expiresAt",
            "previous.expiresAt must be 1 minute to 30 days after the rotation.",
            rangeMinimumValue=low,
            rangeMaximumValue=high,
        )


def _secret(call: Call) -> EmulatorResponse:
    app = app_or_404(call, call.params["id"])
    if not may_manage_secret(call.engine.world, call.app.role_assignments, app.role_assignments):
        return forbidden(call.ctx, SECRET_DENIED)
    if call.ctx.method == "POST":
        body = read_json(call.ctx) if call.ctx.body.strip() else {}
        v = Validator(body)
        v.unknown({"previous"}, {"_links", "environment", "secret"})
        expires_at: float | None = None
        previous = body.get("previous")
        if previous is not None:
            raw = previous.get("expiresAt") if isinstance(previous, dict) else None
            expires_at = _parse_time(raw) if isinstance(raw, str) else None
            if expires_at is None:
                v.fail(
                    "INVALID_VALUE",
                    "previous.expiresAt",
                    "previous.expiresAt must be a date-time with a time zone.",
                )
            else:
                _check_grace(v, expires_at - call.engine.clock.now())
        if v.details:
            return invalid_data(call.ctx, *v.details)
        rotate_secret(call, app, expires_at)
    body_out = with_links(call.ctx, _secret_json(call, app), call.ctx.path)
    return json_body(200, body_out, call.ctx, content_type=HAL)


_A = "/environments/{env}/applications"
ROUTES: list[Route] = [
    route(_A, "applications", GET=_list),
    route(
        f"{_A}/{{id}}",
        "applications",
        GET=_get,
        PUT=_update,
    ),
    route(
        f"{_A}/{{id}}/secret",
        "secret",
        GET=_secret,
        POST=_secret,
    ),
]
