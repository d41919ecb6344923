"""Read-only and import-only fields, unsetting, optional email, photo, group populations and
names, `userFilter`, group nesting and `include=memberOfGroupNames`, through HTTP against
the emulator. Each test cites the Ping documentation or spec text it follows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from httpx_pingone_worker import EmulatorError
from httpx_pingone_worker.emulator import PingOneEmulator

from .conftest import Api, assert_pingone_error, user_errors
from .spec_support import SDK, errors

IMPORT = {"Content-Type": "application/vnd.pingidentity.user.import+json"}


def _other_population(api: Api, name: str = "Other") -> str:
    pop: dict[str, Any] = api.ok("POST", "/populations", json={"name": name})
    return str(pop["id"])


# ----------------------------------------------------------------------- item 4
def test_put_user_cannot_move_population(api: Api) -> None:
    """PingOne moves a user with `PUT /users/{id}/population` ("Update User Population");
    `PUT`/`PATCH /users/{id}` with another `population.id` is refused and the user stays;
    its current population (a GET body sent back) is accepted."""
    user = api.create_user("mover")
    other = _other_population(api)
    for method in ("PUT", "PATCH"):
        r = api.call(
            method,
            f"/users/{user['id']}",
            json={"username": "mover", "population": {"id": other}},
        )
        (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
        assert detail["target"] == "population.id"
        assert "/population" in detail["message"]
    assert api.ok("GET", f"/users/{user['id']}")["population"] == user["population"]
    echo = {k: v for k, v in api.ok("GET", f"/users/{user['id']}").items() if k != "_links"}
    assert api.ok("PUT", f"/users/{user['id']}", json=echo)["population"] == user["population"]
    moved = api.ok("PUT", f"/users/{user['id']}/population", json={"id": other})
    assert moved["id"] == other


def test_mfa_enabled_not_changed_by_put_or_patch(api: Api) -> None:
    """ "You can enable multi-factor authentication by setting mfaEnabled to true with POST
    Create User … You cannot update mfaEnabled with PUT Update User or PATCH Update User"
    (Ping's "Create User" page)."""
    user = api.create_user("mfa", mfaEnabled=True)
    assert user["mfaEnabled"] is True
    for method in ("PUT", "PATCH"):
        r = api.call(method, f"/users/{user['id']}", json={"username": "mfa", "mfaEnabled": False})
        (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
        assert detail["target"] == "mfaEnabled"
    assert api.ok("GET", f"/users/{user['id']}")["mfaEnabled"] is True
    same = api.ok("PATCH", f"/users/{user['id']}", json={"mfaEnabled": True, "title": "T"})
    assert (same["mfaEnabled"], same["title"]) == (True, "T")
    assert api.ok("PUT", f"/users/{user['id']}", json={"username": "mfa"})["mfaEnabled"] is True


def test_lifecycle_status_only_on_import(api: Api) -> None:
    """`EnumUserLifecycleStatus`: "This property value is only allowed to be set when
    importing a user" (SDK spec): plain create, PUT and PATCH refuse a status; the import
    media type sets it."""
    body = {"username": "life", "lifecycle": {"status": "VERIFICATION_REQUIRED"}}
    r = api.call("POST", "/users", json=body)
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert detail["target"] == "lifecycle.status"
    imported = api.ok("POST", "/users", content=json.dumps(body), headers=IMPORT)
    assert imported["lifecycle"]["status"] == "VERIFICATION_REQUIRED"
    r = api.call("PATCH", f"/users/{imported['id']}", json={"lifecycle": {"status": "ACCOUNT_OK"}})
    assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert api.ok("GET", f"/users/{imported['id']}")["lifecycle"]["status"] == (
        "VERIFICATION_REQUIRED"
    )


def test_put_group_keeps_its_population(api: Api) -> None:
    """Groups: "The population.id property is read-only after it is initially set"; "You
    cannot move the group … from a population to an environment". A PUT without
    `population` keeps it; another population is refused."""
    pop = _other_population(api)
    group = api.ok("POST", "/groups", json={"name": "Pop group", "population": {"id": pop}})
    out = api.ok("PUT", f"/groups/{group['id']}", json={"name": "Renamed"})
    assert out["population"] == {"id": pop}
    assert api.ok("GET", f"/groups/{group['id']}")["population"] == {"id": pop}
    for body in ({"name": "Renamed", "population": {"id": _other_population(api, "Third")}},):
        r = api.call("PUT", f"/groups/{group['id']}", json=body)
        (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
        assert detail["target"] == "population.id"
    env_group = api.ok("POST", "/groups", json={"name": "Env group"})
    r = api.call(
        "PUT", f"/groups/{env_group['id']}", json={"name": "Env", "population": {"id": pop}}
    )
    assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert "population" not in api.ok("GET", f"/groups/{env_group['id']}")


# ----------------------------------------------------------------------- item 9
def test_null_unsets_an_attribute(api: Api) -> None:
    """PingOne's HTTP conventions: "You can use a value of null to explicitly clear the
    value" (PATCH) — `PATCH {"mobilePhone": null}` removes the attribute; a null
    sub-attribute clears only that one."""
    user = api.create_user("unset", mobilePhone="+15550100", name={"given": "Un", "family": "Set"})
    out = api.ok("PATCH", f"/users/{user['id']}", json={"mobilePhone": None})
    assert "mobilePhone" not in out
    assert "mobilePhone" not in api.ok("GET", f"/users/{user['id']}")
    out = api.ok("PATCH", f"/users/{user['id']}", json={"name": {"given": None}})
    assert out["name"] == {"family": "Set"}
    r = api.call("PATCH", f"/users/{user['id']}", json={"username": None})
    assert_pingone_error(r, 400, "INVALID_DATA", "REQUIRED_VALUE")


def test_create_user_without_email_and_with_photo(api: Api) -> None:
    """ "Create User": "The request must also set a value for the username attribute" (the
    only required one); `photo.href` is part of the user (SDK spec `User.photo`)."""
    r = api.call(
        "POST",
        "/users",
        json={"username": "no.mail", "photo": {"href": "https://img.example.com/a.png"}},
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert "email" not in user
    assert user["photo"] == {"href": "https://img.example.com/a.png"}
    assert user_errors(user) == []
    r = api.call("POST", "/users", json={"username": "p2", "photo": {}})
    assert_pingone_error(r, 400, "INVALID_DATA", "REQUIRED_VALUE")


def test_group_user_filter(api: Api) -> None:
    """The spec's `Group.userFilter` ("A SCIM filter that determines which users are
    dynamically added"); the filter takes the users filter's operators and attributes
    (Group Membership): a valid one is stored by POST and PUT, an invalid one refused."""
    group = api.ok("POST", "/groups", json={"name": "Managers", "userFilter": 'title eq "Manager"'})
    assert group["userFilter"] == 'title eq "Manager"'
    out = api.ok(
        "PUT", f"/groups/{group['id']}", json={"name": "Managers", "userFilter": 'title sw "M"'}
    )
    assert out["userFilter"] == 'title sw "M"'
    for bad in ('title ne "x"', "title pr", 'nope eq "x"', "(("):
        r = api.call("PUT", f"/groups/{group['id']}", json={"name": "Managers", "userFilter": bad})
        (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_FILTER")
        assert detail["target"] == "userFilter"


def test_group_names_per_population(api: Api) -> None:
    """`Group.name`: "A group name can be reused across populations, but the same user
    cannot belong to multiple groups with the same group name. Population groups cannot
    share a group name with an environment group" (SDK spec)."""
    a, b = _other_population(api, "A"), _other_population(api, "B")
    in_a = api.ok("POST", "/groups", json={"name": "Team", "population": {"id": a}})
    in_b = api.ok("POST", "/groups", json={"name": "team", "population": {"id": b}})
    r = api.call("POST", "/groups", json={"name": "TEAM", "population": {"id": a}})
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "UNIQUENESS_VIOLATION")
    assert detail["innerError"]["existingId"] == in_a["id"]
    r = api.call("POST", "/groups", json={"name": "Team"})
    assert_pingone_error(r, 400, "INVALID_DATA", "UNIQUENESS_VIOLATION")
    r = api.call("POST", "/groups", json={"name": "Sales", "population": {"id": a}})
    assert_pingone_error(r, 400, "INVALID_DATA", "UNIQUENESS_VIOLATION")  # seeded env group
    user = api.create_user("teamer", population={"id": a})
    api.ok("POST", f"/users/{user['id']}/memberOfGroups", json={"id": in_a["id"]})
    r = api.call("POST", f"/users/{user['id']}/memberOfGroups", json={"id": in_b["id"]})
    assert_pingone_error(r, 400, "INVALID_DATA")  # population B's group; and same name


def test_population_group_holds_its_population_only(api: Api) -> None:
    """Group Membership: "A population-level group can contain users from that population
    only"; Groups: "If a user's population changes, they are also removed from any group
    that contains them for this population"."""
    a, b = _other_population(api, "A"), _other_population(api, "B")
    group = api.ok("POST", "/groups", json={"name": "A only", "population": {"id": a}})
    outsider = api.create_user("outsider", population={"id": b})
    r = api.call("POST", f"/users/{outsider['id']}/memberOfGroups", json={"id": group["id"]})
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert detail["target"] == "id"
    insider = api.create_user("insider", population={"id": a})
    api.ok("POST", f"/users/{insider['id']}/memberOfGroups", json={"id": group["id"]})
    api.ok("PUT", f"/users/{insider['id']}/population", json={"id": b})
    assert api.all(f"/users/{insider['id']}/memberOfGroups", "groupMemberships") == []


def _seed(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_seed_file_group_names_follow_the_api(tmp_path: Path) -> None:
    """A seed file cannot create what the API refuses: two environment groups with one name
    (any case; also against the seeded groups), or a population group named like an
    environment group; one name in two populations is fine."""
    for groups in (
        [{"name": "Ops"}, {"name": "OPS"}],
        [{"name": "Sales"}],
        [{"name": "Ops"}, {"name": "ops", "population": "Default"}],
    ):
        with pytest.raises(EmulatorError, match="already taken"):
            PingOneEmulator(users=0, seed_file=_seed(tmp_path, {"groups": groups}))
    emu = PingOneEmulator(
        users=0,
        seed_file=_seed(
            tmp_path,
            {
                "groups": [
                    {"name": "Crew", "population": "Default"},
                    {"name": "Crew", "population": "Contractors"},
                ]
            },
        ),
    )
    token = emu.issue_token().get_secret_value()
    with httpx.Client(transport=emu.transport()) as client:
        groups = client.get(
            f"{emu.api_base_url}/environments/{emu.environment_id}/groups",
            params={"filter": 'name eq "Crew"'},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["_embedded"]["groups"]
    assert len(groups) == 2
    assert len({g["population"]["id"] for g in groups}) == 2


# ----------------------------------------------------------------------- item 8
def test_group_nesting_add_list_remove(api: Api) -> None:
    """READ/CREATE/READ One/DELETE Group Nesting (SDK spec
    `/environments/{environmentID}/groups/{groupID}/memberOfGroups[/{nestedGroupID}]`):
    "retrieves the IDs for any groups that contain the target group"."""
    child = api.ok("POST", "/groups", json={"name": "Child"})
    parent = api.ok("POST", "/groups", json={"name": "Parent"})
    base = f"/groups/{child['id']}/memberOfGroups"
    assert api.all(base, "groupMemberships") == []
    made = api.ok("POST", base, json={"id": parent["id"]})
    assert (made["id"], made["type"]) == (parent["id"], "DIRECT")
    assert not errors(SDK, "GroupNesting", made)
    listed = api.all(base, "groupMemberships")
    assert [n["id"] for n in listed] == [parent["id"]]
    assert api.ok("GET", f"{base}/{parent['id']}")["id"] == parent["id"]
    r = api.call("POST", base, json={"id": parent["id"]})
    assert_pingone_error(r, 400, "INVALID_DATA", "UNIQUENESS_VIOLATION")
    assert api.all(f"/groups/{parent['id']}/memberOfGroups", "groupMemberships") == []
    assert api.call("DELETE", f"{base}/{parent['id']}").status_code == 204
    assert api.all(base, "groupMemberships") == []
    assert_pingone_error(api.get(f"{base}/{parent['id']}"), 404, "NOT_FOUND")


def test_nesting_rules(api: Api) -> None:
    """ "You cannot nest an environment-level group inside a population-level group";
    circular nesting is allowed ("Nested groups", PingOne admin guide); a group is not
    nested in itself; an unknown group is refused."""
    pop = _other_population(api)
    env_group = api.ok("POST", "/groups", json={"name": "Env"})
    pop_group = api.ok("POST", "/groups", json={"name": "Pop", "population": {"id": pop}})
    r = api.call("POST", f"/groups/{env_group['id']}/memberOfGroups", json={"id": pop_group["id"]})
    assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    api.ok("POST", f"/groups/{pop_group['id']}/memberOfGroups", json={"id": env_group["id"]})
    r = api.call("POST", f"/groups/{env_group['id']}/memberOfGroups", json={"id": env_group["id"]})
    assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    other = api.ok("POST", "/groups", json={"name": "Other"})
    api.ok("POST", f"/groups/{env_group['id']}/memberOfGroups", json={"id": other["id"]})
    api.ok("POST", f"/groups/{other['id']}/memberOfGroups", json={"id": env_group["id"]})
    r = api.call("POST", f"/groups/{other['id']}/memberOfGroups", json={"id": "nope"})
    assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert_pingone_error(api.get(f"/groups/{'0' * 8}/memberOfGroups"), 404, "NOT_FOUND")


def test_user_groups_through_nesting(api: Api) -> None:
    """A nested group's members are indirect members of its parents ("members of a nested
    group automatically become members of the parent group", Groups workflows): the user's
    `memberOfGroups` lists DIRECT then INDIRECT (`EnumGroupMembershipType`), and
    `include=memberOfGroupIDs,memberOfGroupNames` (`EnumUserRequestInclude`) and the
    `memberOfGroups[id eq]` filter see them; deleting the nesting removes them."""
    a = api.ok("POST", "/groups", json={"name": "A"})
    b = api.ok("POST", "/groups", json={"name": "B"})
    c = api.ok("POST", "/groups", json={"name": "C"})
    api.ok("POST", f"/groups/{b['id']}/memberOfGroups", json={"id": a["id"]})  # B in A
    api.ok("POST", f"/groups/{c['id']}/memberOfGroups", json={"id": b["id"]})  # C in B
    api.ok("POST", f"/groups/{a['id']}/memberOfGroups", json={"id": c["id"]})  # circular
    user = api.create_user("nested")
    api.ok("POST", f"/users/{user['id']}/memberOfGroups", json={"id": c["id"]})
    listed = api.all(f"/users/{user['id']}/memberOfGroups", "groupMemberships")
    assert [(m["name"], m["type"]) for m in listed] == [
        ("C", "DIRECT"),
        ("B", "INDIRECT"),
        ("A", "INDIRECT"),
    ]
    for m in listed:
        assert not errors(SDK, "GroupMembership", m)
    got = api.ok(
        "GET", f"/users/{user['id']}", params={"include": "memberOfGroupIDs,memberOfGroupNames"}
    )
    assert got["memberOfGroupIDs"] == [c["id"], b["id"], a["id"]]
    assert got["memberOfGroupNames"] == ["C", "B", "A"]
    names = api.ok("GET", f"/users/{user['id']}", params={"include": "memberOfGroupNames"})
    assert names["memberOfGroupNames"] == ["C", "B", "A"]
    assert "memberOfGroupIDs" not in names
    members_of_a = api.all("/users", "users", filter=f'memberOfGroups[id eq "{a["id"]}"]')
    assert [u["id"] for u in members_of_a] == [user["id"]]
    api.call("DELETE", f"/groups/{c['id']}/memberOfGroups/{b['id']}")
    assert api.all("/users", "users", filter=f'memberOfGroups[id eq "{a["id"]}"]') == []
    assert api.call("DELETE", f"/groups/{b['id']}").status_code == 204
    assert api.all(f"/groups/{a['id']}/memberOfGroups", "groupMemberships")[0]["id"] == c["id"]


def test_seed_file_nests_groups(tmp_path: Path) -> None:
    """Seed files nest groups with `memberOfGroups` (names), and a client that walks
    `GET /groups/{id}/memberOfGroups` for every group finds the nesting."""
    seed = _seed(
        tmp_path,
        {
            "groups": [
                {"name": "All staff"},
                {"name": "Ops", "memberOfGroups": ["All staff"]},
                {"name": "Night", "population": "Default", "memberOfGroups": ["Ops"]},
            ],
            "users": [{"username": "owl", "groups": ["Night"]}],
        },
    )
    emu = PingOneEmulator(users=0, seed_file=seed)
    token = emu.issue_token().get_secret_value()
    base = f"{emu.api_base_url}/environments/{emu.environment_id}"
    with httpx.Client(
        transport=emu.transport(), headers={"Authorization": f"Bearer {token}"}
    ) as client:
        groups = client.get(f"{base}/groups").json()["_embedded"]["groups"]
        by_id = {g["id"]: g["name"] for g in groups}
        parents = {
            g["name"]: [
                by_id[n["id"]]
                for n in client.get(f"{base}/groups/{g['id']}/memberOfGroups").json()["_embedded"][
                    "groupMemberships"
                ]
            ]
            for g in groups
        }
        (owl,) = client.get(f"{base}/users").json()["_embedded"]["users"]
        names = client.get(
            f"{base}/users/{owl['id']}", params={"include": "memberOfGroupNames"}
        ).json()["memberOfGroupNames"]
    assert parents["Ops"] == ["All staff"]
    assert parents["Night"] == ["Ops"]
    assert parents["All staff"] == []
    assert names == ["Night", "Ops", "All staff"]
    bad = _seed(
        tmp_path,
        {
            "groups": [
                {"name": "E"},
                {"name": "P", "population": "Default"},
            ]
        },
    )
    data = json.loads(bad.read_text())
    data["groups"][0]["memberOfGroups"] = ["P"]
    bad.write_text(json.dumps(data))
    with pytest.raises(EmulatorError, match="environment group cannot be nested"):
        PingOneEmulator(users=0, seed_file=bad)
