"""Read-only configuration: environments and their bill of materials, the organization and
its licenses, sign-on policies and their actions, password policies, resources and scopes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._http import EmulatorResponse, not_found
from ._paging import collection, item, with_links
from ._roles import RESOURCE_READ_PERMISSION
from ._routes import Call, Route, route

__all__ = ["ROUTES"]

_LICENSE_REGION = {"NA": "NORTH_AMERICA"}


def _environments(call: Call) -> EmulatorResponse:
    engine, ctx = call.engine, call.ctx
    needed = RESOURCE_READ_PERMISSION["environments"]
    envs = [
        e
        for e in engine.world.environments.values()
        if needed in engine.permissions(call.app, e.id)
        and (ctx.region is None or e.region == ctx.region)
    ]
    items = [with_links(ctx, e.to_json(), f"/v1/environments/{e.id}") for e in envs]
    return collection(ctx, "environments", items)


def _environment(call: Call) -> EmulatorResponse:
    return item(call.ctx, call.environment.to_json(), call.env_path())


def _bill_of_materials(call: Call) -> EmulatorResponse:
    env = call.environment
    body = {"products": env.products, "createdAt": env.created_at, "updatedAt": env.created_at}
    return item(call.ctx, body, call.ctx.path)


def _org_json(call: Call) -> dict[str, Any]:
    world = call.engine.world
    first = next(iter(world.environments.values()), None)
    created = first.created_at if first is not None else call.now()
    return {
        "id": world.organization_id,
        "name": world.organization_name,
        "type": "TRIAL",
        "createdAt": created,
        "updatedAt": created,
    }


def _own_org(call: Call) -> bool:
    return call.params.get("org") == call.engine.world.organization_id


def _organizations(call: Call) -> EmulatorResponse:
    if "org" in call.params:
        if not _own_org(call):
            return not_found(call.ctx, "organization", call.params["org"])
        return item(call.ctx, _org_json(call), call.ctx.path)
    org = _org_json(call)
    return collection(
        call.ctx, "organizations", [with_links(call.ctx, org, f"/v1/organizations/{org['id']}")]
    )


def _license_json(call: Call, license_id: str) -> dict[str, Any]:
    world = call.engine.world
    envs = [e for e in world.environments.values() if e.license_id == license_id]
    begins = envs[0].created_at if envs else call.now()
    return {
        "id": license_id,
        "name": world.license_names.get(license_id, "Emulated License"),
        "organization": {"id": world.organization_id},
        "package": "TRIAL",
        "status": "ACTIVE",
        "beginsAt": begins,
        "assignedEnvironmentsCount": len(envs),
        "environments": {
            "allowProduction": True,
            "max": 100,
            # The license schema spells North America out (EnumRegionCode elsewhere says NA).
            "regions": sorted({_LICENSE_REGION.get(e.region.value, e.region.value) for e in envs}),
        },
    }


def _licenses(call: Call) -> EmulatorResponse:
    if not _own_org(call):
        return not_found(call.ctx, "organization", call.params["org"])
    base = f"/v1/organizations/{call.params['org']}/licenses"
    licenses = call.engine.world.licenses
    if "id" in call.params:
        if call.params["id"] not in licenses:
            return not_found(call.ctx, "license", call.params["id"])
        return item(call.ctx, _license_json(call, call.params["id"]), call.ctx.path)
    items = [with_links(call.ctx, _license_json(call, lic), f"{base}/{lic}") for lic in licenses]
    return collection(call.ctx, "licenses", items)


def _listing(
    call: Call, name: str, records: Iterable[dict[str, Any]], base: str
) -> EmulatorResponse:
    items = [with_links(call.ctx, dict(r), f"{base}/{r['id']}") for r in records]
    return collection(call.ctx, name, items)


def _one(call: Call, what: str, records: dict[str, dict[str, Any]]) -> EmulatorResponse:
    record = records.get(call.params["id"])
    if record is None:
        return not_found(call.ctx, what, call.params["id"])
    return item(call.ctx, record, call.ctx.path)


def _sign_on_policies(call: Call) -> EmulatorResponse:
    env = call.environment
    if "id" in call.params:
        return _one(call, "sign-on policy", env.sign_on_policies)
    return _listing(
        call, "signOnPolicies", env.sign_on_policies.values(), call.env_path("/signOnPolicies")
    )


def _actions(call: Call) -> EmulatorResponse:
    env = call.environment
    policy = call.params["policy"]
    if policy not in env.sign_on_policies:
        return not_found(call.ctx, "sign-on policy", policy)
    actions = {a["id"]: a for a in env.sign_on_actions.get(policy, [])}
    if "id" in call.params:
        return _one(call, "sign-on policy action", actions)
    return _listing(
        call, "actions", actions.values(), call.env_path(f"/signOnPolicies/{policy}/actions")
    )


def _password_policies(call: Call) -> EmulatorResponse:
    env = call.environment
    if "id" in call.params:
        return _one(call, "password policy", env.password_policies)
    return _listing(
        call, "passwordPolicies", env.password_policies.values(), call.env_path("/passwordPolicies")
    )


def _resources(call: Call) -> EmulatorResponse:
    env = call.environment
    if "id" in call.params:
        return _one(call, "resource", env.resources)
    return _listing(call, "resources", env.resources.values(), call.env_path("/resources"))


def _scopes(call: Call) -> EmulatorResponse:
    env = call.environment
    res = call.params["resource"]
    if res not in env.resources:
        return not_found(call.ctx, "resource", res)
    scopes = {s["id"]: s for s in env.scopes.get(res, [])}
    if "id" in call.params:
        return _one(call, "scope", scopes)
    return _listing(call, "scopes", scopes.values(), call.env_path(f"/resources/{res}/scopes"))


_E = "/environments/{env}"
ROUTES: list[Route] = [
    route("/environments", "environments", GET=_environments),
    route(_E, "environments", GET=_environment),
    route(f"{_E}/billOfMaterials", "billOfMaterials", GET=_bill_of_materials),
    route("/organizations", "organizations", GET=_organizations),
    route("/organizations/{org}", "organizations", GET=_organizations),
    route("/organizations/{org}/licenses", "licenses", GET=_licenses),
    route("/organizations/{org}/licenses/{id}", "licenses", GET=_licenses),
    route(
        f"{_E}/signOnPolicies",
        "signOnPolicies",
        GET=_sign_on_policies,
    ),
    route(
        f"{_E}/signOnPolicies/{{id}}",
        "signOnPolicies",
        GET=_sign_on_policies,
    ),
    route(
        f"{_E}/signOnPolicies/{{policy}}/actions",
        "signOnPolicies",
        GET=_actions,
    ),
    route(
        f"{_E}/signOnPolicies/{{policy}}/actions/{{id}}",
        "signOnPolicies",
        GET=_actions,
    ),
    route(
        f"{_E}/passwordPolicies",
        "passwordPolicies",
        GET=_password_policies,
    ),
    route(
        f"{_E}/passwordPolicies/{{id}}",
        "passwordPolicies",
        GET=_password_policies,
    ),
    route(f"{_E}/resources", "resources", GET=_resources),
    route(f"{_E}/resources/{{id}}", "resources", GET=_resources),
    route(f"{_E}/resources/{{resource}}/scopes", "resources", GET=_scopes),
    route(
        f"{_E}/resources/{{resource}}/scopes/{{id}}",
        "resources",
        GET=_scopes,
    ),
]
