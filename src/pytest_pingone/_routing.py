"""Emulator mode: serve PingOne hosts from the emulator through respx, refuse the rest.

Imported only when a fixture needs it (respx and the emulator are not loaded by the
plugin module itself).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from httpx_pingone_worker.emulator import PingOneEmulator

__all__ = ["PINGONE_HOST_RE", "start_routing", "stop_routing"]

#: Every PingOne auth/API host of every region (custom domains are not PingOne hosts).
PINGONE_HOST_RE = re.compile(
    r"^(?:[a-z0-9-]+\.)*pingone\.(?:com\.au|com|eu|ca|sg|asia)$", re.IGNORECASE
)


def _refuse(request: httpx.Request) -> httpx.Response:
    # pytest.fail raises an OutcomeException (a BaseException): library retries and
    # `except Exception` in the code under test cannot swallow it.
    pytest.fail(
        f"pytest-pingone refused {request.method} {request.url.scheme}://{request.url.host}"
        f"{request.url.path}: a real PingOne host that this test's emulator does not serve "
        "(emulator mode never talks to real PingOne). Set the test's region with "
        "@pytest.mark.pingone(region=...), or run with --pingone-allow-passthrough "
        "(ini pingone_allow_passthrough = true) to let it through.",
        pytrace=False,
    )


def _served_hosts(emulator: PingOneEmulator) -> frozenset[str]:
    # Read per request: a test may add an environment in another region mid-way.
    return frozenset(h for r in emulator.regions for h in (r.auth_host, r.api_host))


def start_routing(emulator: PingOneEmulator, *, allow_passthrough: bool) -> Any:
    """Start routing httpx traffic for the test.

    - auth/API hosts of the regions the emulator holds → the emulator (its transport,
      so injected faults, latency and connection errors behave as documented);
    - any other PingOne host (another region, another PingOne service) → refused with a
      message that names the fix, or sent to the network with ``allow_passthrough``;
    - every other host → the network as usual (not ours to judge).

    Returns the started respx router; hand it to :func:`stop_routing`.
    """
    import respx

    transport = emulator.transport()

    def pingone_host(request: httpx.Request) -> httpx.Request | httpx.Response:
        if request.url.host.lower() in _served_hosts(emulator):
            return transport.handle_request(request)
        if allow_passthrough:
            return request  # respx: a returned request passes through
        _refuse(request)
        raise AssertionError("unreachable")  # pragma: no cover - _refuse raises

    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=False)
    router.route(host__regex=PINGONE_HOST_RE.pattern, name="pytest-pingone").mock(
        side_effect=pingone_host
    )
    router.route(name="pytest-pingone:other-hosts").pass_through()
    router.start()
    return router


def stop_routing(router: Any) -> None:
    """Stop a router started by :func:`start_routing` (no assert-all-called check)."""
    router.stop(quiet=True)
