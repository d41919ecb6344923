"""Groups (CRUD), group nesting (``/groups/{id}/memberOfGroups[/{parentId}]``) and group
memberships of users (``/users/{id}/memberOfGroups[/{groupId}]``).

PingOne's rules (Groups, developer.pingidentity.com/pingone-api/platform/groups.html, and
the spec's ``Group`` schema): a group belongs to the environment or, with ``population.id``
on create, to one population; the population cannot change afterwards (``PUT`` keeps it).
A name can be reused across populations, but not within one population, not among
environment groups, and a population group cannot share a name with an environment group.
A population group holds users of its population only, and a user cannot be in two groups
with the same name. ``userFilter`` is a users filter (validated with PingOne's users filter
rules and stored; the emulator does not add members dynamically).

Nesting (``POST /groups/{id}/memberOfGroups`` with ``{"id": parentId}``) puts group
``id`` inside the parent: its members are indirect members of the parent (and of the
parent's parents). An environment group cannot be nested in a population group; circular
nesting through other groups is allowed, as in PingOne ("Nested groups").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._api_users import group_ids_of, user_or_404
from ._filters import InvalidFilter, compile_filter
from ._http import (
    Abort,
    Detail,
    EmulatorResponse,
    invalid_data,
    no_content,
    not_found,
    read_json,
)
from ._paging import USER_FILTER, item, paged
from ._routes import Call, Route, Validator, route

__all__ = ["ROUTES"]

_WRITABLE = {"name", "description", "externalId", "customData", "population", "userFilter"}
_READ_ONLY = {
    "id",
    "environment",
    "_links",
    "displayName",
    "sourceId",
    "sourceType",
    "directMemberCounts",
    "totalMemberCounts",
}


def _group_or_404(call: Call, group_id: str) -> dict[str, Any]:
    group = call.environment.groups.get(group_id)
    if group is None:
        raise Abort(not_found(call.ctx, "group", group_id))
    return group


def _check_user_filter(v: Validator, text: str) -> None:
    """PingOne: the filter "supports all the operators and properties that are supported
    when searching user data" (Group Membership); ``memberOfGroups`` is left out here."""
    try:
        compile_filter(text, USER_FILTER, allow_not=False)
    except InvalidFilter as exc:
        v.fail("INVALID_FILTER", "userFilter", f"Invalid userFilter: {exc}", **exc.inner)


def _validate(call: Call, body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    v = Validator(body)
    v.unknown(_WRITABLE, _READ_ONLY)
    env = call.environment
    out: dict[str, Any] = {}
    pop_id = v.reference("population")
    if current is not None:
        kept = current.get("population", {}).get("id")
        if pop_id is not None and pop_id != kept:
            v.fail(
                "INVALID_VALUE",
                "population.id",
                "A group cannot move to another population or between the environment and "
                "a population (population.id is set on create only).",
            )
        pop_id = kept
    elif pop_id is not None and pop_id not in env.populations:
        v.fail("INVALID_VALUE", "population.id", "No population with that id.")
        pop_id = None
    if pop_id is not None:
        out["population"] = {"id": pop_id}
    name = v.string("name", required=True)
    if name is not None:
        out["name"] = name
        existing = call.engine.world.group_name_clash(
            env, name, pop_id, None if current is None else current["id"]
        )
        if existing is not None:
            v.fail("UNIQUENESS_VIOLATION", "name", "name must be unique", existingId=existing)
    for key in ("description", "externalId"):
        value = v.string(key, required=False, max_len=1024)
        if value is not None:
            out[key] = value
    user_filter = v.string("userFilter", required=False, max_len=4096)
    if user_filter is not None:
        _check_user_filter(v, user_filter)
        out["userFilter"] = user_filter
    custom = body.get("customData")
    if custom is not None:
        if isinstance(custom, dict):
            out["customData"] = custom
        else:
            v.fail("INVALID_VALUE", "customData", "customData must be an object.")
    if v.details:
        raise Abort(invalid_data(call.ctx, *v.details))
    return out


def _list(call: Call) -> EmulatorResponse:
    return paged(
        call.ctx,
        "groups",
        call.environment.groups.values(),
        lambda g: call.env_path(f"/groups/{g['id']}"),
        cap=call.engine.settings.page_sizes.get("groups"),
    )


def _create(call: Call) -> EmulatorResponse:
    body = read_json(call.ctx)
    attrs = _validate(call, body, None)
    env = call.environment
    group = {"id": call.engine.world.new_id(), "environment": {"id": env.id}, **attrs}
    env.groups[group["id"]] = group
    return item(call.ctx, group, call.env_path(f"/groups/{group['id']}"), status=201)


def _get(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    return item(call.ctx, group, call.ctx.path)


def _replace(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    body = read_json(call.ctx)
    attrs = _validate(call, body, group)
    kept = {"id": group["id"], "environment": group["environment"]}
    group.clear()
    group.update(kept | attrs)
    return item(call.ctx, group, call.ctx.path)


def _delete(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    call.engine.world.delete_group(call.environment, group["id"])
    return no_content(call.ctx)


# --------------------------------------------------------------------------- memberships
def _membership(
    call: Call, user_id: str, group: dict[str, Any], kind: str = "DIRECT"
) -> dict[str, Any]:
    return {
        "id": group["id"],
        "name": group["name"],
        "type": kind,
        "environment": {"id": call.environment.id},
        "_links": {
            "self": {
                "href": call.ctx.url(
                    call.env_path(f"/users/{user_id}/memberOfGroups/{group['id']}")
                )
            },
            "group": {"href": call.ctx.url(call.env_path(f"/groups/{group['id']}"))},
        },
    }


def _memberships(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    env = call.environment
    items = [
        _membership(call, user["id"], env.groups[g], kind)
        for g, kind in group_ids_of(env, user["id"])
    ]
    return _member_of_list(call, f"/users/{user['id']}", items, "memberOfGroups")


def _add(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    body = read_json(call.ctx)
    v = Validator(body)
    v.unknown({"id"}, {"_links", "type", "name", "environment"})
    group_id = v.string("id", required=True)
    env = call.environment
    groups = env.memberships.setdefault(user["id"], [])
    group = env.groups.get(group_id) if group_id is not None else None
    if group_id is not None and group is None:
        v.fail("INVALID_VALUE", "id", "No group with that id.")
    elif group is not None and group.get("population", {}).get("id") not in (
        None,
        user["population"]["id"],
    ):
        v.fail(
            "INVALID_VALUE",
            "id",
            "A population group can contain users from its own population only.",
        )
    elif group is not None and any(
        env.groups[g]["name"].lower() == group["name"].lower() and g != group_id
        for g in groups
        if g in env.groups
    ):
        v.fail(
            "CONSTRAINT_VIOLATION",
            "id",
            "The user is already in another group with the same name.",
        )
    elif group_id is not None and group_id in groups:
        v.details.append(
            Detail(
                "UNIQUENESS_VIOLATION",
                "The user is already a member of the group.",
                "id",
                {"existingId": group_id},
            )
        )
    if v.details or group_id is None:
        return invalid_data(call.ctx, *v.details)
    groups.append(group_id)
    out = _membership(call, user["id"], env.groups[group_id])
    return item(call.ctx, out, call.env_path(f"/users/{user['id']}/memberOfGroups/{group_id}"), 201)


def _one(call: Call) -> EmulatorResponse:
    user = user_or_404(call, call.params["id"])
    env = call.environment
    return _member_of_one(
        call,
        env.memberships.get(user["id"], []),
        call.params["group"],
        "group membership",
        lambda g: _membership(call, user["id"], env.groups[g]),
    )


# --------------------------------------------------------------------------- nesting
def _nesting(call: Call, child_id: str, parent_id: str) -> dict[str, Any]:
    base = call.env_path(f"/groups/{child_id}")
    return {
        "id": parent_id,
        "type": "DIRECT",
        "_links": {
            "self": {"href": call.ctx.url(f"{base}/memberOfGroups/{parent_id}")},
            "group": {"href": call.ctx.url(call.env_path(f"/groups/{parent_id}"))},
        },
    }


def _nestings(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    env = call.environment
    items = [
        _nesting(call, group["id"], parent)
        for parent in env.nesting.get(group["id"], [])
        if parent in env.groups
    ]
    return _member_of_list(call, f"/groups/{group['id']}", items, "groupNesting")


def _nest(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    body = read_json(call.ctx)
    v = Validator(body)
    v.unknown({"id"}, {"_links", "type"})
    parent_id = v.string("id", required=True)
    env = call.environment
    if parent_id is not None and parent_id not in env.groups:
        v.fail("INVALID_VALUE", "id", "No group with that id.")
    if v.details or parent_id is None:
        return invalid_data(call.ctx, *v.details)
    refused = call.engine.world.nest_group(env, group["id"], parent_id)
    if refused == "already":
        return invalid_data(
            call.ctx,
            Detail(
                "UNIQUENESS_VIOLATION",
                "The group is already nested in that group.",
                "id",
                {"existingId": parent_id},
            ),
        )
    if refused is not None:
        return invalid_data(call.ctx, Detail("INVALID_VALUE", refused, "id"))
    out = _nesting(call, group["id"], parent_id)
    return item(
        call.ctx, out, call.env_path(f"/groups/{group['id']}/memberOfGroups/{parent_id}"), 201
    )


def _one_nesting(call: Call) -> EmulatorResponse:
    group = _group_or_404(call, call.params["id"])
    return _member_of_one(
        call,
        call.environment.nesting.get(group["id"], []),
        call.params["parent"],
        "group nesting",
        lambda p: _nesting(call, group["id"], p),
    )


# --------------------------------------------------------------------------- memberOfGroups
# A user's groups and a group's parents are the same kind of collection, under the user
# or the group: ``<owner>/memberOfGroups[/<groupId>]``.
def _member_of_list(
    call: Call, owner: str, items: list[dict[str, Any]], page_size: str
) -> EmulatorResponse:
    """The ``memberOfGroups`` collection of ``owner`` (``/users/<id>`` or ``/groups/<id>``),
    paged at the size set for ``page_size`` (a ``set_page_size`` collection name)."""
    return paged(
        call.ctx,
        "groupMemberships",
        items,
        lambda m: call.env_path(f"{owner}/memberOfGroups/{m['id']}"),
        cap=call.engine.settings.page_sizes.get(page_size),
    )


def _member_of_one(
    call: Call,
    direct: list[str],
    group_id: str,
    what: str,
    view: Callable[[str], dict[str, Any]],
) -> EmulatorResponse:
    """``GET`` (``view`` of it) or ``DELETE`` one entry of the owner's ``direct`` group ids;
    an id not there (or of a deleted group) is ``404`` naming ``what``."""
    if group_id not in direct or group_id not in call.environment.groups:
        return not_found(call.ctx, what, group_id)
    if call.ctx.method == "DELETE":
        direct.remove(group_id)
        return no_content(call.ctx)
    return item(call.ctx, view(group_id), call.ctx.path)


_G = "/environments/{env}/groups"
_M = "/environments/{env}/users/{id}/memberOfGroups"
ROUTES: list[Route] = [
    route(_G, "groups", GET=_list, POST=_create),
    route(
        f"{_G}/{{id}}",
        "groups",
        GET=_get,
        PUT=_replace,
        DELETE=_delete,
    ),
    route(
        f"{_G}/{{id}}/memberOfGroups",
        "groups",
        GET=_nestings,
        POST=_nest,
    ),
    route(
        f"{_G}/{{id}}/memberOfGroups/{{parent}}",
        "groups",
        GET=_one_nesting,
        DELETE=_one_nesting,
    ),
    route(
        _M,
        "memberOfGroups",
        GET=_memberships,
        POST=_add,
    ),
    route(
        f"{_M}/{{group}}",
        "memberOfGroups",
        GET=_one,
        DELETE=_one,
    ),
]
