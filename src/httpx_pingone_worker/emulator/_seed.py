"""Seeded content: the generated directory, PingOne's built-in configuration, seed files.

A seed file is JSON that teams share as a fixture:

```json
{
  "populations": [{"name": "Staff", "description": "Employees", "default": false}],
  "groups": [{"name": "Admins", "description": "Console administrators"},
             {"name": "Staff"},
             {"name": "Night shift", "population": "Staff", "memberOfGroups": ["Staff"]}],
  "users": [
    {"username": "alice", "email": "alice@example.com",
     "name": {"given": "Alice", "family": "Ng"}, "enabled": true,
     "population": "Staff", "groups": ["Admins"]}
  ]
}
```

Every key is optional. Users name their population and groups by name (defined in the file
or seeded). A group with ``population`` is a population group; ``memberOfGroups`` nests it in
the named groups (PingOne's group nesting: its members are indirect members of those). Group
names follow PingOne's rules: unique among environment groups and within a population, and a
population group cannot share a name with an environment group (the API refuses the same).
The file is applied to the seeded environment after the generated directory (``users=0`` for
a directory holding only the file's users).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker._core._input import BadJSON, parse_json

from ._state import Environment, World

__all__ = [
    "MAX_USERS",
    "apply_seed_data",
    "check_users",
    "load_seed_file",
    "seed_configuration",
    "seed_directory",
]

#: Most seeded users: seeding holds the emulator's lock (about 2 s for 100,000 users;
#: 3,000,000 took a minute and 10**8 would take half an hour).
MAX_USERS = 100_000


def check_users(users: object) -> int:
    """``users`` for seeding: an int from 0 to ``MAX_USERS``, else EmulatorError."""
    if isinstance(users, bool) or not isinstance(users, int) or not 0 <= users <= MAX_USERS:
        shown = repr(users) if isinstance(users, int) and users < 10**12 else "that value"
        raise EmulatorError(
            f"users must be an int from 0 to {MAX_USERS:,}, got {shown}",
            hint="seed at most 100,000 users; page through them with limit/cursor",
        )
    return users


_GIVEN = (
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "Edsger",
    "Radia",
    "Tim",
    "Hedy",
    "Donald",
    "Katherine",
    "Guido",
    "Anita",
    "Bjarne",
)
_FAMILY = (
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "Dijkstra",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Knuth",
    "Johnson",
    "Smith",
    "Borg",
    "Stroustrup",
    "Smithson",
)
_GROUPS = ("Administrators", "Engineering", "Sales", "Support", "Contractors")
#: Scopes of the built-in PingOne API resource the emulator lists (a read-only subset).
_PINGONE_API_SCOPES = ("p1:read:user", "p1:update:user", "p1:read:env")
_OPENID_SCOPES = ("openid", "profile", "email", "address", "phone")


def seed_directory(world: World, env: Environment, users: int) -> None:
    """Two populations (``Default`` is the default), five groups and ``users`` users."""
    default = world.add_population(env, "Default", default=True)
    contractors = world.add_population(env, "Contractors")
    for name in _GROUPS:
        world.add_group(env, name)
    for i in range(users):
        given = _GIVEN[i % len(_GIVEN)]
        family = _FAMILY[(i // len(_GIVEN)) % len(_FAMILY)]
        world.add_user(
            env,
            username=f"{given.lower()}.{family.lower()}{i:04d}",
            email=None,
            given=given,
            family=family,
            enabled=i % 25 != 24,
            population_id=contractors["id"] if i % 10 == 9 else default["id"],
        )


def seed_configuration(world: World, env: Environment) -> None:
    """PingOne's built-in configuration of a new environment (read-only in the emulator):
    a default sign-on policy with a LOGIN action, a default password policy, and the
    ``PingOne API`` and ``openid`` resources with their scopes."""
    created = env.created_at
    env_ref = {"id": env.id}
    policy_id = world.new_id()
    env.sign_on_policies[policy_id] = {
        "id": policy_id,
        "environment": env_ref,
        "name": "Single_Factor",
        "description": "A sign-on policy that requires username and password",
        "default": True,
        "createdAt": created,
        "updatedAt": created,
    }
    env.sign_on_actions[policy_id] = [
        {
            "id": world.new_id(),
            "environment": env_ref,
            "signOnPolicy": {"id": policy_id},
            "priority": 1,
            "type": "LOGIN",
            "recovery": {"enabled": True},
            "registration": {"enabled": False},
        }
    ]
    pwd_id = world.new_id()
    env.password_policies[pwd_id] = {
        "id": pwd_id,
        "environment": env_ref,
        "name": "Standard",
        "description": "A standard policy that incorporates industry best practices",
        "default": True,
        "excludesCommonlyUsed": True,
        "excludesProfileData": True,
        "notSimilarToCurrent": True,
        "history": {"count": 6, "retentionDays": 365},
        "length": {"min": 8, "max": 255},
        "lockout": {"failureCount": 5, "durationSeconds": 900},
        "maxRepeatedCharacters": 2,
        "minCharacters": {
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ": 1,
            "abcdefghijklmnopqrstuvwxyz": 1,
            "0123456789": 1,
            "~!@#$%^&*()-_=+[]{}|;:,.<>/?": 1,
        },
        "minUniqueCharacters": 5,
        "populationCount": len(env.populations),
        "createdAt": created,
        "updatedAt": created,
    }
    for name, rtype, audience, scopes in (
        ("PingOne API", "PINGONE_API", f"https://{env.region.api_host}", _PINGONE_API_SCOPES),
        ("openid", "OPENID_CONNECT", f"https://{env.region.auth_host}", _OPENID_SCOPES),
    ):
        rid = world.new_id()
        env.resources[rid] = {
            "id": rid,
            "environment": env_ref,
            "name": name,
            "type": rtype,
            "audience": audience,
            "accessTokenValiditySeconds": 3600,
            "createdAt": created,
            "updatedAt": created,
        }
        env.scopes[rid] = [
            {
                "id": world.new_id(),
                "environment": env_ref,
                "resource": {"id": rid},
                "name": scope,
                "description": f"{scope} (built-in)",
                "schemaAttributes": [],
                "createdAt": created,
                "updatedAt": created,
            }
            for scope in scopes
        ]


def load_seed_file(path: str | Path) -> dict[str, Any]:
    """Read and check a seed file (see the module docstring); raises ``EmulatorError``."""
    problem: str | None = None
    try:
        body = Path(path).read_bytes()
    except OSError as exc:
        problem = f"cannot read seed file {str(path)!r} ({exc.strerror or type(exc).__name__})"
    except ValueError:  # a NUL byte in the path
        problem = "the seed file path contains a NUL byte"
    if problem is not None:
        raise EmulatorError(
            problem, hint="pass the path of a JSON file with users, groups and populations"
        )
    # Bounded: UTF-8 checked, nesting depth and size limited (no UnicodeDecodeError or
    # RecursionError), NaN refused. The message names the file, never quotes its content.
    try:
        data = parse_json(body)
    except BadJSON as exc:
        problem = f"seed file {str(path)!r} is not valid JSON ({exc.reason})"
    if problem is not None:
        raise EmulatorError(
            problem,
            hint="save the file as UTF-8 JSON; see httpx_pingone_worker.emulator._seed for the "
            "format",
        )
    if not isinstance(data, dict):
        raise EmulatorError(f"seed file {str(path)!r} must hold a JSON object")
    unknown = set(data) - {"users", "groups", "populations"}
    if unknown:
        raise EmulatorError(
            f"seed file {str(path)!r} has unknown keys {sorted(unknown)}",
            hint="use users, groups and populations",
        )
    for key in ("users", "groups", "populations"):
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise EmulatorError(f"seed file {str(path)!r}: {key!r} must be a list of objects")
    return data


def _named(items: Mapping[str, dict[str, Any]], name: str, what: str, source: str) -> str:
    for item in items.values():
        if item["name"] == name:
            return str(item["id"])
    raise EmulatorError(f"seed file {source}: no {what} named {name!r}")


def apply_seed_data(world: World, env: Environment, data: Mapping[str, Any], source: str) -> None:
    """Add a loaded seed file's populations, groups and users to ``env``."""
    for pop in data.get("populations", []):
        name = pop.get("name")
        if not isinstance(name, str) or not name:
            raise EmulatorError(f"seed file {source}: every population needs a name")
        world.add_population(
            env, name, default=bool(pop.get("default")), description=str(pop.get("description", ""))
        )
    created: list[str] = []
    for group in data.get("groups", []):
        name = group.get("name")
        if not isinstance(name, str) or not name:
            raise EmulatorError(f"seed file {source}: every group needs a name")
        pop_name = group.get("population")
        pop_id = (
            _named(env.populations, pop_name, "population", source)
            if isinstance(pop_name, str)
            else None
        )
        if world.group_name_clash(env, name, pop_id) is not None:
            where = f"population {pop_name!r}" if pop_id else "the environment"
            raise EmulatorError(
                f"seed file {source}: group name {name!r} is already taken in {where}",
                hint="PingOne refuses two environment groups (or two groups of one population) "
                "with one name, and a population group named like an environment group",
            )
        made = world.add_group(env, name, str(group.get("description", "")), population_id=pop_id)
        created.append(made["id"])
    for child, group in zip(created, data.get("groups", []), strict=True):
        parents = group.get("memberOfGroups", [])
        if not isinstance(parents, list):
            raise EmulatorError(
                f"seed file {source}: {group['name']!r}: memberOfGroups must be a list"
            )
        for parent in parents:
            refused = world.nest_group(env, child, _named(env.groups, str(parent), "group", source))
            if refused not in (None, "already"):
                raise EmulatorError(
                    f"seed file {source}: {group['name']!r} in {parent!r}: {refused}"
                )
    taken = {u["username"].lower() for u in env.users.values()}
    for user in data.get("users", []):
        username = user.get("username")
        if not isinstance(username, str) or not username:
            raise EmulatorError(f"seed file {source}: every user needs a username")
        if username.lower() in taken:
            raise EmulatorError(f"seed file {source}: username {username!r} is not unique")
        taken.add(username.lower())
        name = user.get("name") if isinstance(user.get("name"), dict) else {}
        pop_name = user.get("population")
        record = world.add_user(
            env,
            username=username,
            email=user.get("email"),
            given=str(name.get("given", "Test")),
            family=str(name.get("family", "User")),
            enabled=bool(user.get("enabled", True)),
            population_id=_named(env.populations, pop_name, "population", source)
            if isinstance(pop_name, str)
            else None,
        )
        groups = user.get("groups", [])
        if not isinstance(groups, list):
            raise EmulatorError(f"seed file {source}: {username!r}: groups must be a list")
        ids = [_named(env.groups, str(g), "group", source) for g in groups]
        for gid in ids:
            group_pop = env.groups[gid].get("population", {}).get("id")
            if group_pop not in (None, record["population"]["id"]):
                raise EmulatorError(
                    f"seed file {source}: {username!r} cannot join "
                    f"{env.groups[gid]['name']!r}: a population group holds users of its "
                    "own population only"
                )
        env.memberships[record["id"]] = ids
