"""In-process adapters: an httpx transport (sync + async) and a respx router."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx

from httpx_pingone_worker._regions import Region

from ._emulator import _raise_action

if TYPE_CHECKING:
    import respx

    from ._emulator import PingOneEmulator
    from ._handler import EmulatorResponse

__all__ = ["EmulatorTransport", "make_router"]

_PINGONE_HOSTS = frozenset(h for r in Region for h in (r.auth_host, r.api_host))


def _to_response(resp: EmulatorResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(resp.status, headers=resp.headers, content=resp.body, request=request)


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves PingOne's auth/API hosts (every region) and the emulator's loopback servers.

    Usable by ``httpx.Client(transport=...)`` and ``httpx.AsyncClient(transport=...)``.
    A request for any other host raises ``httpx.ConnectError`` naming the host. Injected
    latency sleeps (``time.sleep`` / ``anyio.sleep``); injected connection failures raise
    ``httpx.ConnectError``, timeouts ``httpx.ReadTimeout``.
    """

    def __init__(self, emulator: PingOneEmulator) -> None:
        self.emulator = emulator

    def _check_host(self, request: httpx.Request) -> None:
        host = request.url.host
        if host in _PINGONE_HOSTS or self.emulator._serves_host(host, request.url.port):
            return
        raise httpx.ConnectError(
            f"PingOneEmulator transport does not serve host {host!r} "
            "(it serves auth.pingone.<tld>, api.pingone.<tld> and its own loopback servers)",
            request=request,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a sync request."""
        import time

        self._check_host(request)
        body = request.read()
        resp = self.emulator.respond(request.method, str(request.url), request.headers, body)
        if resp.delay:
            time.sleep(resp.delay)
        _raise_action(resp, request.method, str(request.url))
        return _to_response(resp, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer an async request (asyncio or trio)."""
        import anyio

        self._check_host(request)
        body = await request.aread()
        resp = self.emulator.respond(request.method, str(request.url), request.headers, body)
        if resp.delay:
            await anyio.sleep(resp.delay)
        _raise_action(resp, request.method, str(request.url))
        return _to_response(resp, request)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"EmulatorTransport({self.emulator!r})"


def make_router(emulator: PingOneEmulator, **kwargs: Any) -> respx.MockRouter:
    """A respx router whose routes send every PingOne host to ``emulator``.

    Latency faults sleep with ``time.sleep`` here (respx side effects are synchronous).
    """
    import time

    import respx

    kwargs.setdefault("assert_all_called", False)
    router = respx.MockRouter(**kwargs)

    def side_effect(request: httpx.Request) -> httpx.Response:
        body = request.read()
        resp = emulator.respond(request.method, str(request.url), request.headers, body)
        if resp.delay:
            time.sleep(resp.delay)
        _raise_action(resp, request.method, str(request.url))
        return _to_response(resp, request)

    for host in sorted(_PINGONE_HOSTS):
        router.route(host=host, name=f"pingone-emulator:{host}").mock(side_effect=side_effect)
    return router
