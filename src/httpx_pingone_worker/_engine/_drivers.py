"""Drivers: perform a flow's actions with an httpx (or httpx2) client, sync or async.

The only I/O of the engine layer; everything they run is decided by the sans-IO flows.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from httpx_pingone_worker._core._httplib import (
    HTTPX,
    HttpLib,
    asend_credentialed,
    send_credentialed,
)
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._tls import is_certificate_error
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.oauth._token_request import (
    HttpResult,
    TokenRequest,
    TransportFailure,
)

from ._eventloop import async_sleep
from ._flow import (
    CacheRead,
    CacheWrite,
    Flow,
    ReloadSecret,
    SendRequest,
    Sleep,
)

__all__ = [
    "FlowDone",
    "adrive_flow",
    "asend_through",
    "drive_flow",
    "http_result",
    "run_async_flow",
    "run_sync_flow",
    "send_through",
    "to_httpx_request",
    "transport_failure",
]


_T = TypeVar("_T")


# --- drivers over an httpx(-compatible) client ------------------------------------------


def to_httpx_request(request: TokenRequest, lib: HttpLib = HTTPX) -> Any:
    """The request object of ``lib`` (default httpx: an ``httpx.Request``)."""
    return lib.Request(
        request.method, request.url, headers=dict(request.headers), content=request.body
    )


def transport_failure(exc: BaseException, lib: HttpLib = HTTPX) -> TransportFailure:
    """Describe a transport exception by type only (messages may hold URLs/data)."""
    return TransportFailure(
        type(exc).__name__, timeout=lib.is_timeout(exc), certificate=is_certificate_error(exc)
    )


def http_result(response: Any) -> HttpResult:
    """The outcome of a sent request. A response reached through a redirect someone else
    followed (a flow driven by a client the auth could not identify) is reported as the
    first redirect itself, so the flow refuses it instead of trusting the final answer."""
    history = getattr(response, "history", None)
    if history:
        first = history[0]
        return HttpResult(first.status_code, dict(first.headers), b"")
    return HttpResult(response.status_code, dict(response.headers), response.content)


def _lib_of(client: object) -> HttpLib:
    try:
        return HttpLib.of(client)
    except TypeError:  # a duck-typed client: assume httpx
        return HTTPX


@dataclass(frozen=True, slots=True)
class FlowDone:
    """Last item of an async driver: the flow's token (async generators cannot return one)."""

    token: Token


def drive_flow(
    flow: Flow,
    lib: HttpLib = HTTPX,
    *,
    cache_get: Callable[[str], Token | None] | None = None,
    cache_set: Callable[[str, Token], None] | None = None,
    reload_secret: Callable[[], str | Secret | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Generator[Any, Any, Token]:
    """Execute a flow's actions, yielding each request of ``lib`` and receiving its response.

    The one sync action dispatcher: inside an auth flow the requests go to httpx, elsewhere
    ``send_through`` sends them with a client. The response is read here; the library's
    error (a transport error, or a body it cannot decode), raised by the read or thrown in at
    the yield, becomes a ``TransportFailure`` for the flow: never raised as is, since its
    ``.request`` holds the credentials. A missing callback answers ``None``.
    """
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            token: Token = stop.value
            return token
        outcome = None
        if isinstance(action, SendRequest):
            try:
                response = yield to_httpx_request(action.request, lib)
                response.read()
            except lib.HTTPError as exc:  # a transport error, or a body httpx cannot decode
                outcome = transport_failure(exc, lib)
            else:
                outcome = http_result(response)
        elif isinstance(action, Sleep):
            sleep(action.seconds)
        elif isinstance(action, CacheRead):
            outcome = cache_get(action.key) if cache_get else None
        elif isinstance(action, CacheWrite):
            if cache_set:
                cache_set(action.key, action.token)
        elif isinstance(action, ReloadSecret):
            outcome = reload_secret() if reload_secret else None


async def adrive_flow(
    flow: Flow,
    lib: HttpLib = HTTPX,
    *,
    cache_get: Callable[[str], Awaitable[Token | None]] | None = None,
    cache_set: Callable[[str, Token], Awaitable[None]] | None = None,
    reload_secret: Callable[[], Awaitable[str | Secret | None]] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = async_sleep,
) -> AsyncGenerator[Any, Any]:
    """Async twin of ``drive_flow``: yields requests, then one ``FlowDone``."""
    outcome: Any = None
    while True:
        try:
            action = flow.send(outcome)
        except StopIteration as stop:
            yield FlowDone(stop.value)
            return
        outcome = None
        if isinstance(action, SendRequest):
            try:
                response = yield to_httpx_request(action.request, lib)
                await response.aread()
            except lib.HTTPError as exc:  # a transport error, or a body httpx cannot decode
                outcome = transport_failure(exc, lib)
            else:
                outcome = http_result(response)
        elif isinstance(action, Sleep):
            await sleep(action.seconds)
        elif isinstance(action, CacheRead):
            outcome = await cache_get(action.key) if cache_get else None
        elif isinstance(action, CacheWrite):
            if cache_set:
                await cache_set(action.key, action.token)
        elif isinstance(action, ReloadSecret):
            outcome = await reload_secret() if reload_secret else None


def send_through(
    get_client: Callable[[], Any],
    gen: Generator[Any, Any, _T],
    lib: HttpLib = HTTPX,
    *,
    errors: tuple[type[BaseException], ...] | None = None,
) -> _T:
    """Run a request-yielding generator (e.g. ``drive_flow``) with a sync client.

    ``get_client`` is called when the first request is due. An exception of ``errors``
    (default: the HTTP error of ``lib``) raised by ``get_client`` or the send is thrown
    into the generator; each response is closed once the generator has taken it. Every
    request carries a credential, so it is sent with ``send_credentialed``: the client's
    transport and timeout, no redirect, no event hooks, no client auth.
    """
    caught = errors if errors is not None else (lib.HTTPError,)
    try:
        try:
            request = next(gen)
        except StopIteration as stop:
            first: _T = stop.value
            return first
        while True:
            failure: BaseException | None = None
            try:
                response = send_credentialed(get_client(), request)
            except caught as exc:
                failure = exc
            if failure is not None:
                # Thrown outside the except block: an error the generator raises must not
                # carry the transport error (whose .request holds the secret) as __context__.
                try:
                    request = gen.throw(failure)
                except StopIteration as stop:
                    thrown: _T = stop.value
                    return thrown
                finally:
                    failure = None
                continue
            try:
                request = gen.send(response)
            except StopIteration as stop:
                result: _T = stop.value
                return result
            finally:
                response.close()
    finally:
        # Whatever ended the loop (an event hook raising, a closed client, KeyboardInterrupt):
        # close the generator now, so a lead suspended in it abandons its flight at once
        # instead of when the exception (and its traceback) is collected.
        gen.close()


async def asend_through(
    client: Any | None,
    agen: AsyncGenerator[Any, Any],
    lib: HttpLib = HTTPX,
    *,
    errors: tuple[type[BaseException], ...] | None = None,
) -> Token:
    """Run a request-yielding async generator (e.g. ``adrive_flow``) with an async client.

    Returns the token of the first ``FlowDone`` it yields. With ``client`` None, a
    short-lived client of ``lib`` is made when the first request is due (closed here). An
    exception of ``errors`` (default: the HTTP error of ``lib``) raised by the send is
    thrown into the generator, which is closed at the end. Requests are sent with
    ``asend_credentialed`` (no redirect, no event hooks, no client auth).
    """
    caught = errors if errors is not None else (lib.HTTPError,)
    own: Any = None
    try:
        response: Any = None
        error: BaseException | None = None
        while True:
            if error is not None:
                item = await agen.athrow(error)
                error = None
            else:
                try:
                    item = await agen.asend(response)
                finally:
                    if response is not None:
                        await response.aclose()
                response = None
            if isinstance(item, FlowDone):
                return item.token
            if client is None:
                own = client = lib.AsyncClient(timeout=10.0)
            try:
                response = await asend_credentialed(client, item)
            except caught as exc:
                error = exc
    finally:
        await agen.aclose()
        if own is not None:
            await own.aclose()


def run_sync_flow(
    flow: Flow,
    client: httpx.Client | Any,
    *,
    cache_get: Callable[[str], Token | None] | None = None,
    cache_set: Callable[[str, Token], None] | None = None,
    reload_secret: Callable[[], str | Secret | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Token:
    """Execute a flow's actions with a sync client of httpx (or httpx2)."""
    lib = _lib_of(client)
    gen = drive_flow(
        flow,
        lib,
        cache_get=cache_get,
        cache_set=cache_set,
        reload_secret=reload_secret,
        sleep=sleep,
    )
    return send_through(lambda: client, gen, lib)


async def run_async_flow(
    flow: Flow,
    client: httpx.AsyncClient | Any,
    *,
    sleep: Callable[[float], Any] | None = None,
) -> Token:
    """Execute a flow's HTTP and sleep actions with an async client (no cache)."""
    lib = _lib_of(client)
    return await asend_through(client, adrive_flow(flow, lib, sleep=sleep or async_sleep), lib)
