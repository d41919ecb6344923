"""Emulator mode: serve PingOne hosts from the emulator, refuse the rest.

httpx's own transports (`httpx.HTTPTransport` / `httpx.AsyncHTTPTransport`, whatever client
they belong to) are patched once per session, the first time a test asks for the emulator, and
restored when the session ends; between tests the patch only looks at the host and passes the
request on. Each test hands its emulator to the `PingOneRouting` (`activate`) and takes it back
(`deactivate`): that costs nothing, where starting a mock router per test cost more than the
rest of a small test. Imported only when a fixture needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from httpx_pingone_worker.emulator import PingOneEmulator

__all__ = ["PINGONE_HOST_RE", "PingOneRouting", "routing_for"]

#: Every PingOne auth/API host of every region (custom domains are not PingOne hosts).
PINGONE_HOST_RE = re.compile(
    r"^(?:[a-z0-9-]+\.)*pingone\.(?:com\.au|com|eu|ca|sg|asia)$", re.IGNORECASE
)

_ROUTING_KEY = pytest.StashKey["PingOneRouting"]()


def _refuse(request: httpx.Request) -> None:
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


class PingOneRouting:
    """Routes httpx traffic of the active test:

    - auth/API hosts of the regions the emulator holds → the emulator (its transport, so
      injected faults, latency and connection errors behave as documented);
    - any other PingOne host (another region, another PingOne service) → refused with a
      message that names the fix, or sent to the network with ``allow_passthrough``;
    - every other host, and everything while no test is active → the network as usual.
    """

    def __init__(self, *, allow_passthrough: bool) -> None:
        self.allow_passthrough = allow_passthrough
        self.emulator: PingOneEmulator | None = None
        self._transport: Any = None
        self._undo: list[Callable[[], None]] = []

    # which requests are ours -----------------------------------------------------------
    def _served_hosts(self) -> frozenset[str]:
        # Read per request: a test may add an environment in another region mid-way.
        assert self.emulator is not None  # noqa: S101 - callers check
        return frozenset(h for r in self.emulator.regions for h in (r.auth_host, r.api_host))

    def claims(self, request: httpx.Request) -> bool:
        """True when the active test's routing answers ``request`` (serves or refuses it)."""
        if self.emulator is None:
            return False
        host = request.url.host
        if not PINGONE_HOST_RE.match(host):
            return False
        if host.lower() in self._served_hosts():
            return True
        if self.allow_passthrough:
            return False
        _refuse(request)
        raise AssertionError("unreachable")  # pragma: no cover - _refuse raises

    def gate(self, request: httpx.Request) -> httpx.Request | httpx.Response:
        """The emulator's answer to ``request``; the request itself when it may pass through
        (``allow_passthrough``); a test failure for a PingOne host the emulator does not serve."""
        if self.claims(request):
            response: httpx.Response = self._transport.handle_request(request)
            return response
        return request

    # per test --------------------------------------------------------------------------
    def activate(self, emulator: PingOneEmulator) -> None:
        """Serve ``emulator``'s hosts until ``deactivate``."""
        self.emulator = emulator
        self._transport = emulator.transport()

    def deactivate(self) -> None:
        """Stop serving: PingOne hosts go to the network again (as without the plugin)."""
        self.emulator = None
        self._transport = None

    # per session -----------------------------------------------------------------------
    def install(self) -> None:
        """Patch httpx's transports (undone by ``uninstall``)."""
        import httpx

        routing = self
        sync_send = httpx.HTTPTransport.handle_request
        async_send = httpx.AsyncHTTPTransport.handle_async_request

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> Any:
            if routing.claims(request):
                return routing._transport.handle_request(request)
            return sync_send(transport, request)

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> Any:
            if routing.claims(request):
                return await routing._transport.handle_async_request(request)
            return await async_send(transport, request)

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]
        httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign,assignment]

        def undo() -> None:
            httpx.HTTPTransport.handle_request = sync_send  # type: ignore[method-assign]
            httpx.AsyncHTTPTransport.handle_async_request = async_send  # type: ignore[method-assign]

        self._undo.append(undo)

    def uninstall(self) -> None:
        """Restore httpx's transports."""
        self.deactivate()
        while self._undo:
            self._undo.pop()()


def routing_for(config: pytest.Config, *, allow_passthrough: bool) -> PingOneRouting:
    """The session's routing, installed on first use and uninstalled when pytest ends."""
    try:
        return config.stash[_ROUTING_KEY]
    except KeyError:
        pass
    routing = PingOneRouting(allow_passthrough=allow_passthrough)
    routing.install()
    config.add_cleanup(routing.uninstall)
    config.stash[_ROUTING_KEY] = routing
    return routing
