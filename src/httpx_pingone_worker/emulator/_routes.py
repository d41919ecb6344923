"""Route table plumbing of the Management API: a ``Route`` per path, a ``Call``
per request, and the body-validation helpers the resource modules share."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._engine import EmulatorEngine
from ._http import Ctx, Detail, EmulatorResponse, api_error
from ._state import App, Environment, iso

__all__ = ["Call", "Handler", "Route", "Validator", "forbidden", "route"]

NO_ACCESS = "The request could not be completed. You do not have access to this resource."


@dataclass(slots=True)
class Call:
    """One authorized Management API call, as a resource handler sees it."""

    engine: EmulatorEngine
    ctx: Ctx
    app: App
    params: dict[str, str]
    env: Environment | None  # None for routes outside an environment
    perms: frozenset[str]

    @property
    def environment(self) -> Environment:
        """The call's environment (routes under ``/environments/{id}`` only)."""
        assert self.env is not None  # noqa: S101 - the router sets it for these routes
        return self.env

    def env_path(self, suffix: str = "") -> str:
        """``/v1/environments/<id><suffix>``."""
        return f"/v1/environments/{self.environment.id}{suffix}"

    def now(self) -> str:
        """The emulator clock as a PingOne timestamp."""
        return iso(self.engine.clock.now())


Handler = Callable[[Call], EmulatorResponse]


@dataclass(frozen=True, slots=True)
class Route:
    """A path and its handler per HTTP method. The permission each operation needs is not
    here: the router looks ``"<METHOD> <template>"`` up in its one table
    (``_api.OPERATION_PERMISSIONS``)."""

    template: str
    pattern: re.Pattern[str]
    resource: str
    methods: Mapping[str, Handler]


def route(template: str, resource: str, **methods: Handler) -> Route:
    """A ``Route`` for ``template`` (``{name}`` is one path segment, captured).

    ``methods`` maps ``GET``/``POST``/… to the handler. Every operation also needs a line
    in ``_api.OPERATION_PERMISSIONS`` (an operation without one is refused with 403).
    """
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(template, re.compile(rf"^/v1{regex}/?$"), resource, methods)


def forbidden(ctx: Ctx, detail_message: str) -> EmulatorResponse:
    """PingOne's 403: ``ACCESS_FAILED`` with an ``INSUFFICIENT_PERMISSIONS`` detail."""
    return api_error(
        ctx,
        403,
        "ACCESS_FAILED",
        NO_ACCESS,
        detail="INSUFFICIENT_PERMISSIONS",
        detail_message=detail_message,
    )


class Validator:
    """Collects the ``details`` of a ``400 INVALID_DATA`` answer while checking a body."""

    def __init__(self, body: Mapping[str, Any]) -> None:
        self.body = body
        self.details: list[Detail] = []

    def fail(self, code: str, target: str, message: str, **inner: Any) -> None:
        self.details.append(Detail(code, message, target, inner or None))

    def unknown(self, allowed: set[str], ignored: set[str]) -> None:
        """``INVALID_VALUE`` for each attribute the resource does not have."""
        for key in self.body:
            if key not in allowed and key not in ignored:
                self.fail(
                    "INVALID_VALUE", key, f"Attribute '{key}' is not defined for this resource."
                )

    def string(self, key: str, *, required: bool, max_len: int = 256) -> str | None:
        value = self.body.get(key)
        if value is None:
            if required:
                self.fail("REQUIRED_VALUE", key, f"{key} is required and cannot be empty.")
            return None
        if not isinstance(value, str):
            self.fail("INVALID_VALUE", key, f"{key} must be a string.")
            return None
        if required and not value.strip():
            self.fail("REQUIRED_VALUE", key, f"{key} is required and cannot be empty.")
            return None
        if len(value) > max_len:
            self.fail("SIZE_LIMIT_EXCEEDED", key, f"{key} must be at most {max_len} characters.")
            return None
        return value

    def boolean(self, key: str, *, required: bool = False) -> bool | None:
        value = self.body.get(key)
        if value is None:
            if required:
                self.fail("REQUIRED_VALUE", key, f"{key} is required.")
            return None
        if not isinstance(value, bool):
            self.fail("INVALID_VALUE", key, f"{key} must be true or false.")
            return None
        return value

    def reference(self, key: str, *, required: bool = False) -> str | None:
        """An ``{"id": "..."}`` object; returns the id."""
        value = self.body.get(key)
        if value is None:
            if required:
                self.fail("REQUIRED_VALUE", f"{key}.id", f"{key}.id is required.")
            return None
        ident = value.get("id") if isinstance(value, dict) else None
        if not isinstance(ident, str) or not ident:
            self.fail("INVALID_VALUE", f"{key}.id", f"{key} must be an object with a string id.")
            return None
        return ident

    def obj(self, key: str, fields: set[str]) -> dict[str, Any] | None:
        """An object of string fields (e.g. ``name``)."""
        value = self.body.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail("INVALID_VALUE", key, f"{key} must be an object.")
            return None
        out: dict[str, Any] = {}
        for sub, item in value.items():
            if sub not in fields:
                self.fail(
                    "INVALID_VALUE", f"{key}.{sub}", f"Attribute '{key}.{sub}' is not defined."
                )
            elif item is not None and not isinstance(item, str):
                self.fail("INVALID_VALUE", f"{key}.{sub}", f"{key}.{sub} must be a string.")
            elif item is not None:
                out[sub] = item
        return out


def unique(
    records: Mapping[str, Mapping[str, Any]], key: str, value: str, *, exclude: str | None = None
) -> str | None:
    """Id of another record whose ``key`` equals ``value`` case-insensitively, or ``None``."""
    wanted = value.lower()
    for rid, rec in records.items():
        if rid != exclude and str(rec.get(key, "")).lower() == wanted:
            return rid
    return None
