"""Typed lookups and idempotent writes, written once as flows of client calls.

Each operation (`find_user`, `get_or_create_group`, `create_or_update_user`, …) is a flow:
a generator that yields `CallClient` actions (call this method of the client) and receives
the result, or has the library error the call raised thrown in; `run_on` / `arun_on`
(`_actions.py`) are the sync and async drivers. So `PingOneClient` and
`AsyncPingOneClient` decide the same way: what counts as a match, how a racing creator's
uniqueness violation is resolved (read the winner), which changes an update sends.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from typing import Any, TypeVar

from httpx_pingone_worker._core._errors import (
    ConflictError,
    InvalidArgumentError,
    ManagementApiError,
    NotFoundError,
)

from ._actions import CallClient
from ._models import Group, User
from ._sansio import _groups_query, _SansIO

__all__ = ["quote"]

_R = TypeVar("_R")


_Flow = Generator[CallClient, Any, _R]


# --- argument checks --------------------------------------------------------------------


def _text(value: Any, name: str, hint: str) -> str:
    if not isinstance(value, str) or not value.strip():
        shown = "an empty string" if isinstance(value, str) else type(value).__name__
        raise InvalidArgumentError(f"{name} must be a non-empty string, got {shown}", hint=hint)
    return value


def _optional_text(value: Any, name: str, hint: str) -> str | None:
    return None if value is None else _text(value, name, hint)


def quote(value: str) -> str:
    """``value`` as a SCIM filter string literal (quotes and backslashes escaped)."""
    return json.dumps(value, ensure_ascii=False)


def _same(a: str | None, b: str) -> bool:
    """PingOne compares usernames, emails and group names case-insensitively."""
    return a is not None and a.casefold() == b.casefold()


# --- lookups ----------------------------------------------------------------------------


def find_user(
    sansio: _SansIO, username: str | None, email: str | None, environment_id: str | None
) -> _Flow[User | None]:
    """The one user whose username (and/or email) matches, or ``None``."""
    hint = "pass username= and/or email=, e.g. find_user(username='ada')"
    username = _optional_text(username, "username", hint)
    email = _optional_text(email, "email", hint)
    if username is None and email is None:
        raise InvalidArgumentError("find_user needs username= or email=", hint=hint)
    terms = [f"{attr} eq {quote(v)}" for attr, v in (("username", username), ("email", email)) if v]

    def accept(user: User) -> bool:
        return (username is None or _same(user.username, username)) and (
            email is None or _same(user.email, email)
        )

    query = sansio.users_query(" and ".join(terms), None, environment_id)
    matches: list[User] = yield CallClient("_collect", (query, accept, 2))
    if len(matches) > 1:
        by = "username and email" if username and email else "username" if username else "email"
        raise ManagementApiError(
            f"find_user: more than one user matches that {by}",
            hint="emails need not be unique in PingOne: look the user up by username= "
            "(unique per environment), or use iter_users(filter=...) to see them all",
        )
    return matches[0] if matches else None


def find_group(
    sansio: _SansIO, name: str, population_id: str | None, environment_id: str | None
) -> _Flow[Group | None]:
    """The group called ``name`` (in ``population_id`` when given), or ``None``."""
    name = _text(name, "name", "pass the group's name")
    population_id = _optional_text(population_id, "population_id", "pass a population id")

    def accept(group: Group) -> bool:
        in_scope = population_id is None or group.population_id == population_id
        return in_scope and _same(group.name, name)

    query = _groups_query(sansio, environment_id, f"name eq {quote(name)}")
    matches: list[Group] = yield CallClient("_collect", (query, accept, 2))
    if len(matches) > 1:
        raise ManagementApiError(
            "find_group: groups of that name exist in more than one population",
            hint="pass population_id= to pick the population whose group you mean",
        )
    return matches[0] if matches else None


# --- idempotent writes ------------------------------------------------------------------


def get_or_create_group(
    sansio: _SansIO,
    name: str,
    population_id: str | None,
    description: str | None,
    environment_id: str | None,
) -> _Flow[tuple[Group, bool]]:
    """The group called ``name``, created when missing; ``True`` when this call created it.

    A racing creator's ``UNIQUENESS_VIOLATION`` is resolved by reading the winner.
    """
    found = yield from find_group(sansio, name, population_id, environment_id)
    if found is not None:
        return found, False
    try:
        created: Group = yield CallClient(
            "create_group",
            (),
            {
                "name": name,
                "description": description,
                "population_id": population_id,
                "environment_id": environment_id,
            },
        )
    except ConflictError as conflict:
        winner = yield from _winner(sansio, conflict, name, population_id, environment_id)
        if winner is None:
            raise
        return winner, False
    return created, True


def _winner(
    sansio: _SansIO,
    conflict: ConflictError,
    name: str,
    population_id: str | None,
    environment_id: str | None,
) -> _Flow[Group | None]:
    """The group that made ``conflict``: by its id, else found by name again."""
    if conflict.existing_id:
        try:
            group: Group = yield CallClient(
                "get_group", (conflict.existing_id,), {"environment_id": environment_id}
            )
        except NotFoundError:  # deleted again in the meantime: look it up by name
            pass
        else:
            if population_id is None or group.population_id == population_id:
                return group
            return None  # the name is taken in another scope: a real conflict
    found: Group | None = yield from find_group(sansio, name, population_id, environment_id)
    return found


def create_or_update_user(
    sansio: _SansIO,
    *,
    username: str,
    email: str | None,
    population_id: str | None,
    name: Mapping[str, Any] | None,
    enabled: bool | None,
    attributes: Mapping[str, Any] | None,
    environment_id: str | None,
) -> _Flow[tuple[User, bool]]:
    """The user ``username`` with these values: created when missing (``True``), else
    changed only where it differs (a re-run with the same values sends no write)."""
    username = _text(username, "username", "PingOne identifies users by a unique username")
    wanted = _user_fields(email=email, name=name, attributes=attributes)
    _check_enabled(enabled)
    population_id = _optional_text(population_id, "population_id", "pass a population id")
    user = yield from find_user(sansio, username, None, environment_id)
    if user is None:
        try:
            created: User = yield CallClient(
                "create_user",
                (),
                {
                    "username": username,
                    "email": email,
                    "population_id": population_id,
                    "name": name,
                    "enabled": enabled,
                    "attributes": attributes,
                    "environment_id": environment_id,
                },
            )
        except ConflictError as conflict:  # created by a racing caller: update the winner
            if not conflict.existing_id:
                raise
            user = yield CallClient(
                "get_user", (conflict.existing_id,), {"environment_id": environment_id}
            )
        else:
            return created, True
    assert user is not None  # noqa: S101 - found, or read after the conflict
    updated = yield from _converge(user, wanted, population_id, enabled, environment_id)
    return updated, False


def update_user(
    user_id: str,
    attributes: Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    environment_id: str | None,
) -> _Flow[User]:
    """``PATCH`` the attributes; a population or enabled change goes to its own endpoint."""
    user_id = _text(user_id, "user_id", "pass the user's id (a UUID from PingOne)")
    if attributes is not None and not isinstance(attributes, Mapping):
        raise InvalidArgumentError(
            f"attributes must be a mapping of PingOne user attributes, got "
            f"{type(attributes).__name__}",
            hint='e.g. update_user(user_id, {"title": "Engineer"}) or update_user(user_id, '
            'title="Engineer")',
        )
    extra = dict(fields)
    population_id = _optional_text(
        extra.pop("population_id", None), "population_id", "pass a population id"
    )
    enabled = extra.pop("enabled", None)
    _check_enabled(enabled)
    body = dict(attributes or {})
    for key in ("username", "email"):
        if key in extra and extra[key] is not None:
            body[key] = _text(extra.pop(key), key, f"pass the new {key} or leave it out")
        else:
            extra.pop(key, None)
    name = extra.pop("name", None)
    if name is not None:
        if not isinstance(name, Mapping):
            raise InvalidArgumentError(
                f"name must be a mapping such as {{'given': 'Ada'}}, got {type(name).__name__}"
            )
        body["name"] = dict(name)
    body.update(extra)
    if not body and population_id is None and enabled is None:
        raise InvalidArgumentError(
            "update_user: nothing to change",
            hint="pass a mapping of attributes and/or keywords such as email=, name=, enabled=",
        )
    user: User | None = None
    if population_id is not None:
        yield CallClient("move_user", (user_id, population_id), {"environment_id": environment_id})
    if enabled is not None:
        yield CallClient("set_user_enabled", (user_id, enabled), {"environment_id": environment_id})
    if body:
        user = yield CallClient("_patch_user", (user_id, body), {"environment_id": environment_id})
    if user is None:
        user = yield CallClient("get_user", (user_id,), {"environment_id": environment_id})
    return user


def _check_enabled(enabled: Any) -> None:
    if enabled is not None and not isinstance(enabled, bool):
        raise InvalidArgumentError(f"enabled must be True or False, got {type(enabled).__name__}")


def _user_fields(
    *, email: Any, name: Any, attributes: Any
) -> dict[str, Any]:  # what a create_or_update_user wants the user to hold
    out: dict[str, Any] = {}
    if attributes is not None:
        if not isinstance(attributes, Mapping):
            raise InvalidArgumentError(
                f"attributes must be a mapping of PingOne user attributes, got "
                f"{type(attributes).__name__}",
                hint='e.g. {"title": "Engineer", "locale": "en"}',
            )
        out.update(attributes)
    if name is not None:
        if not isinstance(name, Mapping):
            raise InvalidArgumentError(
                f"name must be a mapping such as {{'given': 'Ada'}}, got {type(name).__name__}"
            )
        out["name"] = dict(name)
    if email is not None:
        out["email"] = _text(email, "email", "pass the user's email address or leave it out")
    return out


def _differs(current: Any, wanted: Any) -> bool:
    """True when ``wanted`` is not already what ``current`` holds (objects: a subset match)."""
    if isinstance(wanted, Mapping):
        if not isinstance(current, Mapping):
            return True
        return any(_differs(current.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, str) and isinstance(current, str):
        return wanted != current
    return bool(current != wanted)


def _converge(
    user: User,
    wanted: Mapping[str, Any],
    population_id: str | None,
    enabled: bool | None,
    environment_id: str | None,
) -> _Flow[User]:
    changes = {k: v for k, v in wanted.items() if _differs(user.raw.get(k), v)}
    fields: dict[str, Any] = {}
    if population_id is not None and population_id != user.population_id:
        fields["population_id"] = population_id
    if enabled is not None and enabled != user.enabled:
        fields["enabled"] = enabled
    if not changes and not fields:
        return user  # already as wanted: nothing sent
    updated: User = yield from update_user(user.id, changes, fields, environment_id)
    return updated
