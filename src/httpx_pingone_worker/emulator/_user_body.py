"""Checks of a user body (``POST``, ``PUT``, ``PATCH`` of ``/users``) against PingOne's
rules: the spec's field rules (``_field_rules``), read-only and import-only attributes.

- ``username`` is the only required attribute ("Create User": "The request must also set a
  value for the username attribute"); ``email``, when sent, must be an email address.
- ``null`` clears an attribute on ``PUT`` and ``PATCH`` (PingOne's HTTP conventions).
- ``population``, ``mfaEnabled`` and ``lifecycle`` cannot change through ``PUT``/``PATCH``
  (each has its own operation, or is import-only); the user's current value is accepted.
- ``lifecycle.status`` is set only on import (``EnumUserLifecycleStatus``: "only allowed
  to be set when importing a user"); ``enabled`` only on create (read-only in the spec).
"""

from __future__ import annotations

import re
from typing import Any

from ._field_rules import check_string
from ._http import Detail
from ._routes import Call, Validator

__all__ = [
    "FIXED_ON_UPDATE",
    "IMPORT_JSON",
    "OBJECTS",
    "PASSWORD_SET",
    "fixed_on_update",
    "validate_user",
]

IMPORT_JSON = "application/vnd.pingidentity.user.import+json"
PASSWORD_SET = "application/vnd.pingidentity.password.set+json"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_STRINGS = {
    "username",
    "email",
    "nickname",
    "title",
    "preferredLanguage",
    "locale",
    "timezone",
    "externalId",
    "mobilePhone",
    "primaryPhone",
    "type",
}
OBJECTS = {
    "name": {"given", "family", "middle", "formatted", "honorificPrefix", "honorificSuffix"},
    "address": {"streetAddress", "locality", "region", "postalCode", "countryCode"},
    "photo": {"href"},
}
_WRITABLE = {
    *_STRINGS,
    *OBJECTS,
    "population",
    "password",
    "lifecycle",
    "enabled",
    "mfaEnabled",
}
_READ_ONLY = {
    "id",
    "environment",
    "createdAt",
    "updatedAt",
    "_links",
    "emailVerified",
    "lastSignOn",
    "memberOfGroupIDs",
    "memberOfGroupNames",
    "account",
    "identityProvider",
    "verifyStatus",
}
_LIFECYCLE = ("ACCOUNT_OK", "VERIFICATION_REQUIRED")
#: Attributes a PUT or PATCH may carry only with the user's current value: each has its own
#: operation (``PUT …/population``, ``PUT …/mfaEnabled``) or is set only on import.
FIXED_ON_UPDATE = {
    "population": "move the user with PUT /environments/{envId}/users/{userId}/population",
    "mfaEnabled": "change it with PUT /environments/{envId}/users/{userId}/mfaEnabled",
    "lifecycle": "lifecycle.status can be set only when importing a user",
}


def _check_string(v: Validator, path: str, value: Any) -> str | None:
    """A string attribute per the spec's field rules (``_field_rules``); None if refused."""
    if not isinstance(value, str):
        v.fail("INVALID_VALUE", path, f"{path} must be a string.")
        return None
    problem = check_string(path, value)
    if problem is not None:
        code, message, inner = problem
        v.fail(code, path, message, **inner)
        return None
    return value


def _strings(v: Validator, body: dict[str, Any], *, partial: bool, create: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(_STRINGS & set(body)):
        value = body[key]
        if value is None:
            if key != "username" and not create:
                out[key] = None  # username: REQUIRED_VALUE below; create: nothing to clear
            continue
        checked = _check_string(v, key, value)
        if checked is None:
            continue
        if key == "email" and not _EMAIL.match(checked):
            v.fail("INVALID_VALUE", "email", "email must be a valid email address.")
            continue
        out[key] = checked
    if not partial and not isinstance(body.get("username"), str):
        if "username" not in {d.target for d in v.details}:
            v.fail("REQUIRED_VALUE", "username", "username is required and cannot be empty.")
    elif partial and "username" in body and body["username"] is None:
        v.fail("REQUIRED_VALUE", "username", "username is required and cannot be cleared.")
    return out


def _objects(v: Validator, body: dict[str, Any], *, create: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(set(OBJECTS) & set(body)):
        value = body[key]
        if value is None:
            if not create:
                out[key] = None
            continue
        if not isinstance(value, dict):
            v.fail("INVALID_VALUE", key, f"{key} must be an object.")
            continue
        sub: dict[str, Any] = {}
        for name, sub_value in value.items():
            path = f"{key}.{name}"
            if name not in OBJECTS[key]:
                v.fail("INVALID_VALUE", path, f"Attribute '{path}' is not defined.")
            elif sub_value is None:
                sub[name] = None
            else:
                checked = _check_string(v, path, sub_value)
                if checked is not None:
                    sub[name] = checked
        if key == "photo" and not isinstance(value.get("href"), str):
            v.fail("REQUIRED_VALUE", "photo.href", "photo.href is required.")
        out[key] = sub
    return out


def _lifecycle(v: Validator, body: dict[str, Any], *, create: bool, imported: bool) -> Any:
    lifecycle = body.get("lifecycle")
    if lifecycle is None:
        return None
    status = lifecycle.get("status") if isinstance(lifecycle, dict) else None
    if status not in _LIFECYCLE:
        v.fail(
            "INVALID_VALUE",
            "lifecycle.status",
            f"lifecycle.status must be one of {', '.join(_LIFECYCLE)}.",
            allowedValues=list(_LIFECYCLE),
        )
        return None
    if create and not imported:
        v.fail(
            "INVALID_VALUE",
            "lifecycle.status",
            "lifecycle.status can be set only when importing a user "
            f"(Content-Type: {IMPORT_JSON}).",
        )
        return None
    return {"status": status}


def _password_of(v: Validator, body: dict[str, Any], *, create: bool) -> dict[str, Any] | None:
    password = body.get("password")
    if password is None:
        return None
    if not create:
        v.fail("INVALID_VALUE", "password", "Set a password with PUT …/users/{id}/password.")
        return None
    if not isinstance(password, dict) or not isinstance(password.get("value"), str):
        v.fail("INVALID_VALUE", "password.value", "password must be an object with a string value.")
        return None
    return password


def validate_user(
    call: Call, body: dict[str, Any], *, partial: bool, create: bool, imported: bool = False
) -> tuple[dict[str, Any], dict[str, Any] | None, list[Detail]]:
    """Checked attributes (``None`` values: clear the attribute), the password object
    (create only) and the details of errors. Values that break a rule are never kept."""
    v = Validator(body)
    v.unknown(_WRITABLE, _READ_ONLY)
    out = _strings(v, body, partial=partial, create=create)
    out.update(_objects(v, body, create=create))
    pop_id = v.reference("population")
    if pop_id is not None:
        if pop_id in call.environment.populations:
            out["population"] = {"id": pop_id}
        else:
            v.fail("INVALID_VALUE", "population.id", "No population with that id.")
    for key in ("enabled", "mfaEnabled"):
        flag = v.boolean(key)
        if flag is not None and (create or key == "mfaEnabled"):
            out[key] = flag
    lifecycle = _lifecycle(v, body, create=create, imported=imported)
    if lifecycle is not None:
        out["lifecycle"] = lifecycle
    password = _password_of(v, body, create=create)
    return out, password, v.details


def fixed_on_update(user: dict[str, Any], attrs: dict[str, Any]) -> list[Detail]:
    """Details for PUT/PATCH values of population, mfaEnabled or lifecycle that differ from
    the user's (the same value, e.g. a GET body sent back, is accepted)."""
    details = []
    current = {
        "population": user.get("population"),
        "mfaEnabled": user.get("mfaEnabled", False),
        "lifecycle": user.get("lifecycle"),
    }
    for key, how in FIXED_ON_UPDATE.items():
        if key in attrs and attrs[key] != current[key]:
            target = {"population": "population.id", "lifecycle": "lifecycle.status"}.get(key, key)
            details.append(
                Detail(
                    "INVALID_VALUE", f"{target} cannot be changed by this operation: {how}.", target
                )
            )
    return details
