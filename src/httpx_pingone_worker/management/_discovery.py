"""Worker-app discovery: the app's configuration and its role assignments with role names.

``discover_worker_app`` logs ``[🔍 DISCOVERY] found worker app name=… status=…``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError, ManagementApiError
from httpx_pingone_worker._core._logging import EventKind, log_event

from ._actions import CallClient, ClientAction, arun_on, run_on
from ._async import AsyncPingOneClient
from ._models import Application, Role, RoleAssignment
from ._sync import PingOneClient

__all__ = [
    "RoleGrant",
    "WorkerApp",
    "adiscover_worker_app",
    "discover_worker_app",
]

# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """One role assignment of the app: role name (when readable), role id and scope."""

    name: str | None
    role_id: str
    scope_type: str | None
    scope_id: str | None
    assignment_id: str | None = None
    read_only: bool | None = None


@dataclass(frozen=True, slots=True)
class WorkerApp:
    """What PingOne says about a worker app (``application`` keeps the typed + raw record)."""

    id: str
    client_id: str
    name: str | None
    description: str | None
    enabled: bool | None
    type: str | None
    protocol: str | None
    token_endpoint_auth_method: str | None
    grant_types: tuple[str, ...]
    environment_id: str | None
    roles: tuple[RoleGrant, ...]
    application: Application | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> str:
        """``enabled`` or ``disabled``."""
        return "enabled" if self.enabled else "disabled"

    @property
    def role_names(self) -> tuple[str, ...]:
        """Names of the assigned roles (ids where the name could not be read)."""
        return tuple(r.name or r.role_id for r in self.roles)

    @property
    def is_worker(self) -> bool:
        """True for ``type == "WORKER"``."""
        return self.type == "WORKER"


# --- discovery -----------------------------------------------------------------------------


def _client_id_of(client: PingOneClient | AsyncPingOneClient, client_id: str | None) -> str:
    cid = client_id or getattr(client.auth, "client_id", None)
    if not isinstance(cid, str) or not cid.strip():
        raise ConfigurationError(
            "discover_worker_app needs the worker app's client id",
            hint="pass client_id=, or use a client whose auth is a PingOneWorkerAuth",
        )
    return cid.strip()


def _worker_app(
    app: Application, client_id: str, assignments: list[RoleAssignment], roles: Mapping[str, Role]
) -> WorkerApp:
    grants = tuple(
        RoleGrant(
            name=roles[ra.role_id].name if ra.role_id and ra.role_id in roles else None,
            role_id=ra.role_id or "",
            scope_type=ra.scope_type,
            scope_id=ra.scope_id,
            assignment_id=ra.id or None,
            read_only=ra.read_only,
        )
        for ra in assignments
    )
    worker = WorkerApp(
        id=app.id,
        client_id=app.client_id or client_id,
        name=app.name,
        description=app.description,
        enabled=app.enabled,
        type=app.type,
        protocol=app.protocol,
        token_endpoint_auth_method=app.token_endpoint_auth_method,
        grant_types=app.grant_types,
        environment_id=app.environment_id,
        roles=grants,
        application=app,
    )
    log_event(
        EventKind.DISCOVERY,
        "found worker app",
        logger="discovery",
        name=worker.name or worker.id,
        status=worker.status,
        roles=",".join(worker.role_names) or "none",
    )
    return worker


def _find_by_client_id(apps: Iterable[Application], client_id: str) -> Application | None:
    return next((a for a in apps if client_id in (a.client_id, a.id)), None)


def _discovery_flow(
    client: PingOneClient | AsyncPingOneClient, client_id: str | None, environment_id: str | None
) -> Generator[ClientAction, Any, WorkerApp]:
    cid = _client_id_of(client, client_id)
    env = {"environment_id": environment_id}
    try:
        app: Application = yield CallClient("get_application", (cid,), env)
    except ManagementApiError as exc:
        if exc.status_code != 404:
            raise
        found = _find_by_client_id((yield CallClient("list_applications", (), env)), cid)
        if found is None:
            raise
        app = found
    assignments: list[RoleAssignment] = yield CallClient("list_role_assignments", (app.id,), env)
    roles: dict[str, Role] = {}
    for ra in assignments:
        if ra.role_id and ra.role_id not in roles:
            try:
                roles[ra.role_id] = yield CallClient("get_role", (ra.role_id,))
            except ManagementApiError:
                continue  # the id is still reported; the name is a nicety
    return _worker_app(app, cid, assignments, roles)


def discover_worker_app(
    client: PingOneClient, client_id: str | None = None, *, environment_id: str | None = None
) -> WorkerApp:
    """Read the worker app ``client_id`` and its role assignments (with role names).

    The app id equals the client id for PingOne apps; for the rare imported app with a
    custom ``clientId`` the environment's applications are searched. A role whose name
    cannot be read keeps ``name=None``. API errors raise ``ManagementApiError``
    (a 403 names the role needed to read applications).
    """
    return run_on(_discovery_flow(client, client_id, environment_id), client)


async def adiscover_worker_app(
    client: AsyncPingOneClient, client_id: str | None = None, *, environment_id: str | None = None
) -> WorkerApp:
    """Async [`discover_worker_app`][httpx_pingone_worker.discover_worker_app]."""
    return await arun_on(_discovery_flow(client, client_id, environment_id), client)
