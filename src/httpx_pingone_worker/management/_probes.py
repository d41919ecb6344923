"""API access probes: one cheap read per endpoint, reported as allowed / forbidden / error.

``test_api_access`` reads with ``limit=1`` where the endpoint pages and logs
``[🧪 API-TEST] endpoint=… status=…`` per probe. The plan and outcome mapping are pure.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from httpx_pingone_worker._core._errors import ConfigurationError, ManagementApiError
from httpx_pingone_worker._core._logging import EventKind, log_event

from ._actions import CallClient, ClientAction, arun_on, run_on
from ._async import AsyncPingOneClient
from ._sync import PingOneClient

__all__ = [
    "DEFAULT_PROBES",
    "KNOWN_PROBES",
    "ApiAccessReport",
    "Outcome",
    "ProbeResult",
    "atest_api_access",
    "test_api_access",
]

#: name → (path relative to the API base, query parameters). ``/applications`` and
#: ``/roles`` take no paging parameters.
KNOWN_PROBES: dict[str, tuple[str, dict[str, Any] | None]] = {
    "users": ("/environments/{env}/users", {"limit": 1}),
    "groups": ("/environments/{env}/groups", {"limit": 1}),
    "populations": ("/environments/{env}/populations", {"limit": 1}),
    "applications": ("/environments/{env}/applications", None),
    "roles": ("/roles", None),
    "environment": ("/environments/{env}", None),
}
DEFAULT_PROBES: tuple[str, ...] = ("users", "groups", "applications", "populations", "roles")
_ID_SEGMENT = re.compile(r"^[0-9a-fA-F-]{16,}$")
_UNPAGED = {"applications", "roles", "roleAssignments", "environments"}

Outcome = Literal["allowed", "forbidden", "error"]


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """The outcome of one probe read."""

    endpoint: str
    allowed: bool
    status_code: int | None
    code: str | None
    outcome: Outcome = "allowed"
    path: str = ""
    correlation_id: str | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class ApiAccessReport:
    """Every probe's result, in the order asked."""

    results: tuple[ProbeResult, ...]
    environment_id: str | None = None

    @property
    def allowed(self) -> tuple[str, ...]:
        """Endpoints the app may read."""
        return tuple(r.endpoint for r in self.results if r.outcome == "allowed")

    @property
    def forbidden(self) -> tuple[str, ...]:
        """Endpoints answered with 403."""
        return tuple(r.endpoint for r in self.results if r.outcome == "forbidden")

    @property
    def errors(self) -> tuple[str, ...]:
        """Endpoints that failed otherwise (404, 5xx, network …)."""
        return tuple(r.endpoint for r in self.results if r.outcome == "error")

    @property
    def all_allowed(self) -> bool:
        """True when every probe was allowed."""
        return all(r.allowed for r in self.results)

    def __getitem__(self, endpoint: str) -> ProbeResult:
        for r in self.results:
            if r.endpoint == endpoint:
                return r
        raise KeyError(endpoint)


# --- probes --------------------------------------------------------------------------------


def _probe_plan(
    probes: Iterable[str] | str | None,
) -> list[tuple[str, str, dict[str, Any] | None]]:
    if probes is None:
        names: list[str] = list(DEFAULT_PROBES)
    elif isinstance(probes, str):
        names = [probes]
    else:
        names = list(probes)
    plan: list[tuple[str, str, dict[str, Any] | None]] = []
    for raw in names:
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigurationError(
                "each probe must be a known name or a path",
                hint=f"known names: {', '.join(KNOWN_PROBES)}; "
                "or a path like /environments/{env}/x",
            )
        name = raw.strip()
        if name in KNOWN_PROBES:
            path, params = KNOWN_PROBES[name]
            plan.append((name, path, params))
        elif name.startswith("/"):
            last = name.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            paged = not _ID_SEGMENT.match(last) and last not in _UNPAGED and "?" not in name
            plan.append((name, name, {"limit": 1} if paged else None))
        else:
            raise ConfigurationError(
                f"unknown probe {name!r}",
                hint=f"use one of {', '.join(KNOWN_PROBES)} or a path starting with '/'",
            )
    return plan


def _probe_result(name: str, path: str, exc: Exception | None) -> ProbeResult:
    if exc is None:
        result = ProbeResult(name, True, 200, None, "allowed", path)
    elif isinstance(exc, ManagementApiError):
        forbidden = exc.status_code == 403
        result = ProbeResult(
            name,
            False,
            exc.status_code,
            exc.code,
            "forbidden" if forbidden else "error",
            path,
            exc.correlation_id,
            exc.hint,
        )
    else:
        result = ProbeResult(name, False, None, type(exc).__name__, "error", path)
    log_event(
        EventKind.API_TEST,
        "probe",
        logger="discovery",
        endpoint=name,
        status=result.status_code if result.status_code is not None else "error",
        outcome=result.outcome,
        code=result.code or "-",
    )
    return result


def _probe_flow(
    probes: Iterable[str] | str | None,
) -> Generator[ClientAction, Any, list[ProbeResult]]:
    results: list[ProbeResult] = []
    for name, path, params in _probe_plan(probes):
        results.append((yield from _probe_one(name, path, params)))
    return results


def _probe_one(
    name: str, path: str, params: dict[str, Any] | None
) -> Generator[ClientAction, Any, ProbeResult]:
    try:
        yield CallClient("get", (path,), {"params": params})
    except ManagementApiError as exc:
        return _probe_result(name, path, exc)
    return _probe_result(name, path, None)


def test_api_access(
    client: PingOneClient,
    probes: Iterable[str] | str | None = None,  # noqa: PT028 - a library function, not a test
) -> ApiAccessReport:
    """Probe what the client's token may read: one cheap GET per endpoint.

    ``probes`` are names (``users``, ``groups``, ``applications``, ``populations``,
    ``roles``, ``environment``) or paths relative to the API base (``{env}`` templated).
    Paged endpoints are read with ``limit=1``. Every probe runs; none raises for a 4xx/5xx.
    """
    results = run_on(_probe_flow(probes), client)
    return ApiAccessReport(tuple(results), client.environment_id)


async def atest_api_access(
    client: AsyncPingOneClient, probes: Iterable[str] | str | None = None
) -> ApiAccessReport:
    """Async [`test_api_access`][httpx_pingone_worker.test_api_access]."""
    results = await arun_on(_probe_flow(probes), client)
    return ApiAccessReport(tuple(results), client.environment_id)


# pytest would collect these public ``test_*`` functions when a test module imports them.
test_api_access.__test__ = False  # type: ignore[attr-defined]
atest_api_access.__test__ = False  # type: ignore[attr-defined]
