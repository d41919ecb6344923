"""Built-in PingOne roles and the permissions the emulator gives them.

Permission ids have PingOne's shape (``<service>:<action>:<entity>``, e.g.
``identity:create:user``, ``orgmgt:read:environment``). Each emulated route needs one
permission; a token's permissions are the union of its app's role assignments that cover
the environment (environment scope, or organization scope for the environment's
organization). Roles mean what they mean in PingOne's role-permissions reference, for
the emulated resources:

- **Identity Data Read Only** reads users, groups, memberships and populations; writes none.
- **Identity Data Admin** reads and writes users, groups, memberships and populations.
- **Environment Admin** manages the environment's configuration and identity data
  (applications, secrets, role assignments, policies, resources, populations, users, groups).
- **Organization Admin** reads the organization, its licenses and environments and manages
  role assignments; it does not read or write identity data.
- **Client Application Developer** manages applications and their secrets.
- **Configuration Read Only** reads configuration (applications, role assignments, policies,
  resources, populations), no identity data.

Simplification: PingOne's roles carry many more permissions for services the emulator does
not serve, and its rule that an actor can only grant roles it holds is not modelled.
"""

from __future__ import annotations

__all__ = ["RESOURCE_READ_PERMISSION", "ROLE_NAMES", "ROLE_PERMISSIONS", "ROLE_PERMISSION_IDS"]

_VERBS_CRUD = ("read", "create", "update", "delete")


def _crud(service: str, entity: str, verbs: tuple[str, ...] = _VERBS_CRUD) -> set[str]:
    return {f"{service}:{verb}:{entity}" for verb in verbs}


_IDENTITY_READ = {
    "identity:read:user",
    "identity:read:group",
    "identity:read:groupMembership",
    "identity:read:population",
    "identity:read:userRoleAssignment",
}
_IDENTITY_WRITE = (
    _crud("identity", "user")
    | _crud("identity", "group")
    | _crud("identity", "groupMembership", ("read", "create", "delete"))
    | _crud("identity", "population")
    | {"identity:update:userPassword", "identity:read:userRoleAssignment"}
)
_ENV_READ = {"orgmgt:read:environment"}
_CONFIG_READ = {
    "applications:read:application",
    "roles:read:roleAssignment",
    "identity:read:population",
    "policies:read:signOnPolicy",
    "policies:read:passwordPolicy",
    "resources:read:resource",
    "resources:read:scope",
}
_APP_ADMIN = (
    _crud("applications", "application")
    | {"applications:read:applicationSecret", "applications:update:applicationSecret"}
    | {"resources:read:resource", "resources:read:scope"}
)
_ROLE_ADMIN = {
    "roles:read:roleAssignment",
    "roles:create:roleAssignment",
    "roles:delete:roleAssignment",
    "identity:read:userRoleAssignment",
    "identity:create:userRoleAssignment",
    "identity:delete:userRoleAssignment",
}

#: Permission ids each built-in role grants in the emulator.
ROLE_PERMISSION_IDS: dict[str, frozenset[str]] = {
    "Organization Admin": frozenset(
        {"orgmgt:read:organization", "licensing:read:license", "orgmgt:read:environment"}
        | {"orgmgt:update:environment", "roles:read:roleAssignment"}
        | {"roles:create:roleAssignment", "roles:delete:roleAssignment"}
    ),
    "Environment Admin": frozenset(
        _ENV_READ
        | {"orgmgt:update:environment", "licensing:read:license", "orgmgt:read:organization"}
        | _CONFIG_READ
        | _APP_ADMIN
        | _ROLE_ADMIN
        | _IDENTITY_WRITE
    ),
    "Identity Data Admin": frozenset(_ENV_READ | _IDENTITY_WRITE),
    "Identity Data Read Only": frozenset(_ENV_READ | _IDENTITY_READ),
    "Client Application Developer": frozenset(
        _ENV_READ | _APP_ADMIN | {"roles:read:roleAssignment"}
    ),
    "Configuration Read Only": frozenset(_ENV_READ | _CONFIG_READ),
}
ROLE_NAMES: tuple[str, ...] = tuple(ROLE_PERMISSION_IDS)

#: The read permission of each Management API resource the emulator serves.
RESOURCE_READ_PERMISSION: dict[str, str] = {
    "environments": "orgmgt:read:environment",
    "billOfMaterials": "orgmgt:read:environment",
    "organizations": "orgmgt:read:organization",
    "licenses": "licensing:read:license",
    "applications": "applications:read:application",
    "secret": "applications:read:applicationSecret",
    "roleAssignments": "roles:read:roleAssignment",
    "users": "identity:read:user",
    "groups": "identity:read:group",
    "memberOfGroups": "identity:read:groupMembership",
    "populations": "identity:read:population",
    "signOnPolicies": "policies:read:signOnPolicy",
    "passwordPolicies": "policies:read:passwordPolicy",
    "resources": "resources:read:resource",
}

#: Management API resources each built-in role may read (derived from the permission ids;
#: kept for callers of the read-only emulator).
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    role: frozenset(res for res, perm in RESOURCE_READ_PERMISSION.items() if perm in perms)
    for role, perms in ROLE_PERMISSION_IDS.items()
}
