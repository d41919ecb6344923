"""PingOne's built-in admin roles as the emulator models them: their permissions, the scopes
they can be assigned at, the roles each may assign, and the two rules built on scopes (who
may assign a role where, and who may see a worker application's secret).

Sources (Ping Identity's documentation):

- *Built-in Admin Roles* (developer.pingidentity.com/pingone-api/platform/roles/
  predefined-roles.html): the **Can Assign** table (Organization Admin → Environment Admin;
  Environment Admin → all roles except Organization Admin; Identity Data Admin → Identity
  Data Admin, Identity Data Read-Only, Help Desk Admin; every other role → none).
- *PingOne Role Permissions* (…/reference/roles-and-permissions-in-pingone/
  pingone-role-permissions.html): what each role may do, by category.
- *PingOne Permissions by Identifier* (…/pingone-permissions-by-identifier.html): the
  ``<service>:<action>:<entity>`` ids (``orgmgt:read:environment``, ``licensing:read:license``,
  ``applications:read:secret`` …); the PingOne OpenAPI 3.1 spec's ``x-permission`` of the
  environment operations; ``dir:*`` / ``permissions:*`` / ``authn:*`` ids as PingOne's custom
  roles list them.
- Ping's Terraform provider guide *Admin Role Management Considerations*: without Identity
  Data Admin an Environment Admin "will not be able to manage user and group data"; a role
  assignment already held at the same or a greater scope is ``UNIQUENESS_VIOLATION`` "May not
  assign duplicate Role" (target ``role``); an actor whose roles do not cover a worker
  application's roles gets ``403`` "Actor does not have permissions to access worker
  application client secrets".
- PingOne's group roles page: "You can assign only roles that are assigned to you, or that
  are assignable by those roles."

Only the permissions of the operations the emulator serves are modelled (PingOne's roles
carry many more). Role assignments at population or application scope are stored, listed and
count for the scope rules, but do not widen what a token may call.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._state import RoleAssignment, World

__all__ = [
    "APPLICABLE_TO",
    "CAN_ASSIGN",
    "DEFAULT_ROLES",
    "RESOURCE_READ_PERMISSION",
    "ROLE_NAMES",
    "ROLE_PERMISSIONS",
    "ROLE_PERMISSION_IDS",
    "SECRET_DENIED",
    "may_assign",
    "may_manage_secret",
    "scope_chain",
]

ORG_ADMIN = "Organization Admin"
ENV_ADMIN = "Environment Admin"
IDENTITY_ADMIN = "Identity Data Admin"
IDENTITY_READ = "Identity Data Read Only"
APP_DEVELOPER = "Client Application Developer"
CONFIG_READ = "Configuration Read Only"
HELP_DESK = "Help Desk Admin"

#: What a worker app made in PingOne's admin console typically holds, and so what the
#: emulator's seeded worker app (and ``add_worker_app``) gets unless told otherwise.
DEFAULT_ROLES: tuple[str, ...] = (ENV_ADMIN, IDENTITY_ADMIN)

#: The detail message PingOne sends when an actor's roles do not cover the roles of the
#: worker application whose secret it asks for.
SECRET_DENIED = "Actor does not have permissions to access worker application client secrets"


def _ids(service: str, entity: str, *actions: str) -> set[str]:
    return {f"{service}:{action}:{entity}" for action in actions}


_CRUD = ("read", "create", "update", "delete")

# "Essential" permissions every built-in role carries (Permissions by Identifier).
_ESSENTIAL = {"orgmgt:read:environment", "orgmgt:read:organization", "licensing:read:license"}
_USERS_READ = (
    _ids("dir", "user", "read")
    | _ids("dir", "group", "read")
    | _ids("dir", "groupMembership", "read")
    | _ids("dir", "population", "read")
    | _ids("dir", "userPassword", "read")
    | _ids("permissions", "userRoleAssignments", "read")
)
_USERS_WRITE = (
    _ids("dir", "user", *_CRUD)
    | _ids("dir", "group", *_CRUD)
    | _ids("dir", "groupMembership", "read", "create", "delete")
    | _ids("dir", "userPassword", "read", "set")
)
_ASSIGN = _ids("permissions", "applicationRoleAssignments", "read", "create", "delete") | _ids(
    "permissions", "userRoleAssignments", "read", "create", "delete"
)
_CONFIG_READ = (
    _ids("applications", "application", "read")
    | _ids("permissions", "applicationRoleAssignments", "read")
    | _ids("dir", "population", "read")
    | _ids("authn", "signOnPolicy", "read")
    | _ids("dir", "passwordPolicy", "read")
    | _ids("resources", "resource", "read")
    | _ids("resources", "scope", "read")
)
_APPS = (
    _ids("applications", "application", *_CRUD)
    | _ids("applications", "secret", "read", "update")
    | _ids("resources", "resource", "read")
    | _ids("resources", "scope", "read")
    | _ids("permissions", "applicationRoleAssignments", "read")
)

#: Permission ids each built-in role grants, for the operations the emulator serves.
ROLE_PERMISSION_IDS: dict[str, frozenset[str]] = {
    # Organization: environments, licenses, the organization; it assigns Environment Admin.
    # No application, population, user or group permission (only the application catalog).
    ORG_ADMIN: frozenset(
        _ESSENTIAL
        | _ids("orgmgt", "environment", *_CRUD)
        | _ids("licensing", "license", "read")
        | _ASSIGN
    ),
    # Environments, applications and their secrets, populations, policies, resources, role
    # assignments; no user or group data (that is Identity Data Admin).
    ENV_ADMIN: frozenset(
        _ESSENTIAL
        | _ids("orgmgt", "environment", "read", "update")
        | _CONFIG_READ
        | _APPS
        | _ids("dir", "population", *_CRUD)
        | _ASSIGN
    ),
    # Users, groups, memberships, passwords and their admin roles; reads populations.
    IDENTITY_ADMIN: frozenset(_ESSENTIAL | _USERS_READ | _USERS_WRITE | _ASSIGN),
    IDENTITY_READ: frozenset(_ESSENTIAL | _USERS_READ),
    # Applications and their secrets (create, delete, reset the secret).
    APP_DEVELOPER: frozenset(_ESSENTIAL | _APPS),
    # Environment Admin's reads, no writes and no secrets.
    CONFIG_READ: frozenset(_ESSENTIAL | _CONFIG_READ),
    # Reads users (and their groups and population) to help them; none of the emulated writes.
    HELP_DESK: frozenset(
        _ESSENTIAL
        | _ids("dir", "user", "read")
        | _ids("dir", "group", "read")
        | _ids("dir", "groupMembership", "read")
        | _ids("dir", "population", "read")
        | _ids("dir", "userPassword", "read")
    ),
}
ROLE_NAMES: tuple[str, ...] = tuple(ROLE_PERMISSION_IDS)

#: Scope types each built-in role can be assigned at (the role's ``applicableTo``).
APPLICABLE_TO: dict[str, tuple[str, ...]] = {
    ORG_ADMIN: ("ORGANIZATION",),
    ENV_ADMIN: ("ORGANIZATION", "ENVIRONMENT"),
    IDENTITY_ADMIN: ("ENVIRONMENT", "POPULATION"),
    IDENTITY_READ: ("ENVIRONMENT", "POPULATION"),
    APP_DEVELOPER: ("ENVIRONMENT", "APPLICATION"),
    CONFIG_READ: ("ORGANIZATION", "ENVIRONMENT"),
    HELP_DESK: ("ENVIRONMENT", "POPULATION"),
}

#: The roles each built-in role may assign (Ping's *Built-in Admin Roles* table).
CAN_ASSIGN: dict[str, frozenset[str]] = {
    ORG_ADMIN: frozenset({ENV_ADMIN}),
    ENV_ADMIN: frozenset(ROLE_NAMES) - {ORG_ADMIN},
    IDENTITY_ADMIN: frozenset({IDENTITY_ADMIN, IDENTITY_READ, HELP_DESK}),
    IDENTITY_READ: frozenset(),
    APP_DEVELOPER: frozenset(),
    CONFIG_READ: frozenset(),
    HELP_DESK: frozenset(),
}

#: The read permission of each Management API resource the emulator serves.
RESOURCE_READ_PERMISSION: dict[str, str] = {
    "environments": "orgmgt:read:environment",
    "billOfMaterials": "orgmgt:read:environment",
    "organizations": "orgmgt:read:organization",
    "licenses": "licensing:read:license",
    "applications": "applications:read:application",
    "secret": "applications:read:secret",
    "roleAssignments": "permissions:read:applicationRoleAssignments",
    "users": "dir:read:user",
    "groups": "dir:read:group",
    "memberOfGroups": "dir:read:groupMembership",
    "populations": "dir:read:population",
    "signOnPolicies": "authn:read:signOnPolicy",
    "passwordPolicies": "dir:read:passwordPolicy",
    "resources": "resources:read:resource",
}

#: Management API resources each built-in role may read (derived from the permission ids).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(res for res, perm in RESOURCE_READ_PERMISSION.items() if perm in perms)
    for role, perms in ROLE_PERMISSION_IDS.items()
}


# ---------------------------------------------------------------------------- scope rules
def scope_chain(world: World, scope_type: str, scope_id: str) -> set[tuple[str, str]]:
    """``(type, id)`` of the scope and of every scope that contains it: an application or a
    population lies in its environment, an environment in its organization."""
    chain = {(scope_type, scope_id)}
    env_id: str | None = None
    if scope_type == "ENVIRONMENT":
        env_id = scope_id
    elif scope_type in ("POPULATION", "APPLICATION"):
        for env in world.environments.values():
            if scope_id in (env.populations if scope_type == "POPULATION" else env.apps):
                env_id = env.id
                break
    if env_id is not None:
        chain.add(("ENVIRONMENT", env_id))
        home = world.environments.get(env_id)
        if home is not None:
            chain.add(("ORGANIZATION", home.organization_id))
    return chain


def _covering(
    world: World, held: Iterable[RoleAssignment], scope_type: str, scope_id: str
) -> list[RoleAssignment]:
    """The assignments of ``held`` at the scope or at a scope that contains it."""
    chain = scope_chain(world, scope_type, scope_id)
    return [ra for ra in held if (ra.scope_type, ra.scope_id) in chain]


def may_assign(
    world: World, held: Iterable[RoleAssignment], role: str, scope_type: str, scope_id: str
) -> bool:
    """Whether an actor holding ``held`` may assign (or remove) ``role`` at that scope: it
    holds, at the same or a broader scope, the role itself or a role that can assign it."""
    return any(
        ra.role_name == role or role in CAN_ASSIGN.get(ra.role_name, frozenset())
        for ra in _covering(world, held, scope_type, scope_id)
    )


def may_manage_secret(
    world: World, actor: Iterable[RoleAssignment], target: Iterable[RoleAssignment]
) -> bool:
    """Whether the actor's roles cover every role of the target worker app: for each of the
    target's assignments, the actor's roles at that scope (or a broader one) hold all of that
    role's permissions. PingOne refuses the secret of a more privileged worker app."""
    actor = list(actor)
    for ra in target:
        needed = ROLE_PERMISSION_IDS.get(ra.role_name, frozenset())
        have: set[str] = set()
        for mine in _covering(world, actor, ra.scope_type, ra.scope_id):
            have |= ROLE_PERMISSION_IDS.get(mine.role_name, frozenset())
        if not needed <= have:
            return False
    return True
