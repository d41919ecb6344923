"""The ``pingone`` marker: per-test emulator settings, merged nearest-first.

``@pytest.mark.pingone(...)`` on a test, its class, its module (``pytestmark``) or a
``conftest``-level ``pytestmark``: the closest marker wins keyword by keyword, so a
class can set ``region="EU"`` and one test in it add ``token_lifetime=300``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pytest

__all__ = [
    "FAULT_KEYWORDS",
    "MARKER_KEYWORDS",
    "MARKER_LINE",
    "EmulatorSettings",
    "MarkerError",
    "settings_for",
]

MARKER_KEYWORDS = (
    "region",
    "token_lifetime",
    "auth_method",
    "roles",
    "rate_limit",
    "faults",
    "strict_auth",
    "users",
    "seed_file",
)
FAULT_KEYWORDS = ("endpoint", "kind", "count", "status", "retry_after", "delay")
FAULT_KINDS = ("status", "latency", "connect", "timeout", "malformed", "rate_limit")

MARKER_LINE = (
    "pingone(region=None, token_lifetime=None, auth_method=None, roles=None, "
    "rate_limit=None, faults=None, strict_auth=None, users=None, seed_file=None): configure "
    "the PingOne emulator of "
    "this test (nearest marker wins, keyword by keyword). region: NA|EU|CA|AU|SG|AP; "
    "token_lifetime: seconds; auth_method: client_secret_basic|client_secret_post|"
    "client_secret_jwt|private_key_jwt; roles: role names of the worker app; rate_limit: "
    "requests per minute or None; faults: a dict or list of dicts for "
    "PingOneEmulator.inject_fault(endpoint=, kind=, count=, status=, retry_after=, delay=); "
    "strict_auth: bool; users: seeded users (int); seed_file: JSON file of users, groups and "
    "populations (relative to the test's file)."
)


class MarkerError(Exception):
    """A ``pingone`` marker is malformed; the message says which keyword and how to fix it."""


@dataclass(frozen=True, slots=True)
class EmulatorSettings:
    """The merged ``pingone`` marker settings of one test.

    Only keywords some marker set are in ``values``; the rest keep the emulator's
    defaults. ``faults`` is a tuple of keyword dicts for ``inject_fault``.
    """

    values: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    faults: tuple[Mapping[str, Any], ...] = ()

    def constructor_kwargs(self, *, default_region: str) -> dict[str, Any]:
        """Keyword arguments for ``PingOneEmulator(...)``."""
        kwargs = {k: v for k, v in self.values.items() if k != "faults"}
        kwargs.setdefault("region", default_region)
        return kwargs

    def __bool__(self) -> bool:
        return bool(self.values) or bool(self.faults)


def _suggest(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_keywords(kwargs: Mapping[str, Any], valid: tuple[str, ...], what: str) -> None:
    for name in kwargs:
        if name not in valid:
            raise MarkerError(
                f"{what} got an unknown keyword {name!r}{_suggest(name, valid)}; "
                f"valid keywords: {', '.join(valid)}"
            )


def _validate_value(name: str, value: Any) -> Any:
    from httpx_pingone_worker import ConfigurationError, Region
    from httpx_pingone_worker.credentials._credentials import parse_auth_method

    where = f"pingone marker {name}="
    if name == "region":
        try:
            return Region.parse(value).value
        except ConfigurationError as exc:
            raise MarkerError(f"{where}: {exc}") from None
    if name == "auth_method":
        try:
            return parse_auth_method(value)
        except ConfigurationError as exc:
            raise MarkerError(f"{where}: {exc}") from None
    if name == "token_lifetime":
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise MarkerError(f"{where} must be a positive int (seconds), got {value!r}")
        return value
    if name == "rate_limit":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise MarkerError(f"{where} must be None or an int (requests per minute)")
        if value is not None and value <= 0:
            raise MarkerError(f"{where} must be positive, got {value!r}")
        return value
    if name == "strict_auth":
        if not isinstance(value, bool):
            raise MarkerError(f"{where} must be True or False, got {value!r}")
        return value
    if name == "users":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise MarkerError(f"{where} must be an int >= 0, got {value!r}")
        return value
    if name == "seed_file":
        if not isinstance(value, (str, os.PathLike)) or not str(value):
            raise MarkerError(f"{where} must be a path (str or PathLike), got {value!r}")
        return str(value)
    if name == "roles":
        roles = (value,) if isinstance(value, str) else value
        if not isinstance(roles, Iterable) or not all(isinstance(r, str) for r in roles):
            raise MarkerError(f"{where} must be a role name or a list of role names")
        return tuple(roles)
    if name == "faults":
        return _validate_faults(value)
    raise AssertionError(name)  # pragma: no cover - keywords are checked first


def _validate_faults(value: Any) -> tuple[Mapping[str, Any], ...]:
    faults = [value] if isinstance(value, Mapping) else value
    if not isinstance(faults, (list, tuple)):
        raise MarkerError(
            "pingone marker faults= must be a dict or a list of dicts, e.g. "
            'faults=[{"endpoint": "token", "kind": "status", "status": 503}]'
        )
    out: list[Mapping[str, Any]] = []
    for i, fault in enumerate(faults):
        if not isinstance(fault, Mapping):
            raise MarkerError(f"pingone marker faults[{i}] must be a dict, not {fault!r}")
        _check_keywords(fault, FAULT_KEYWORDS, f"pingone marker faults[{i}]")
        # endpoint= is checked by the emulator: it also takes resource names ("users" …).
        kind = fault.get("kind", "status")
        if kind not in FAULT_KINDS:
            raise MarkerError(
                f"pingone marker faults[{i}] kind={kind!r} is unknown; use one of "
                f"{', '.join(FAULT_KINDS)}"
            )
        out.append(MappingProxyType(dict(fault)))
    return tuple(out)


def settings_for(item: pytest.Item) -> EmulatorSettings:
    """Merge the ``pingone`` markers of ``item``, closest first; validate every keyword.

    Raises ``MarkerError`` naming the bad keyword and listing the valid ones.
    """
    merged: dict[str, Any] = {}
    for marker in item.iter_markers("pingone"):  # closest node first
        if marker.args:
            raise MarkerError(
                f"pingone marker takes keyword arguments only, got positional {marker.args!r}; "
                f"use {', '.join(k + '=' for k in MARKER_KEYWORDS)}"
            )
        _check_keywords(marker.kwargs, MARKER_KEYWORDS, "pingone marker")
        for name, value in marker.kwargs.items():
            merged.setdefault(name, value)
    validated = {name: _validate_value(name, value) for name, value in merged.items()}
    faults = validated.get("faults", ())
    return EmulatorSettings(values=MappingProxyType(validated), faults=faults)
