"""Emulator state: organizations, environments, worker apps, directory data, tokens.

Moto-style: one :class:`World` holds every environment of every region, keyed by id;
each environment records its region, so a request to ``auth.pingone.eu`` for an NA
environment is a 404, as on PingOne. Ids come from a :class:`random.Random` seeded with
the emulator's ``seed``, so the same seed gives the same ids, names and secrets.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from httpx_pingone_worker._regions import Region

__all__ = [
    "ROLE_NAMES",
    "ROLE_PERMISSIONS",
    "App",
    "Environment",
    "IssuedToken",
    "RoleAssignment",
    "World",
]

#: Management API resources each built-in role may read.
#:
#: Simplification: PingOne roles hold fine-grained permissions (``identity:read:user`` …);
#: the emulator maps each role to the resources its name suggests, read-only roles and admin
#: roles alike (the emulated API is read-only). ``roles`` is readable by any valid token.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "Organization Admin": frozenset(
        {"environments", "applications", "roleAssignments", "users", "groups", "populations"}
    ),
    "Environment Admin": frozenset(
        {"environments", "applications", "roleAssignments", "users", "groups", "populations"}
    ),
    "Identity Data Admin": frozenset({"environments", "users", "groups", "populations"}),
    "Identity Data Read Only": frozenset({"environments", "users", "groups", "populations"}),
    "Client Application Developer": frozenset({"environments", "applications", "roleAssignments"}),
    "Configuration Read Only": frozenset({"environments", "applications", "roleAssignments"}),
}
ROLE_NAMES: tuple[str, ...] = tuple(ROLE_PERMISSIONS)

_GIVEN = (
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances",
    "Edsger", "Radia", "Tim", "Hedy", "Donald", "Katherine", "Guido", "Anita", "Bjarne",
)  # fmt: skip
_FAMILY = (
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson",
    "Allen", "Dijkstra", "Perlman", "Berners-Lee", "Lamarr", "Knuth", "Johnson", "Smith",
    "Borg", "Stroustrup", "Smithson",
)  # fmt: skip
_GROUPS = ("Administrators", "Engineering", "Sales", "Support", "Contractors")
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
    """One role granted to an app, scoped to an environment or the organization."""

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
    previous_secret: str | None = field(default=None, repr=False)
    previous_secret_expires_at: float | None = None
    jwks: dict[str, Any] | None = field(default=None, repr=False)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    scopes: frozenset[str] = frozenset()
    token_lifetime: int | None = None

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
            "updatedAt": self.created_at,
        }


@dataclass(slots=True)
class Environment:
    """A PingOne environment and its directory."""

    id: str
    name: str
    description: str
    type: str
    region: Region
    license_id: str
    organization_id: str
    products: list[dict[str, str]]
    created_at: str
    apps: dict[str, App] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    populations: list[dict[str, Any]] = field(default_factory=list)

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
    """All state of one emulator: reset by building a new one."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - deterministic ids, not cryptography
        self.organization_id = self.new_id()
        self.environments: dict[str, Environment] = {}
        self.roles: dict[str, str] = {name: self.new_id() for name in ROLE_NAMES}  # name -> id
        self.tokens: dict[str, IssuedToken] = {}  # sha256(token) -> record
        self.licenses: dict[str, int | None] = {}  # license id -> requests/minute (None = off)
        self._tick = 0

    def new_id(self) -> str:
        """A UUID (version 4 layout) from the seeded generator."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_secret(self) -> str:
        """A 64-character client secret from the seeded generator (throwaway value)."""
        alphabet = string.ascii_letters + string.digits + "-_.~"
        return "".join(self.rng.choice(alphabet) for _ in range(64))

    def timestamp(self) -> str:
        """A deterministic, increasing ``createdAt`` value."""
        self._tick += 1
        return iso(_EPOCH + self._tick)

    def role_name(self, role_id: str) -> str | None:
        for name, rid in self.roles.items():
            if rid == role_id:
                return name
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
        self, env: Environment, name: str, *, default: bool = False
    ) -> dict[str, Any]:
        pop = {
            "id": self.new_id(),
            "name": name,
            "description": f"{name} population",
            "default": default,
            "environment": {"id": env.id},
            "userCount": 0,
            "createdAt": self.timestamp(),
        }
        env.populations.append(pop)
        return pop

    def add_group(self, env: Environment, name: str, description: str = "") -> dict[str, Any]:
        group = {
            "id": self.new_id(),
            "name": name,
            "description": description or f"{name} group",
            "environment": {"id": env.id},
            "createdAt": self.timestamp(),
        }
        env.groups.append(group)
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
    ) -> dict[str, Any]:
        if population_id is None:
            if not env.populations:
                self.add_population(env, "Default", default=True)
            population_id = env.populations[0]["id"]
        user = {
            "id": self.new_id(),
            "username": username,
            "email": email or f"{username}@example.com",
            "name": {"given": given, "family": family, "formatted": f"{given} {family}"},
            "enabled": enabled,
            "lifecycle": {"status": "ACCOUNT_OK"},
            "population": {"id": population_id},
            "environment": {"id": env.id},
            "createdAt": self.timestamp(),
        }
        env.users.append(user)
        for pop in env.populations:
            if pop["id"] == population_id:
                pop["userCount"] += 1
        return user

    def seed_directory(self, env: Environment, users: int) -> None:
        default = self.add_population(env, "Default", default=True)
        contractors = self.add_population(env, "Contractors")
        for name in _GROUPS:
            self.add_group(env, name)
        for i in range(users):
            given = _GIVEN[i % len(_GIVEN)]
            family = _FAMILY[(i // len(_GIVEN)) % len(_FAMILY)]
            self.add_user(
                env,
                username=f"{given.lower()}.{family.lower()}{i:04d}",
                email=None,
                given=given,
                family=family,
                enabled=i % 25 != 24,
                population_id=contractors["id"] if i % 10 == 9 else default["id"],
            )

    def find_app(self, client_id: str) -> App | None:
        for env in self.environments.values():
            app = env.apps.get(client_id)
            if app is not None:
                return app
        return None
