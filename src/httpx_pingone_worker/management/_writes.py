"""Typed Management API writes, sans-IO: what to send and how to parse the answer.

Each function checks its arguments (an `InvalidArgumentError`, a `ValueError`, says what
was wrong and how to fix it; nothing is sent) and returns a `_Write` the sync and async
clients send the same way.
PingOne's refusals come back as [`ManagementApiError`][httpx_pingone_worker.ManagementApiError] with
PingOne's ``details`` (a uniqueness violation names the field and the existing id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from httpx_pingone_worker._core._errors import InvalidArgumentError, ManagementApiError
from httpx_pingone_worker._core._logging import register_held_secret
from httpx_pingone_worker._core._secrets import Secret

from ._models import Group, User, _expect_object
from ._sansio import _SansIO

__all__ = [
    "add_to_group",
    "checked_id",
    "create_group",
    "create_user",
    "delete",
    "move_user",
    "remove_from_group",
    "rotate_secret",
    "set_enabled",
    "update_user",
]

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class _Write(Generic[_T]):
    """One write: method, path (relative to the API base), JSON body and the parser."""

    method: str
    path: str
    json: Any
    parse: Callable[[Any], _T]


def _none(_body: Any) -> None:
    return None


def _text(value: Any, name: str, hint: str) -> str:
    if not isinstance(value, str) or not value.strip():
        shown = "an empty string" if isinstance(value, str) else type(value).__name__
        raise InvalidArgumentError(f"{name} must be a non-empty string, got {shown}", hint=hint)
    return value


def checked_id(value: Any, name: str) -> str:
    """``value`` when it is a non-empty string, else an `InvalidArgumentError` naming ``name``."""
    return _text(value, name, hint=f"pass the {name.replace('_', ' ')} (a UUID from PingOne)")


_id = checked_id


def _attributes(value: Any, name: str = "attributes") -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"{name} must be a mapping of PingOne user attributes, got {type(value).__name__}",
            hint='e.g. {"name": {"given": "Ada"}, "title": "Engineer"}',
        )
    return dict(value)


def create_user(
    sansio: _SansIO,
    *,
    username: str,
    email: str | None,
    population_id: str | None,
    name: Mapping[str, str] | None,
    enabled: bool | None,
    attributes: Mapping[str, Any] | None,
    environment_id: str | None,
) -> _Write[User]:
    """``POST /environments/{env}/users``."""
    body = _attributes(attributes or {})
    body["username"] = _text(username, "username", "PingOne requires a unique username")
    if email is not None:  # optional in PingOne (the spec's User schema)
        body["email"] = _text(email, "email", "pass the user's email address or leave it out")
    if population_id is not None:
        body["population"] = {"id": _id(population_id, "population_id")}
    if name is not None:
        body["name"] = _attributes(name, "name")
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise InvalidArgumentError(f"enabled must be True or False, got {enabled!r}")
        body["enabled"] = enabled
    env = sansio.require_env(environment_id)
    return _Write("POST", f"/environments/{env}/users", body, User.from_json)


def update_user(
    sansio: _SansIO,
    user_id: str,
    attributes: Mapping[str, Any],
    *,
    replace: bool,
    environment_id: str | None,
) -> _Write[User]:
    """``PATCH`` (merge) or ``PUT`` (replace) ``/environments/{env}/users/{id}``."""
    body = _attributes(attributes)
    if replace and "username" not in body:
        raise InvalidArgumentError(
            "replace_user needs the whole user, including username (and email)",
            hint="use update_user() to change only some attributes",
        )
    env = sansio.require_env(environment_id)
    path = f"/environments/{env}/users/{_id(user_id, 'user_id')}"
    return _Write("PUT" if replace else "PATCH", path, body, User.from_json)


def delete(sansio: _SansIO, kind: str, ident: str, environment_id: str | None) -> _Write[None]:
    """``DELETE /environments/{env}/<kind>/{id}``."""
    env = sansio.require_env(environment_id)
    return _Write("DELETE", f"/environments/{env}/{kind}s/{_id(ident, f'{kind}_id')}", None, _none)


def set_enabled(
    sansio: _SansIO, user_id: str, enabled: bool, environment_id: str | None
) -> _Write[bool]:
    """``PUT /environments/{env}/users/{id}/enabled``; parses the new state."""
    if not isinstance(enabled, bool):
        raise InvalidArgumentError(f"enabled must be True or False, got {enabled!r}")
    env = sansio.require_env(environment_id)

    def parse(body: Any) -> bool:
        value = _expect_object(body, "enabled state").get("enabled")
        if not isinstance(value, bool):
            raise ManagementApiError("PingOne's enabled state has no boolean 'enabled'")
        return value

    path = f"/environments/{env}/users/{_id(user_id, 'user_id')}/enabled"
    return _Write("PUT", path, {"enabled": enabled}, parse)


def create_group(
    sansio: _SansIO,
    *,
    name: str,
    description: str | None,
    population_id: str | None = None,
    environment_id: str | None,
) -> _Write[Group]:
    """``POST /environments/{env}/groups`` (a population's group with ``population_id``)."""
    body: dict[str, Any] = {"name": _text(name, "name", "groups need a unique name")}
    if description is not None:
        body["description"] = _text(description, "description", "omit it or pass text")
    if population_id is not None:
        body["population"] = {"id": _id(population_id, "population_id")}
    env = sansio.require_env(environment_id)
    return _Write("POST", f"/environments/{env}/groups", body, Group.from_json)


def move_user(
    sansio: _SansIO, user_id: str, population_id: str, environment_id: str | None
) -> _Write[None]:
    """``PUT /environments/{env}/users/{id}/population``."""
    env = sansio.require_env(environment_id)
    path = f"/environments/{env}/users/{_id(user_id, 'user_id')}/population"
    return _Write("PUT", path, {"id": _id(population_id, "population_id")}, _none)


def add_to_group(
    sansio: _SansIO, user_id: str, group_id: str, environment_id: str | None
) -> _Write[None]:
    """``POST /environments/{env}/users/{id}/memberOfGroups``."""
    env = sansio.require_env(environment_id)
    path = f"/environments/{env}/users/{_id(user_id, 'user_id')}/memberOfGroups"
    return _Write("POST", path, {"id": _id(group_id, "group_id")}, _none)


def remove_from_group(
    sansio: _SansIO, user_id: str, group_id: str, environment_id: str | None
) -> _Write[None]:
    """``DELETE /environments/{env}/users/{id}/memberOfGroups/{groupId}``."""
    env = sansio.require_env(environment_id)
    user, group = _id(user_id, "user_id"), _id(group_id, "group_id")
    return _Write("DELETE", f"/environments/{env}/users/{user}/memberOfGroups/{group}", None, _none)


def rotate_secret(
    sansio: _SansIO,
    app_id: str,
    previous_expires_at: dt.datetime | None,
    environment_id: str | None,
) -> _Write[Secret]:
    """``POST /environments/{env}/applications/{id}/secret``; the new secret as a Secret.

    With ``previous_expires_at`` (an aware datetime) the old secret keeps working until then;
    without it PingOne stops accepting it at once.
    """
    body: dict[str, Any] = {}
    if previous_expires_at is not None:
        if not isinstance(previous_expires_at, dt.datetime) or previous_expires_at.tzinfo is None:
            raise InvalidArgumentError(
                "previous_expires_at must be a timezone-aware datetime",
                hint="e.g. datetime.now(timezone.utc) + timedelta(hours=1)",
            )
        body["previous"] = {"expiresAt": previous_expires_at.isoformat()}

    def parse(answer: Any) -> Secret:
        secret = _expect_object(answer, "application secret").get("secret")
        if not isinstance(secret, str) or not secret:
            raise ManagementApiError("PingOne's secret answer holds no secret")
        value = Secret(secret)
        register_held_secret(value)  # never in a log line from now on
        return value

    env = sansio.require_env(environment_id)
    path = f"/environments/{env}/applications/{_id(app_id, 'app_id')}/secret"
    return _Write("POST", path, body, parse)
