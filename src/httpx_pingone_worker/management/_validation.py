"""End-to-end credential validation: format check → token request → discovery → probes.

``validate_worker_credentials`` returns a report that names the step that failed and
why; it never raises for a failing step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import httpx

from httpx_pingone_worker._core._errors import ConfigurationError, ManagementApiError, PingOneError
from httpx_pingone_worker._core._regions import Region, endpoints_for
from httpx_pingone_worker._core._secrets import Secret

if TYPE_CHECKING:  # pragma: no cover
    from httpx_pingone_worker._core._token import Token

from ._actions import (
    ClientAction,
    OpenClient,
    RequestToken,
    acalls_on,
    adrive,
    calls_on,
    drive,
)
from ._async import AsyncPingOneClient
from ._discovery import WorkerApp, _discovery_flow
from ._probes import ApiAccessReport, _probe_flow
from ._sync import PingOneClient

__all__ = [
    "StepStatus",
    "ValidationReport",
    "ValidationStep",
    "avalidate_worker_credentials",
    "validate_worker_credentials",
]

StepStatus = Literal["ok", "failed", "skipped", "warning"]


@dataclass(frozen=True, slots=True)
class ValidationStep:
    """One step of ``validate_worker_credentials``."""

    name: str
    status: StepStatus
    message: str
    error_type: str | None = None
    error: str | None = None
    status_code: int | None = None
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Result of ``validate_worker_credentials``: ``ok`` and every step taken."""

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


def _validation_flow(  # noqa: PLR0915 - one linear block per validation step
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
) -> Generator[ClientAction, Any, ValidationReport]:
    """``validate_worker_credentials`` as a flow (its steps are the report's checks); the
    shells perform its actions (request a token, open a client, call it)."""
    from httpx_pingone_worker.credentials._credentials import ClientCredentials
    from httpx_pingone_worker.credentials._format import validate_credential_format

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
        token: Token = yield RequestToken(
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
    api = yield OpenClient(
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
            app = yield from _discovery_flow(api, client_id, None)
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
        access = ApiAccessReport(tuple((yield from _probe_flow(probes))), api.environment_id)
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
    flow = _validation_flow(**_flow_inputs(locals()))  # first: locals() = the arguments
    from httpx_pingone_worker._engine._standalone import request_client_credentials_token

    with contextlib.ExitStack() as stack:
        api: list[PingOneClient] = []

        def perform(action: ClientAction) -> Any:
            if isinstance(action, RequestToken):
                http = stack.enter_context(httpx.Client(transport=transport, timeout=timeout))
                return request_client_credentials_token(**action.kwargs, client=http)
            if isinstance(action, OpenClient):
                api.append(stack.enter_context(PingOneClient(transport=transport, **action.kwargs)))
                return api[-1]
            return calls_on(api[-1])(action)

        return drive(flow, perform)


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
    """Async ``validate_worker_credentials`` (the same steps; asyncio or trio)."""
    flow = _validation_flow(**_flow_inputs(locals()))  # first: locals() = the arguments
    from httpx_pingone_worker._engine._standalone import arequest_client_credentials_token

    async with contextlib.AsyncExitStack() as stack:
        api: list[AsyncPingOneClient] = []

        async def perform(action: ClientAction) -> Any:
            if isinstance(action, RequestToken):
                http = httpx.AsyncClient(transport=transport, timeout=timeout)
                await stack.enter_async_context(http)
                return await arequest_client_credentials_token(**action.kwargs, client=http)
            if isinstance(action, OpenClient):
                client = AsyncPingOneClient(transport=transport, **action.kwargs)
                api.append(await stack.enter_async_context(client))
                return client
            return await acalls_on(api[-1])(action)

        return await adrive(flow, perform)


def _flow_inputs(values: Mapping[str, Any]) -> dict[str, Any]:
    """A shell's arguments minus what only the shell uses (its transport and timeout)."""
    return {k: v for k, v in values.items() if k not in {"transport", "timeout"}}
