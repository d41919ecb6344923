"""In-process adapters: an httpx (or httpx2) transport, sync + async, and a respx router."""

from __future__ import annotations

import functools
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

import httpx

from httpx_pingone_worker._core._httplib import HTTPX, HttpLib
from httpx_pingone_worker._core._regions import Region

from ._http import EmulatorResponse, Responder, raise_action

if TYPE_CHECKING:
    import respx

__all__ = ["EmulatorTransport", "make_router", "transport_class"]

_PINGONE_HOSTS = frozenset(h for r in Region for h in (r.auth_host, r.api_host))


def _to_response(resp: EmulatorResponse, request: Any, lib: HttpLib = HTTPX) -> Any:
    return lib.Response(resp.status, headers=resp.headers, content=resp.body, request=request)


class _TransportCore:
    """The transport's behaviour for any httpx-compatible library (``_lib``)."""

    _lib: ClassVar[HttpLib]

    def __init__(self, emulator: Responder) -> None:
        self.emulator = emulator

    def _check_host(self, request: Any) -> None:
        host = request.url.host
        if host in _PINGONE_HOSTS or self.emulator._serves_host(host, request.url.port):
            return
        raise self._lib.ConnectError(
            f"PingOneEmulator transport does not serve host {host!r} "
            "(it serves auth.pingone.<tld>, api.pingone.<tld> and its own loopback servers)",
            request=request,
        )

    def handle_request(self, request: Any) -> Any:
        """Answer a sync request."""
        import time

        self._check_host(request)
        # The body (a token request's form holds the client secret) is never a local of
        # this frame: an injected fault raised below unwinds through it, and pytest -l
        # prints its locals.
        resp = self.emulator.respond(
            request.method, str(request.url), request.headers, request.read()
        )
        if resp.delay:
            time.sleep(resp.delay)
        raise_action(resp, request.method, str(request.url), self._lib)
        return _to_response(resp, request, self._lib)

    async def handle_async_request(self, request: Any) -> Any:
        """Answer an async request (asyncio or trio)."""
        import anyio

        self._check_host(request)
        resp = self.emulator.respond(  # the body never a local: see handle_request
            request.method, str(request.url), request.headers, await request.aread()
        )
        if resp.delay:
            await anyio.sleep(resp.delay)
        raise_action(resp, request.method, str(request.url), self._lib)
        return _to_response(resp, request, self._lib)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.emulator!r})"


class EmulatorTransport(_TransportCore, httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Serves PingOne's auth/API hosts (every region) and the emulator's loopback servers.

    Usable by ``httpx.Client(transport=...)`` and ``httpx.AsyncClient(transport=...)``
    (``emu.transport(lib=httpx2)`` gives the httpx2 twin, see ``transport_class``).
    A request for any other host raises ``httpx.ConnectError`` naming the host. Injected
    latency sleeps (``time.sleep`` / ``anyio.sleep``); injected connection failures raise
    ``httpx.ConnectError``, timeouts ``httpx.ReadTimeout``.
    """

    _lib = HTTPX

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer a sync request."""
        response: httpx.Response = super().handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer an async request (asyncio or trio)."""
        response: httpx.Response = await super().handle_async_request(request)
        return response


@functools.cache
def transport_class(module: ModuleType) -> type[_TransportCore]:
    """The emulator transport class for ``module`` (``httpx`` or ``httpx2``).

    For httpx2 it subclasses ``httpx2.BaseTransport`` and ``httpx2.AsyncBaseTransport`` and
    raises httpx2's ``ConnectError`` / ``ReadTimeout`` for injected faults.
    """
    lib = HttpLib.from_module(module)
    if lib is HTTPX:
        return EmulatorTransport
    return type(
        "EmulatorTransport",
        (_TransportCore, lib.BaseTransport, lib.AsyncBaseTransport),
        {
            "_lib": lib,
            "__module__": __name__,
            "__qualname__": f"transport_class({lib.name})",
            "__doc__": f"The emulator transport for {lib.name} clients.",
        },
    )


def make_router(emulator: Responder, **kwargs: Any) -> respx.MockRouter:
    """A respx router whose routes send every PingOne host to ``emulator``.

    Latency faults sleep with ``time.sleep`` here (respx side effects are synchronous).
    respx supports httpx only.
    """
    import time

    import respx

    kwargs.setdefault("assert_all_called", False)
    router = respx.MockRouter(**kwargs)

    def side_effect(request: httpx.Request) -> httpx.Response:
        resp = emulator.respond(  # the body never a local: see handle_request
            request.method, str(request.url), request.headers, request.read()
        )
        if resp.delay:
            time.sleep(resp.delay)
        raise_action(resp, request.method, str(request.url))
        response: httpx.Response = _to_response(resp, request)
        return response

    for host in sorted(_PINGONE_HOSTS):
        router.route(host=host, name=f"pingone-emulator:{host}").mock(side_effect=side_effect)
    return router
