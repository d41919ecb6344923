"""Worker-app discovery, API access probes and end-to-end credential validation.

- :func:`discover_worker_app`: the app's configuration and its role assignments with role
  names, logged as ``[🔍 DISCOVERY] found worker app name=… status=…``;
- :func:`test_api_access`: one cheap read per endpoint (``limit=1`` where the endpoint
  pages), each reported as allowed / forbidden / error and logged as
  ``[🧪 API-TEST] endpoint=… status=…``;
- :func:`validate_worker_credentials`: format check → token request → discovery, as a
  report that names the step that failed and why.

The plans and outcome mapping are pure; the sync and async shells only send the reads.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import httpx

from ._errors import ConfigurationError, ManagementApiError, PingOneError
from ._logging import EventKind, log_event
from ._management import (
    Application,
    AsyncPingOneClient,
    PingOneClient,
    Role,
    RoleAssignment,
)
from ._regions import Region, endpoints_for
from ._secrets import Secret

if TYPE_CHECKING:  # pragma: no cover
    from ._token import Token

__all__ = [
    "DEFAULT_PROBES",
    "ApiAccessReport",
    "ProbeResult",
    "RoleGrant",
    "ValidationReport",
    "ValidationStep",
    "WorkerApp",
    "adiscover_worker_app",
    "atest_api_access",
    "avalidate_worker_credentials",
    "discover_worker_app",
    "test_api_access",
    "validate_worker_credentials",
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


StepStatus = Literal["ok", "failed", "skipped", "warning"]


@dataclass(frozen=True, slots=True)
class ValidationStep:
    """One step of :func:`validate_worker_credentials`."""

    name: str
    status: StepStatus
    message: str
    error_type: str | None = None
    error: str | None = None
    status_code: int | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Result of :func:`validate_worker_credentials`: ``ok`` and every step taken."""

    ok: bool
    steps: tuple[ValidationStep, ...]
    client_id: str | None
    environment_id: str | None
    region: Region | None
    token_fingerprint: str | None = None
    granted_scopes: frozenset[str] = frozenset()
    worker_app: WorkerApp | None = None
    api_access: ApiAccessReport | None = None

    @property
    def failed_step(self) -> ValidationStep | None:
        """The first step that failed, if any."""
        return next((s for s in self.steps if s.status == "failed"), None)

    def step(self, name: str) -> ValidationStep | None:
        """The step called ``name`` (``format``, ``token``, ``discovery``, ``api_access``)."""
        return next((s for s in self.steps if s.name == name), None)

    def summary(self) -> str:
        """A few lines for humans (no secrets: ids, statuses and hints only)."""
        lines = [f"credentials {'valid' if self.ok else 'NOT valid'} for client {self.client_id}"]
        for s in self.steps:
            line = f"  {s.name}: {s.status} — {s.message}"
            if s.hint:
                line += f" (hint: {s.hint})"
            lines.append(line)
        return "\n".join(lines)


# --- steps: the logic is written once as generators; thin sync/async shells do the I/O ------


@dataclass(frozen=True, slots=True)
class _Call:
    """Ask the shell to call ``name(*args, **kwargs)`` on its API client (awaited when async)."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Token:
    """Ask the shell for a client-credentials token (``request_client_credentials_token``)."""

    kwargs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _OpenApi:
    """Ask the shell to open the API client (closed when the steps finish)."""

    kwargs: Mapping[str, Any]


_Op = _Call | _Token | _OpenApi
_R = TypeVar("_R")


def _drive(steps: Generator[_Op, Any, _R], perform: Callable[[_Op], Any]) -> _R:
    """Run ``steps``, answering each op with ``perform(op)`` or throwing what it raised."""
    reply: Any = None
    error: PingOneError | None = None
    while True:
        try:
            op = steps.send(reply) if error is None else steps.throw(error)
        except StopIteration as done:
            result: _R = done.value
            return result
        try:
            reply, error = perform(op), None
        except PingOneError as exc:  # handed to the steps, which decide
            reply, error = None, exc


async def _adrive(steps: Generator[_Op, Any, _R], perform: Callable[[_Op], Awaitable[Any]]) -> _R:
    """Async :func:`_drive`."""
    reply: Any = None
    error: PingOneError | None = None
    while True:
        try:
            op = steps.send(reply) if error is None else steps.throw(error)
        except StopIteration as done:
            result: _R = done.value
            return result
        try:
            reply, error = await perform(op), None
        except PingOneError as exc:  # handed to the steps, which decide
            reply, error = None, exc


def _on(client: PingOneClient) -> Callable[[_Op], Any]:
    def perform(op: _Op) -> Any:
        assert isinstance(op, _Call)  # noqa: S101 - discovery and probes only call the client
        return getattr(client, op.name)(*op.args, **op.kwargs)

    return perform


def _aon(client: AsyncPingOneClient) -> Callable[[_Op], Awaitable[Any]]:
    async def perform(op: _Op) -> Any:
        assert isinstance(op, _Call)  # noqa: S101 - discovery and probes only call the client
        return await getattr(client, op.name)(*op.args, **op.kwargs)

    return perform


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


def _discovery_steps(
    client: PingOneClient | AsyncPingOneClient, client_id: str | None, environment_id: str | None
) -> Generator[_Op, Any, WorkerApp]:
    cid = _client_id_of(client, client_id)
    env = {"environment_id": environment_id}
    try:
        app: Application = yield _Call("get_application", (cid,), env)
    except ManagementApiError as exc:
        if exc.status_code != 404:
            raise
        found = _find_by_client_id((yield _Call("list_applications", (), env)), cid)
        if found is None:
            raise
        app = found
    assignments: list[RoleAssignment] = yield _Call("list_role_assignments", (app.id,), env)
    roles: dict[str, Role] = {}
    for ra in assignments:
        if ra.role_id and ra.role_id not in roles:
            try:
                roles[ra.role_id] = yield _Call("get_role", (ra.role_id,))
            except ManagementApiError:
                continue  # the id is still reported; the name is a nicety
    return _worker_app(app, cid, assignments, roles)


def discover_worker_app(
    client: PingOneClient, client_id: str | None = None, *, environment_id: str | None = None
) -> WorkerApp:
    """Read the worker app ``client_id`` and its role assignments (with role names).

    The app id equals the client id for PingOne apps; for the rare imported app with a
    custom ``clientId`` the environment's applications are searched. A role whose name
    cannot be read keeps ``name=None``. API errors raise :class:`ManagementApiError`
    (a 403 names the role needed to read applications).
    """
    return _drive(_discovery_steps(client, client_id, environment_id), _on(client))


async def adiscover_worker_app(
    client: AsyncPingOneClient, client_id: str | None = None, *, environment_id: str | None = None
) -> WorkerApp:
    """Async :func:`discover_worker_app`."""
    return await _adrive(_discovery_steps(client, client_id, environment_id), _aon(client))


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


def _probe_steps(probes: Iterable[str] | str | None) -> Generator[_Op, Any, list[ProbeResult]]:
    results: list[ProbeResult] = []
    for name, path, params in _probe_plan(probes):
        results.append((yield from _probe_step(name, path, params)))
    return results


def _probe_step(
    name: str, path: str, params: dict[str, Any] | None
) -> Generator[_Op, Any, ProbeResult]:
    try:
        yield _Call("get", (path,), {"params": params})
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
    results = _drive(_probe_steps(probes), _on(client))
    return ApiAccessReport(tuple(results), client.environment_id)


async def atest_api_access(
    client: AsyncPingOneClient, probes: Iterable[str] | str | None = None
) -> ApiAccessReport:
    """Async :func:`test_api_access`."""
    results = await _adrive(_probe_steps(probes), _aon(client))
    return ApiAccessReport(tuple(results), client.environment_id)


# pytest would collect these public ``test_*`` functions when a test module imports them.
test_api_access.__test__ = False  # type: ignore[attr-defined]
atest_api_access.__test__ = False  # type: ignore[attr-defined]


# --- end-to-end validation ----------------------------------------------------------------


def _failed(name: str, exc: PingOneError) -> ValidationStep:
    return ValidationStep(
        name=name,
        status="failed",
        message=exc.message,
        error_type=type(exc).__name__,
        error=exc.error or exc.code,
        status_code=exc.status_code,
        hint=exc.hint,
    )


def _validation_steps(  # noqa: PLR0915 - one linear block per validation step
    client_id: str | None,
    client_secret: str | Secret | None,
    environment_id: str | None,
    *,
    region: Region | str | None,
    credentials: Any,
    scopes: str | Iterable[str] | None,
    auth_method: str | None,
    private_key: str | bytes | Secret | None,
    key_id: str | None,
    auth_base_url: str | None,
    api_base_url: str | None,
    discover: bool,
    probes: Iterable[str] | None,
    allow_loopback_http: bool,
) -> Generator[_Op, Any, ValidationReport]:
    """The steps of :func:`validate_worker_credentials`; the shells perform the I/O ops."""
    from ._config import validate_credential_format
    from ._credentials import ClientCredentials

    if credentials is not None:
        if not isinstance(credentials, ClientCredentials):
            raise ConfigurationError(
                f"credentials must be ClientCredentials, not {type(credentials).__name__}"
            )
        client_id = client_id or credentials.client_id
        client_secret = client_secret or credentials.client_secret
        environment_id = environment_id or credentials.environment_id
        region = region or credentials.region
        scopes = scopes if scopes is not None else credentials.scopes
        auth_method = auth_method or credentials.auth_method
        private_key = private_key or credentials.private_key
        key_id = key_id or credentials.key_id
    method = auth_method or "client_secret_basic"
    steps: list[ValidationStep] = []
    reg: Region | None = None
    base: dict[str, Any] = {"client_id": client_id, "environment_id": environment_id}

    def report(ok: bool, **extra: Any) -> ValidationReport:
        return ValidationReport(ok=ok, steps=tuple(steps), region=reg, **base, **extra)

    # 1. format
    try:
        reg = Region.parse(region)
    except ConfigurationError as exc:
        steps.append(_failed("format", exc))
        return report(False)
    secret_for_check = (
        client_secret if method != "private_key_jwt" or client_secret else "not-used-by-pkjwt"
    )
    problems = validate_credential_format(client_id, secret_for_check, environment_id)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    if errors:
        steps.append(
            ValidationStep(
                "format",
                "failed",
                "; ".join(f"{p.field} {p.message}" for p in errors),
                error_type="CredentialFormatError",
                hint=errors[0].hint,
            )
        )
        return report(False)
    steps.append(
        ValidationStep(
            "format",
            "warning" if warnings else "ok",
            "; ".join(f"{p.field} {p.message}" for p in warnings) or "ids and secret look right",
        )
    )
    assert client_id is not None  # noqa: S101 - checked by the format step
    assert environment_id is not None  # noqa: S101

    # 2. token
    try:
        endpoints = endpoints_for(
            environment_id,
            reg,
            auth_base_url=auth_base_url,
            api_base_url=api_base_url,
            allow_loopback_http=allow_loopback_http,
        )
    except ConfigurationError as exc:
        steps.append(_failed("token", exc))
        return report(False)
    try:
        token: Token = yield _Token(
            {
                "endpoint": endpoints.token,
                "client_id": client_id,
                "client_secret": client_secret,
                "scopes": scopes,
                "auth_method": method,
                "private_key": private_key,
                "key_id": key_id,
                "allow_loopback_http": allow_loopback_http,
            }
        )
    except PingOneError as exc:
        steps.append(_failed("token", exc))
        return report(False)
    steps.append(
        ValidationStep(
            "token",
            "ok",
            f"token received (expires in {token.expires_in}s, fingerprint {token.fingerprint})",
        )
    )
    extra: dict[str, Any] = {
        "token_fingerprint": token.fingerprint,
        "granted_scopes": token.scopes,
    }

    # 3. discovery and 4. probes, with the token just received
    if not discover and probes is None:
        steps.append(ValidationStep("discovery", "skipped", "discover=False"))
        return report(True, **extra)
    api = yield _OpenApi(
        {
            "token": token,
            "environment_id": environment_id,
            "region": reg,
            "api_base_url": endpoints.api_base_url,
            "allow_loopback_http": allow_loopback_http,
            "rate_limiter": False,
        }
    )
    if discover:
        try:
            app = yield from _discovery_steps(api, client_id, None)
        except ManagementApiError as exc:
            status: StepStatus = "warning" if exc.status_code == 403 else "failed"
            steps.append(
                ValidationStep(
                    "discovery",
                    status,
                    "the token works but the app cannot read its own configuration"
                    if status == "warning"
                    else exc.message,
                    error_type=type(exc).__name__,
                    error=exc.code,
                    status_code=exc.status_code,
                    hint=exc.hint,
                )
            )
            if status == "failed":
                return report(False, **extra)
        else:
            extra["worker_app"] = app
            problems_found = []
            if app.enabled is False:
                problems_found.append("the app is disabled")
            if app.type is not None and not app.is_worker:
                problems_found.append(f"the app type is {app.type}, not WORKER")
            if not app.roles:
                problems_found.append("the app has no role assignments")
            steps.append(
                ValidationStep(
                    "discovery",
                    "warning" if problems_found else "ok",
                    "; ".join(problems_found)
                    or f"worker app {app.name!r} ({app.status}) with roles "
                    f"{', '.join(app.role_names)}",
                    hint="assign a role (e.g. Identity Data Read Only) to the app"
                    if not app.roles
                    else None,
                )
            )
    if probes is not None:
        access = ApiAccessReport(tuple((yield from _probe_steps(probes))), api.environment_id)
        extra["api_access"] = access
        steps.append(
            ValidationStep(
                "api_access",
                "ok" if access.all_allowed else "warning",
                f"allowed: {', '.join(access.allowed) or 'none'}; forbidden: "
                f"{', '.join(access.forbidden) or 'none'}; errors: "
                f"{', '.join(access.errors) or 'none'}",
            )
        )
    return report(True, **extra)


def validate_worker_credentials(
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    environment_id: str | None = None,
    *,
    region: Region | str | None = None,
    credentials: Any = None,
    scopes: str | Iterable[str] | None = None,
    auth_method: str | None = None,
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    auth_base_url: str | None = None,
    api_base_url: str | None = None,
    transport: httpx.BaseTransport | None = None,
    discover: bool = True,
    probes: Iterable[str] | None = None,
    allow_loopback_http: bool = False,
    timeout: float = 10.0,
) -> ValidationReport:
    """Check worker credentials end to end and say exactly which step failed and why.

    Steps: ``format`` (ids are UUIDs, the secret is plausible), ``token`` (a
    client-credentials request), ``discovery`` (the app and its roles, when the app may
    read them; a 403 there is a warning, not a failure: the credentials work) and, when
    ``probes`` are given, ``api_access``. Pass ``credentials=ClientCredentials(...)`` or
    the individual values. Never raises for a failing step.
    """
    steps = _validation_steps(**_step_inputs(locals()))  # first: locals() = the arguments
    from ._token_endpoint import request_client_credentials_token

    with contextlib.ExitStack() as stack:
        api: list[PingOneClient] = []

        def perform(op: _Op) -> Any:
            if isinstance(op, _Token):
                http = stack.enter_context(httpx.Client(transport=transport, timeout=timeout))
                return request_client_credentials_token(**op.kwargs, client=http)
            if isinstance(op, _OpenApi):
                api.append(stack.enter_context(PingOneClient(transport=transport, **op.kwargs)))
                return api[-1]
            return _on(api[-1])(op)

        return _drive(steps, perform)


async def avalidate_worker_credentials(
    client_id: str | None = None,
    client_secret: str | Secret | None = None,
    environment_id: str | None = None,
    *,
    region: Region | str | None = None,
    credentials: Any = None,
    scopes: str | Iterable[str] | None = None,
    auth_method: str | None = None,
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    auth_base_url: str | None = None,
    api_base_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    discover: bool = True,
    probes: Iterable[str] | None = None,
    allow_loopback_http: bool = False,
    timeout: float = 10.0,
) -> ValidationReport:
    """Async :func:`validate_worker_credentials` (the same steps; asyncio or trio)."""
    steps = _validation_steps(**_step_inputs(locals()))  # first: locals() = the arguments
    from ._token_endpoint import arequest_client_credentials_token

    async with contextlib.AsyncExitStack() as stack:
        api: list[AsyncPingOneClient] = []

        async def perform(op: _Op) -> Any:
            if isinstance(op, _Token):
                http = httpx.AsyncClient(transport=transport, timeout=timeout)
                await stack.enter_async_context(http)
                return await arequest_client_credentials_token(**op.kwargs, client=http)
            if isinstance(op, _OpenApi):
                client = AsyncPingOneClient(transport=transport, **op.kwargs)
                api.append(await stack.enter_async_context(client))
                return client
            return await _aon(api[-1])(op)

        return await _adrive(steps, perform)


def _step_inputs(values: Mapping[str, Any]) -> dict[str, Any]:
    """A shell's arguments minus what only the shell uses (its transport and timeout)."""
    return {k: v for k, v in values.items() if k not in {"transport", "timeout"}}
