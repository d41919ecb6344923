"""Emulator state: organization, environments, apps, directory data, issued tokens.

Moto-style: one ``World`` holds every environment of every region, keyed by id;
each environment records its region, so a request to ``auth.pingone.eu`` for an NA
environment is a 404, as on PingOne. Ids come from a ``random.Random`` seeded with
the emulator's ``seed``, so the same seed gives the same ids, names and secrets.

Directory records (users, groups, populations, policies …) are kept as the JSON PingOne
returns, minus ``_links`` (added per request, from the host the request came in on).
A world is plain data (picklable), so the engine can snapshot and restore it whole, which is
how the emulator resets cheaply to its seeded state.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from httpx_pingone_worker._core._regions import Region

__all__ = ["App", "Environment", "IssuedToken", "RoleAssignment", "World", "iso"]

_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z: fixed, so seeded timestamps are deterministic


def iso(epoch: float) -> str:
    """PingOne's timestamp format: ``2024-01-01T00:00:00.000Z`` (fast: seeding makes many)."""
    day, sec = divmod(int(epoch), 86_400)
    hour, rem = divmod(sec, 3600)
    minute, second = divmod(rem, 60)
    millis = round((epoch - int(epoch)) * 1000) % 1000
    return f"{_date(day)}T{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@functools.lru_cache(maxsize=256)
def _date(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


@dataclass(slots=True)
class RoleAssignment:
    """One role granted to an app or a user, scoped to an organization, environment,
    population or application."""

    id: str
    role_id: str
    role_name: str
    scope_type: str  # ORGANIZATION | ENVIRONMENT | POPULATION | APPLICATION
    scope_id: str
    environment_id: str
    read_only: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "role": {"id": self.role_id},
            "scope": {"id": self.scope_id, "type": self.scope_type},
            "environment": {"id": self.environment_id},
            "readOnly": self.read_only,
        }


@dataclass(slots=True)
class App:
    """A worker application; ``id`` is also its client id."""

    id: str
    environment_id: str
    name: str
    description: str
    enabled: bool
    auth_method: str  # lower-case, e.g. "client_secret_basic"
    secret: str = field(repr=False)
    created_at: str = ""
    updated_at: str = ""
    previous_secret: str | None = field(default=None, repr=False)
    previous_secret_expires_at: float | None = None
    jwks: dict[str, Any] | None = field(default=None, repr=False)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    scopes: frozenset[str] = frozenset()
    token_lifetime: int | None = None
    #: What the app's ClientCredentials carry: the method it was created with and, for
    #: private_key_jwt, the (throwaway) signing key.
    credential_method: str = ""
    private_pem: str | None = field(default=None, repr=False)
    key_id: str | None = None

    def secrets(self, now: float) -> list[str]:
        """Secrets accepted at ``now``: the current one, and the previous one in its grace."""
        out = [self.secret]
        if self.previous_secret is not None and (
            self.previous_secret_expires_at is None or now < self.previous_secret_expires_at
        ):
            out.append(self.previous_secret)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "enabled": self.enabled,
            "type": "WORKER",
            "protocol": "OPENID_CONNECT",
            "tokenEndpointAuthMethod": self.auth_method.upper(),
            "grantTypes": ["CLIENT_CREDENTIALS"],
            "environment": {"id": self.environment_id},
            "createdAt": self.created_at,
            "updatedAt": self.updated_at or self.created_at,
        }


@dataclass(slots=True)
class Environment:
    """A PingOne environment, its directory and its (read-only) configuration."""

    id: str
    name: str
    description: str
    type: str
    region: Region
    license_id: str
    organization_id: str
    products: list[dict[str, Any]]
    created_at: str
    apps: dict[str, App] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    populations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: user id -> group ids, in the order the memberships were added
    memberships: dict[str, list[str]] = field(default_factory=dict)
    #: group id -> ids of the groups it is nested in (its parents), in the order added
    nesting: dict[str, list[str]] = field(default_factory=dict)
    user_roles: dict[str, list[RoleAssignment]] = field(default_factory=dict)
    #: user id -> password state (``status``, ``lastChangedAt``); never the password
    passwords: dict[str, dict[str, Any]] = field(default_factory=dict)
    sign_on_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    sign_on_actions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    password_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    scopes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "type": self.type,
            "region": self.region.value,
            "license": {"id": self.license_id},
            "organization": {"id": self.organization_id},
            "status": "ACTIVE",
            "billOfMaterials": {"products": self.products},
            "createdAt": self.created_at,
            "updatedAt": self.created_at,
        }

    def default_population(self) -> dict[str, Any] | None:
        """The population marked ``default`` (PingOne keeps exactly one)."""
        for pop in self.populations.values():
            if pop.get("default"):
                return pop
        return None


@dataclass(slots=True)
class IssuedToken:
    """What the emulator remembers of an access token it issued (not the token itself)."""

    jti: str
    client_id: str
    environment_id: str
    scope: str
    iat: int
    exp: int
    issuer: str
    audience: list[str]
    expired: bool = False


class World:
    """All state of one emulator: plain data, snapshotted whole by the engine."""

    def __init__(self, seed: int, role_names: tuple[str, ...]) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - deterministic ids, not cryptography
        self.organization_id = self.new_id()
        self.organization_name = "Emulated Organization"
        self.environments: dict[str, Environment] = {}
        self.roles: dict[str, str] = {name: self.new_id() for name in role_names}  # name -> id
        self.tokens: dict[str, IssuedToken] = {}  # sha256(token) -> record
        self.licenses: dict[str, int | None] = {}  # license id -> requests/minute (None = off)
        self.license_names: dict[str, str] = {}
        self.tick = 0

    def new_id(self) -> str:
        """A UUID (version 4 layout) from the seeded generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_secret(self) -> str:
        """A 64-character client secret from the seeded generator (throwaway value)."""
        alphabet = string.ascii_letters + string.digits + "-_.~"
        return "".join(self.rng.choice(alphabet) for _ in range(64))

    def timestamp(self) -> str:
        """A deterministic, increasing ``createdAt`` value."""
        self.tick += 1
        return iso(_EPOCH + self.tick)

    def role_name(self, role_id: str) -> str | None:
        for name, rid in self.roles.items():
            if rid == role_id:
                return name
        return None

    def find_app(self, client_id: str) -> App | None:
        for env in self.environments.values():
            app = env.apps.get(client_id)
            if app is not None:
                return app
        return None

    def add_environment(
        self,
        *,
        name: str,
        region: Region,
        type: str = "SANDBOX",
        description: str = "",
        license_id: str | None = None,
        rate_limit: int | None = None,
    ) -> Environment:
        lic = license_id or self.new_id()
        self.licenses.setdefault(lic, rate_limit)
        self.license_names.setdefault(lic, f"Emulated License {len(self.licenses)}")
        env = Environment(
            id=self.new_id(),
            name=name,
            description=description,
            type=type,
            region=region,
            license_id=lic,
            organization_id=self.organization_id,
            products=[
                {"id": self.new_id(), "type": "PING_ONE_BASE", "description": "PingOne Base"},
                {"id": self.new_id(), "type": "PING_ONE_MFA", "description": "PingOne MFA"},
            ],
            created_at=self.timestamp(),
        )
        self.environments[env.id] = env
        return env

    def add_population(
        self, env: Environment, name: str, *, default: bool = False, description: str = ""
    ) -> dict[str, Any]:
        created = self.timestamp()
        pop: dict[str, Any] = {
            "id": self.new_id(),
            "name": name,
            "description": description or f"{name} population",
            "default": default,
            "environment": {"id": env.id},
            "userCount": 0,
            "createdAt": created,
            "updatedAt": created,
        }
        if default:
            for other in env.populations.values():
                other["default"] = False
        env.populations[pop["id"]] = pop
        return pop

    def add_group(
        self,
        env: Environment,
        name: str,
        description: str = "",
        *,
        population_id: str | None = None,
    ) -> dict[str, Any]:
        group: dict[str, Any] = {
            "id": self.new_id(),
            "name": name,
            "description": description or f"{name} group",
            "environment": {"id": env.id},
        }
        if population_id is not None:
            group["population"] = {"id": population_id}
        env.groups[group["id"]] = group
        return group

    def add_user(
        self,
        env: Environment,
        *,
        username: str,
        email: str | None,
        given: str,
        family: str,
        enabled: bool,
        population_id: str | None,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        if population_id is None:
            default = env.default_population() or self.add_population(env, "Default", default=True)
            population_id = default["id"]
        created = created_at or self.timestamp()
        user: dict[str, Any] = {
            "id": self.new_id(),
            "username": username,
            "email": email or f"{username}@example.com",
            "name": {"given": given, "family": family, "formatted": f"{given} {family}"},
            "enabled": enabled,
            "lifecycle": {"status": "ACCOUNT_OK"},
            "population": {"id": population_id},
            "environment": {"id": env.id},
            "createdAt": created,
            "updatedAt": created,
        }
        env.users[user["id"]] = user
        self.count_user(env, population_id, +1)
        return user

    @staticmethod
    def count_user(env: Environment, population_id: str, delta: int) -> None:
        pop = env.populations.get(population_id)
        if pop is not None:
            pop["userCount"] += delta

    def delete_user(self, env: Environment, user_id: str) -> None:
        user = env.users.pop(user_id)
        self.count_user(env, user["population"]["id"], -1)
        env.memberships.pop(user_id, None)
        env.user_roles.pop(user_id, None)
        env.passwords.pop(user_id, None)

    @staticmethod
    def delete_group(env: Environment, group_id: str) -> None:
        del env.groups[group_id]
        env.nesting.pop(group_id, None)
        for groups in (*env.memberships.values(), *env.nesting.values()):
            if group_id in groups:
                groups.remove(group_id)

    @staticmethod
    def group_name_clash(
        env: Environment, name: str, population_id: str | None, exclude: str | None = None
    ) -> str | None:
        """Id of a group whose name a new or renamed group may not share, or ``None``.

        PingOne (the spec's ``Group.name``): names are unique among environment groups and
        within a population; a population group cannot share a name with an environment
        group; two populations may reuse a name. Case-insensitive."""
        wanted = name.lower()
        for gid, other in env.groups.items():
            if gid == exclude or str(other.get("name", "")).lower() != wanted:
                continue
            other_pop = other.get("population", {}).get("id")
            if other_pop is None or population_id is None or other_pop == population_id:
                return gid
        return None

    @staticmethod
    def nest_group(env: Environment, group_id: str, parent_id: str) -> str | None:
        """Nest ``group_id`` inside ``parent_id``; the reason it cannot be, or ``None``.

        PingOne: an environment group cannot be nested in a population group ("Nested
        groups", docs.pingidentity.com); a group cannot contain itself; circular nesting
        through other groups is allowed.
        """
        group, parent = env.groups[group_id], env.groups[parent_id]
        if group_id == parent_id:
            return "A group cannot be nested in itself."
        if "population" in parent and "population" not in group:
            return "An environment group cannot be nested in a population group."
        parents = env.nesting.setdefault(group_id, [])
        if parent_id in parents:
            return "already"
        parents.append(parent_id)
        return None
