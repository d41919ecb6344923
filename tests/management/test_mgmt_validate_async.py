"""avalidate_worker_credentials (async) against the emulator, on asyncio and trio."""

from __future__ import annotations

from typing import Any

import pytest

from canary import assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    avalidate_worker_credentials,
    validate_worker_credentials,
)
from httpx_pingone_worker.emulator import PingOneEmulator

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run on asyncio and trio."""
    return str(request.param)


async def test_async_validate_all_steps_ok() -> None:
    """Format, token, discovery and probes pass; the report carries the app and the probes."""
    emu = PingOneEmulator(seed=21, users=3)
    report = await avalidate_worker_credentials(
        credentials=emu.credentials, transport=emu.transport(), probes=["users"]
    )
    assert report.ok, report.summary()
    assert [s.name for s in report.steps] == ["format", "token", "discovery", "api_access"]
    assert report.worker_app is not None
    assert report.worker_app.client_id == emu.client_id
    assert report.api_access is not None
    assert report.api_access.allowed == ("users",)
    assert report.token_fingerprint
    assert emu.token_requests == 1


async def test_async_validate_token_step_fails() -> None:
    """A wrong secret fails the token step with invalid_client and sends no API request."""
    emu = PingOneEmulator(seed=22, users=0)
    wrong = ClientCredentials(emu.client_id, "a-plausible-but-wrong-secret-1", emu.environment_id)
    report = await avalidate_worker_credentials(credentials=wrong, transport=emu.transport())
    assert not report.ok
    assert report.failed_step is not None
    assert report.failed_step.name == "token"
    assert report.failed_step.error == "invalid_client"
    assert [r.endpoint for r in emu.requests] == ["token"]
    assert_no_canary(report.summary() + repr(report))


async def test_async_validate_format_step_fails_without_requests() -> None:
    """A non-UUID environment id fails the format step before any request."""
    emu = PingOneEmulator(seed=23, users=0)
    report = await avalidate_worker_credentials(
        emu.client_id, "a-plausible-secret-value-123", "not-a-uuid", transport=emu.transport()
    )
    assert report.failed_step is not None
    assert report.failed_step.name == "format"
    assert "environment_id" in report.failed_step.message
    assert emu.requests == []


async def test_async_validate_discovery_forbidden_is_warning() -> None:
    """A worker that may read users but not applications is valid with a discovery warning."""
    emu = PingOneEmulator(seed=24, users=2)
    creds = emu.add_worker_app(name="reader", roles=("Identity Data Read Only",))
    report = await avalidate_worker_credentials(
        credentials=creds, transport=emu.transport(), probes=["users", "applications"]
    )
    assert report.ok, report.summary()
    step = report.step("discovery")
    assert step is not None
    assert (step.status, step.status_code) == ("warning", 403)
    assert report.api_access is not None
    assert report.api_access.forbidden == ("applications",)


async def test_async_validate_matches_sync_report() -> None:
    """The async and sync validations give the same steps and statuses for the same app."""
    emu = PingOneEmulator(seed=25, users=2)
    creds = emu.add_worker_app(name="no-roles", roles=())
    kwargs: dict[str, Any] = {"credentials": creds, "probes": ["users"]}
    sync = validate_worker_credentials(transport=emu.transport(), **kwargs)
    asynchronous = await avalidate_worker_credentials(transport=emu.transport(), **kwargs)
    shape = [(s.name, s.status, s.status_code) for s in sync.steps]
    assert shape == [(s.name, s.status, s.status_code) for s in asynchronous.steps]
    assert sync.ok == asynchronous.ok
    assert shape[2][1] != "ok"  # a worker without roles is not reported as fine
