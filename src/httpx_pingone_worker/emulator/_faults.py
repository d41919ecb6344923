"""Injected faults: latency, error statuses, 429s, dropped connections, timeouts, bad bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from httpx_pingone_worker._core._errors import EmulatorError

__all__ = ["ENDPOINTS", "FAULT_KINDS", "Fault", "FaultKind", "make_fault"]

FaultKind = Literal["status", "latency", "connect", "timeout", "malformed", "rate_limit"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
#: Endpoint names a fault can target. "api" is every Management API call; a resource name
#: (``users`` …) only that resource; "*" everything except the control endpoints.
ENDPOINTS: tuple[str, ...] = (
    "*",
    "token",
    "jwks",
    "discovery",
    "introspect",
    "revoke",
    "api",
    "environments",
    "applications",
    "roleAssignments",
    "roles",
    "users",
    "groups",
    "memberOfGroups",
    "populations",
    "secret",
    "billOfMaterials",
    "organizations",
    "licenses",
    "signOnPolicies",
    "passwordPolicies",
    "resources",
)


@dataclass(slots=True)
class Fault:
    """One injected fault; ``remaining`` is ``None`` for "every request from now on"."""

    endpoint: str
    kind: FaultKind
    remaining: int | None
    status: int
    retry_after: float | None
    delay: float

    def matches(self, endpoint: str, resource: str | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.endpoint in ("*", endpoint):
            return True
        return resource is not None and self.endpoint == resource


#: Longest injected delay or Retry-After (one hour).
MAX_FAULT_SECONDS = 3600.0


def _seconds_ok(value: object) -> bool:
    """A finite number in 0..MAX_FAULT_SECONDS (NaN, inf and 1e400 are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return 0 <= value <= MAX_FAULT_SECONDS


def make_fault(
    *,
    endpoint: str,
    kind: str,
    count: int | None,
    status: int,
    retry_after: float | None,
    delay: float,
) -> Fault:
    """Validate arguments of ``inject_fault`` and build a ``Fault``."""
    if endpoint not in ENDPOINTS:
        raise EmulatorError(
            f"unknown fault endpoint {endpoint!r}", hint=f"use one of {', '.join(ENDPOINTS)}"
        )
    if kind not in FAULT_KINDS:
        raise EmulatorError(
            f"unknown fault kind {kind!r}", hint=f"use one of {', '.join(FAULT_KINDS)}"
        )
    if count is not None and (not isinstance(count, int) or count < 1):
        raise EmulatorError(
            f"fault count must be a positive int or None, got {count!r}",
            hint="count=N fails the next N matching requests; None fails all of them",
        )
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise EmulatorError(f"fault status must be an HTTP status code, got {status!r}")
    if kind == "status" and not 400 <= status <= 599:
        raise EmulatorError(
            f"a 'status' fault must answer an error status, got {status}",
            hint="use 400..599 (e.g. 503); to delay a normal answer use kind='latency'",
        )
    if retry_after is not None and not _seconds_ok(retry_after):
        raise EmulatorError(
            f"retry_after must be a finite number of seconds from 0 to {MAX_FAULT_SECONDS:g}",
            hint="None sends no Retry-After header",
        )
    if not _seconds_ok(delay):
        raise EmulatorError(
            f"delay must be a finite number of seconds from 0 to {MAX_FAULT_SECONDS:g}"
        )
    if kind == "rate_limit":
        status = 429
        retry_after = 1 if retry_after is None else retry_after
    return Fault(
        endpoint=endpoint,
        kind=kind,  # type: ignore[arg-type]
        remaining=count,
        status=status,
        retry_after=retry_after,
        delay=float(delay),
    )
