"""Typed Management API resources: frozen dataclasses parsed from PingOne's JSON.

Each ``from_json`` keeps the typed fields it knows, and `raw`: a plain `dict` copy of the whole
record for everything else (changing it changes nothing in PingOne or in the model's fields).
A little over 400 lines: one small class per resource, the fields users read, side by side.
"""

from __future__ import annotations

from collections.abc import (
    Mapping,
)
from dataclasses import dataclass, field
from typing import Any

from httpx_pingone_worker._core._errors import ManagementApiError

__all__ = [
    "Application",
    "BillOfMaterials",
    "Environment",
    "Group",
    "Population",
    "Product",
    "Resource",
    "Role",
    "RoleAssignment",
    "SignOnPolicy",
    "User",
    "UserName",
]


# --- typed results -----------------------------------------------------------------------


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _id_of(value: Any) -> str | None:
    return _s(value.get("id")) if isinstance(value, Mapping) else None


def _copy(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of a JSON record as plain dicts and lists (``raw``)."""
    return {k: _copy_value(v) for k, v in record.items()}


def _copy_value(value: Any) -> Any:
    # JSON's shapes (what a response body parses to), so no `copy.deepcopy` machinery: objects
    # and arrays are copied; strings, numbers, booleans and null are immutable.
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [_copy_value(v) for v in value]
    if isinstance(value, Mapping):
        return _copy(value)
    return value


_SCALARS = (str, int, float, bool, type(None))


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _raw_field() -> Any:
    return field(default_factory=dict, repr=False, compare=False, hash=False)


def _expect_object(body: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise ManagementApiError(
            f"PingOne returned a {type(body).__name__} where a {what} object was expected",
            hint="check the path: it must name a single resource",
        )
    return body


@dataclass(frozen=True, slots=True)
class Environment:
    """``GET /environments/{id}``: what the client interprets; everything else in ``raw``."""

    id: str
    name: str | None
    description: str | None
    type: str | None
    region: str | None
    license_id: str | None
    organization_id: str | None
    status: str | None
    products: tuple[str, ...]
    created_at: str | None
    updated_at: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Environment:
        """Build from a PingOne environment JSON object."""
        d = _expect_object(body, "environment")
        bom = d.get("billOfMaterials")
        products: list[str] = []
        if isinstance(bom, Mapping) and isinstance(bom.get("products"), list):
            products = [
                p["type"] for p in bom["products"] if isinstance(p, Mapping) and _s(p.get("type"))
            ]
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            type=_s(d.get("type")),
            region=_s(d.get("region")),
            license_id=_id_of(d.get("license")),
            organization_id=_id_of(d.get("organization")),
            status=_s(d.get("status")),
            products=tuple(products),
            created_at=_s(d.get("createdAt")),
            updated_at=_s(d.get("updatedAt")),
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class Application:
    """``GET /environments/{id}/applications/{appId}``."""

    id: str
    name: str | None
    description: str | None
    enabled: bool | None
    type: str | None
    protocol: str | None
    token_endpoint_auth_method: str | None
    grant_types: tuple[str, ...]
    environment_id: str | None
    client_id: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Application:
        """Build from a PingOne application JSON object."""
        d = _expect_object(body, "application")
        grants = d.get("grantTypes")
        enabled = d.get("enabled")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            enabled=enabled if isinstance(enabled, bool) else None,
            type=_s(d.get("type")),
            protocol=_s(d.get("protocol")),
            token_endpoint_auth_method=_s(d.get("tokenEndpointAuthMethod")),
            grant_types=tuple(g for g in grants if isinstance(g, str))
            if isinstance(grants, list)
            else (),
            environment_id=_id_of(d.get("environment")),
            client_id=_s(d.get("clientId")) or _s(d.get("id")),
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    """One entry of ``_embedded.roleAssignments``."""

    id: str
    role_id: str | None
    scope_id: str | None
    scope_type: str | None
    environment_id: str | None
    read_only: bool | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> RoleAssignment:
        """Build from a PingOne role assignment JSON object."""
        d = _expect_object(body, "role assignment")
        scope = d.get("scope")
        ro = d.get("readOnly")
        return cls(
            id=str(d.get("id", "")),
            role_id=_id_of(d.get("role")),
            scope_id=_id_of(scope),
            scope_type=_s(scope.get("type")) if isinstance(scope, Mapping) else None,
            environment_id=_id_of(d.get("environment")),
            read_only=ro if isinstance(ro, bool) else None,
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class Role:
    """``GET /roles/{roleId}``: ``name`` is e.g. "Identity Data Admin"."""

    id: str
    name: str | None
    description: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Role:
        """Build from a PingOne role JSON object."""
        d = _expect_object(body, "role")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class UserName:
    """A user's ``name`` object: any part may be missing (`None`)."""

    given: str | None = None
    family: str | None = None
    middle: str | None = None
    formatted: str | None = None
    honorific_prefix: str | None = None
    honorific_suffix: str | None = None

    @classmethod
    def from_json(cls, body: Any) -> UserName | None:
        """Build from PingOne's ``name`` object; `None` when the user has none."""
        if not isinstance(body, Mapping):
            return None
        return cls(
            given=_s(body.get("given")),
            family=_s(body.get("family")),
            middle=_s(body.get("middle")),
            formatted=_s(body.get("formatted")),
            honorific_prefix=_s(body.get("honorificPrefix")),
            honorific_suffix=_s(body.get("honorificSuffix")),
        )


@dataclass(frozen=True, slots=True)
class User:
    """A PingOne user (``/environments/{id}/users``).

    - `name`: given / family / middle / formatted parts (`None` when the user has no name);
    - `population_id`: the population the user belongs to;
    - `lifecycle_status`: ``ACCOUNT_OK``, ``VERIFICATION_REQUIRED`` …;
    - `created_at` / `updated_at`: PingOne's ISO 8601 timestamps, as sent;
    - `raw`: a `dict` copy of the whole record (custom attributes, ``address``, …).
    """

    id: str
    username: str | None
    email: str | None
    enabled: bool | None
    population_id: str | None
    name: UserName | None = None
    lifecycle_status: str | None = None
    external_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> User:
        """Build from a PingOne user JSON object."""
        d = _expect_object(body, "user")
        lifecycle = d.get("lifecycle")
        return cls(
            id=str(d.get("id", "")),
            username=_s(d.get("username")),
            email=_s(d.get("email")),
            enabled=_bool(d.get("enabled")),
            population_id=_id_of(d.get("population")),
            name=UserName.from_json(d.get("name")),
            lifecycle_status=_s(lifecycle.get("status"))
            if isinstance(lifecycle, Mapping)
            else None,
            external_id=_s(d.get("externalId")),
            created_at=_s(d.get("createdAt")),
            updated_at=_s(d.get("updatedAt")),
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class Group:
    """A PingOne group (``/environments/{id}/groups``).

    `population_id` is set for a group that belongs to one population (`None`: the whole
    environment). From `iter_user_groups`, a group carries what the membership record holds
    (`id`, `name`); `get_group` reads the rest.
    """

    id: str
    name: str | None
    description: str | None
    population_id: str | None
    external_id: str | None = None
    custom_data: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Group:
        """Build from a PingOne group (or group membership) JSON object."""
        d = _expect_object(body, "group")
        custom = d.get("customData")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            population_id=_id_of(d.get("population")),
            external_id=_s(d.get("externalId")),
            custom_data=_copy(custom) if isinstance(custom, Mapping) else None,
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class Population:
    """A PingOne population (``/environments/{id}/populations``)."""

    id: str
    name: str | None
    description: str | None
    default: bool | None = None
    user_count: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Population:
        """Build from a PingOne population JSON object."""
        d = _expect_object(body, "population")
        count = d.get("userCount")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            default=_bool(d.get("default")),
            user_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class SignOnPolicy:
    """A sign-on policy (``/environments/{id}/signOnPolicies``)."""

    id: str
    name: str | None
    description: str | None
    default: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> SignOnPolicy:
        """Build from a PingOne sign-on policy JSON object."""
        d = _expect_object(body, "sign-on policy")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            description=_s(d.get("description")),
            default=d.get("default") is True,
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class Resource:
    """A resource (``/environments/{id}/resources``): the PingOne API, openid or custom."""

    id: str
    name: str | None
    type: str | None
    audience: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> Resource:
        """Build from a PingOne resource JSON object."""
        d = _expect_object(body, "resource")
        return cls(
            id=str(d.get("id", "")),
            name=_s(d.get("name")),
            type=_s(d.get("type")),
            audience=_s(d.get("audience")),
            raw=_copy(d),
        )


@dataclass(frozen=True, slots=True)
class Product:
    """One product of an environment's bill of materials."""

    id: str | None
    type: str | None
    description: str | None


@dataclass(frozen=True, slots=True)
class BillOfMaterials:
    """``GET /environments/{id}/billOfMaterials``: the environment's products."""

    products: tuple[Product, ...]
    solution_type: str | None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, body: Any) -> BillOfMaterials:
        """Build from a PingOne bill of materials JSON object."""
        d = _expect_object(body, "bill of materials")
        products = d.get("products")
        return cls(
            products=tuple(
                Product(
                    id=_s(p.get("id")), type=_s(p.get("type")), description=_s(p.get("description"))
                )
                for p in (products if isinstance(products, list) else [])
                if isinstance(p, Mapping)
            ),
            solution_type=_s(d.get("solutionType")),
            raw=_copy(d),
        )
