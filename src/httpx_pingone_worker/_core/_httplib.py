"""The HTTP library an adapter speaks: httpx, or an API-compatible fork such as httpx2.

Everything above the sans-IO token engine that touches an HTTP library (request and
response classes, exception classes, client and transport base classes) goes through an
``HttpLib`` built from the library's module, so one implementation serves both::

    HttpLib.from_module(httpx)    # the default everywhere
    HttpLib.from_module(httpx2)   # httpx_pingone_worker.httpx2

Nothing here imports httpx2: a library is only ever described from a module the caller
already imported.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import httpx

__all__ = [
    "HTTPX",
    "HttpLib",
    "RequestLike",
    "ResponseLike",
    "asend_credentialed",
    "send_credentialed",
]


class RequestLike(Protocol):
    """What an auth flow uses of a library's request."""

    @property
    def headers(self) -> MutableMapping[str, str]: ...


class ResponseLike(Protocol):
    """What an auth flow uses of a library's response."""

    @property
    def status_code(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def content(self) -> bytes: ...
    def read(self) -> bytes: ...
    async def aread(self) -> bytes: ...


_REQUIRED = (
    "Auth",
    "Request",
    "Response",
    "Client",
    "AsyncClient",
    "ByteStream",
    "Timeout",
    "HTTPError",
    "TransportError",
    "TimeoutException",
    "ConnectError",
    "ReadTimeout",
    "BaseTransport",
    "AsyncBaseTransport",
    "MockTransport",
)


@dataclass(frozen=True, slots=True, eq=False)
class HttpLib:
    """The parts of an httpx-compatible library the adapters use (built by ``from_module``)."""

    name: str
    module: ModuleType
    Auth: type[Any]
    Request: type[Any]
    Response: type[Any]
    Client: type[Any]
    AsyncClient: type[Any]
    ByteStream: type[Any]
    Timeout: type[Any]
    HTTPError: type[Exception]
    TransportError: type[Exception]
    TimeoutException: type[Exception]
    ConnectError: type[Any]
    ReadTimeout: type[Any]
    BaseTransport: type[Any]
    AsyncBaseTransport: type[Any]
    MockTransport: type[Any]

    @staticmethod
    def from_module(module: ModuleType) -> HttpLib:
        """Describe ``module`` (``httpx`` or ``httpx2``); one shared object per module."""
        if not isinstance(module, ModuleType):
            raise TypeError(
                f"HttpLib.from_module() needs a module such as httpx or httpx2, "
                f"not {type(module).__name__}"
            )
        name = module.__name__
        with _LOCK:
            known = _LIBS.get(name)
            if known is not None and known.module is module:
                return known
            missing = [attr for attr in _REQUIRED if not hasattr(module, attr)]
            if missing:
                raise TypeError(
                    f"module {name!r} is not httpx-compatible: it lacks {', '.join(missing)}"
                )
            lib = HttpLib(name, module, *(getattr(module, attr) for attr in _REQUIRED))
            _LIBS[name] = lib
            return lib

    @staticmethod
    def of(obj: object) -> HttpLib:
        """The library ``obj`` (a client, auth, request, response or transport) belongs to.

        Raises ``TypeError`` when ``obj`` is from neither httpx nor a loaded fork.
        """
        kind = type(obj)
        known = _BY_TYPE.get(kind)
        if known is not None and sys.modules.get(known.name) is known.module:
            return known  # the answer for this class, its library still the one loaded
        for cls in kind.__mro__:
            root = cls.__module__.partition(".")[0]
            module = sys.modules.get(root)
            if module is None or not all(hasattr(module, a) for a in _REQUIRED):
                continue
            lib = HttpLib.from_module(module)
            if isinstance(obj, _families(lib)):
                _BY_TYPE[kind] = lib
                return lib
        raise TypeError(f"{type(obj).__name__} is not an object of httpx or httpx2")

    def replayable(self, request: Any) -> bool:
        """A request can be resent when its body is in memory (bytes, form, JSON, or read)."""
        return isinstance(request.stream, self.ByteStream)

    def is_timeout(self, exc: BaseException) -> bool:
        """Whether ``exc`` is this library's timeout exception."""
        return isinstance(exc, self.TimeoutException)

    @staticmethod
    def errors_of(client: object) -> type[Exception]:
        """The base exception (``HTTPError``) of ``client``'s library; httpx's for others."""
        try:
            return HttpLib.of(client).HTTPError
        except TypeError:
            return HTTPX.HTTPError

    def __repr__(self) -> str:
        return f"HttpLib({self.name})"


def _families(lib: HttpLib) -> tuple[type[Any], ...]:
    return (
        lib.Client,
        lib.AsyncClient,
        lib.Auth,
        lib.Request,
        lib.Response,
        lib.BaseTransport,
        lib.AsyncBaseTransport,
    )


def _is_client(client: Any) -> bool:
    """True for a real (sync or async) client of httpx or a loaded fork such as httpx2."""
    try:
        lib = HttpLib.of(client)
    except TypeError:
        return False
    return isinstance(client, (lib.Client, lib.AsyncClient))


def _single(client: Any) -> Any:
    """The client's one-request sender, ``_send_single_request`` (httpx 0.18+, httpx2).

    It sends through the transport the client picks for the URL (mounts, proxies, TLS,
    respx and ``MockTransport``) and does nothing else: no auth, no event hooks, no redirect.
    Called with the client's state checked and its timeout set, as ``send()`` would.
    """
    single = getattr(client, "_send_single_request", None)
    if not callable(single):
        return None
    if client.is_closed:  # what the client's own send() raises
        raise RuntimeError("Cannot send a request, as the client has been closed.")
    return single


def _with_timeout(client: Any, request: Any) -> Any:
    if "timeout" not in request.extensions:  # what send() adds: the client's timeout
        request.extensions = {**request.extensions, "timeout": client.timeout.as_dict()}
    return request


def send_credentialed(client: Any, request: Any) -> Any:
    """Send a request that carries a credential with a sync ``client``, exactly once.

    The request goes through the client's transport (its proxies, TLS settings and mocks)
    with its timeout, but never follows a redirect (whatever ``follow_redirects`` says), runs
    none of the client's event hooks (a body-logging hook would see the secret) and never
    carries the client's own auth. The response is not read. A duck-typed client is asked
    with a plain ``send(request)``: what it does is its own business.
    """
    if not _is_client(client):
        return client.send(request)
    single = _single(client)
    if single is None:  # a client without the private sender: still no redirect, no auth
        return client.send(request, auth=None, follow_redirects=False)
    return single(_with_timeout(client, request))


async def asend_credentialed(client: Any, request: Any) -> Any:
    """Async twin of ``send_credentialed``."""
    if not _is_client(client):
        return await client.send(request)
    single = _single(client)
    if single is None:
        return await client.send(request, auth=None, follow_redirects=False)
    return await single(_with_timeout(client, request))


_LOCK = threading.Lock()
_LIBS: dict[str, HttpLib] = {}
#: `HttpLib.of`'s answers by the object's class (checked against `sys.modules` on use).
_BY_TYPE: dict[type, HttpLib] = {}

HTTPX = HttpLib.from_module(httpx)
"""The default library."""
