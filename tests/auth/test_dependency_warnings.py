"""A dependency's warning during a token fetch or cache access never fails the caller's request.

Users run with ``-W error`` (and so does this suite): a ``DeprecationWarning`` raised by a cache
backend must be logged and the request must go on, in sync and async code alike.
"""

from __future__ import annotations

import asyncio
import logging
import warnings

import httpx
import pytest

from httpx_pingone_worker import MemoryTokenCache, PingOneWorkerAuth, Token
from httpx_pingone_worker.emulator import PingOneEmulator


class WarningCache(MemoryTokenCache):
    """A cache whose every operation warns, as a backend on a deprecated dependency API would."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def _warn(self) -> None:
        self.calls += 1
        warnings.warn("backend: this call is deprecated", DeprecationWarning, stacklevel=2)

    def get(self, key: str) -> Token | None:
        self._warn()
        return super().get(key)

    def set(self, key: str, token: Token) -> None:
        self._warn()
        super().set(key, token)


def _auth(emu: PingOneEmulator, cache: WarningCache) -> PingOneWorkerAuth:
    creds = emu.credentials
    return PingOneWorkerAuth(
        creds.client_id, creds.client_secret, creds.environment_id, cache=cache, clock=emu.clock.now
    )


def test_sync_request_survives_warnings_turned_into_errors(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """With warnings as errors, a warning cache is logged as a miss and the request succeeds."""
    emu = PingOneEmulator()
    cache = WarningCache()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with httpx.Client(auth=_auth(emu, cache), transport=emu.transport()) as client:
            response = client.get(f"{emu.api_base_url}/environments/{emu.environment_id}")
    assert response.status_code == 200
    assert cache.calls >= 2  # both a read and a write reached the backend and warned
    assert any("DeprecationWarning" in r.getMessage() for r in debug_logs.records)
    assert all(r.levelno <= logging.WARNING for r in debug_logs.records)


def test_async_request_survives_warnings_turned_into_errors(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """Same on the async path (the cache has no async twins: its sync methods are used)."""
    emu = PingOneEmulator()
    cache = WarningCache()

    async def main() -> int:
        async with httpx.AsyncClient(auth=_auth(emu, cache), transport=emu.transport()) as client:
            response = await client.get(f"{emu.api_base_url}/environments/{emu.environment_id}")
            return response.status_code

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert asyncio.run(main()) == 200
    assert cache.calls >= 2
    assert any("DeprecationWarning" in r.getMessage() for r in debug_logs.records)
