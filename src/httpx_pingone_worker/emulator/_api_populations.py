"""Populations: CRUD with a unique ``name`` and exactly one default population.

Making a population the default (``"default": true``) takes the flag from the previous
default. Deleting the default population, or one that still holds users, is refused with
``400 INVALID_DATA`` / ``CONSTRAINT_VIOLATION`` (move or delete its users first): PingOne's
documentation does not settle whether it refuses or cascades, and code that empties a
population before deleting it works either way.
"""

from __future__ import annotations

from typing import Any

from ._http import Abort, Detail, EmulatorResponse, invalid_data, no_content, not_found, read_json
from ._paging import item, paged
from ._routes import Call, Route, Validator, route, unique

__all__ = ["ROUTES"]

_WRITABLE = {
    "name",
    "description",
    "default",
    "passwordPolicy",
    "preferredLanguage",
    "alternativeIdentifiers",
    "theme",
}
_READ_ONLY = {"id", "environment", "_links", "createdAt", "updatedAt", "userCount"}


def _pop_or_404(call: Call, pop_id: str) -> dict[str, Any]:
    pop = call.environment.populations.get(pop_id)
    if pop is None:
        raise Abort(not_found(call.ctx, "population", pop_id))
    return pop


def _validate(call: Call, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    v = Validator(body)
    v.unknown(_WRITABLE, _READ_ONLY)
    env = call.environment
    out: dict[str, Any] = {}
    name = v.string("name", required=True)
    if name is not None:
        out["name"] = name
        existing = unique(
            env.populations, "name", name, exclude=None if current is None else str(current["id"])
        )
        if existing is not None:
            v.fail("UNIQUENESS_VIOLATION", "name", "name must be unique", existingId=existing)
    for key in ("description", "preferredLanguage"):
        value = v.string(key, required=False, max_len=1024)
        if value is not None:
            out[key] = value
    default = v.boolean("default")
    if default is False and current is not None and current.get("default"):
        v.fail(
            "INVALID_VALUE",
            "default",
            "An environment keeps one default population: make "
            "another population the default instead.",
        )
    elif default is not None:
        out["default"] = default
    policy = v.reference("passwordPolicy")
    if policy is not None:
        if policy in env.password_policies:
            out["passwordPolicy"] = {"id": policy}
        else:
            v.fail("INVALID_VALUE", "passwordPolicy.id", f"No password policy with id {policy!r}.")
    theme = v.reference("theme")
    if theme is not None:
        out["theme"] = {"id": theme}
    alt = body.get("alternativeIdentifiers")
    if alt is not None:
        if isinstance(alt, list) and all(isinstance(a, str) for a in alt):
            out["alternativeIdentifiers"] = alt
        else:
            v.fail("INVALID_VALUE", "alternativeIdentifiers", "must be a list of strings.")
    if v.details:
        raise Abort(invalid_data(call.ctx, *v.details))
    return out


def _take_default(call: Call, pop_id: str) -> None:
    for other in call.environment.populations.values():
        if other["id"] != pop_id and other.get("default"):
            other["default"] = False
            other["updatedAt"] = call.now()


def _list(call: Call) -> EmulatorResponse:
    return paged(
        call.ctx,
        "populations",
        call.environment.populations.values(),
        lambda p: call.env_path(f"/populations/{p['id']}"),
        cap=call.engine.settings.page_sizes.get("populations"),
    )


def _create(call: Call) -> EmulatorResponse:
    body = read_json(call.ctx)
    attrs = _validate(call, body, None)
    env = call.environment
    now = call.now()
    pop = {
        "id": call.engine.world.new_id(),
        "environment": {"id": env.id},
        "default": False,
        **attrs,
        "userCount": 0,
        "createdAt": now,
        "updatedAt": now,
    }
    env.populations[pop["id"]] = pop
    if pop["default"]:
        _take_default(call, pop["id"])
    return item(call.ctx, pop, call.env_path(f"/populations/{pop['id']}"), status=201)


def _get(call: Call) -> EmulatorResponse:
    pop = _pop_or_404(call, call.params["id"])
    return item(call.ctx, pop, call.ctx.path)


def _replace(call: Call) -> EmulatorResponse:
    pop = _pop_or_404(call, call.params["id"])
    body = read_json(call.ctx)
    attrs = _validate(call, body, pop)
    kept = {k: pop[k] for k in ("id", "environment", "default", "userCount", "createdAt")}
    pop.clear()
    pop.update(kept | attrs)
    pop["updatedAt"] = call.now()
    if pop["default"]:
        _take_default(call, pop["id"])
    return item(call.ctx, pop, call.ctx.path)


def _delete(call: Call) -> EmulatorResponse:
    pop = _pop_or_404(call, call.params["id"])
    if pop.get("default"):
        return invalid_data(
            call.ctx,
            Detail(
                "CONSTRAINT_VIOLATION",
                "The default population "
                "cannot be deleted; make another population the "
                "default first.",
                "id",
            ),
        )
    users = sum(1 for u in call.environment.users.values() if u["population"]["id"] == pop["id"])
    if users:
        return invalid_data(
            call.ctx,
            Detail(
                "CONSTRAINT_VIOLATION",
                f"The population still holds {users} user(s); move or delete them first.",
                "id",
            ),
        )
    del call.environment.populations[pop["id"]]
    return no_content(call.ctx)


_P = "/environments/{env}/populations"
ROUTES: list[Route] = [
    route(
        _P,
        "populations",
        GET=_list,
        POST=_create,
    ),
    route(
        f"{_P}/{{id}}",
        "populations",
        GET=_get,
        PUT=_replace,
        DELETE=_delete,
    ),
]
