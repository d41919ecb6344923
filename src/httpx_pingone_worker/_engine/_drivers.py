"""Sending a token request with an httpx (or httpx2) client, and the standalone drivers.

`send_token_request` / `asend_token_request` send one `SendRequest` of a flow: never
redirected, without the client's event hooks or auth, and the library's errors become a
`TransportFailure` outcome (described by type: their `.request` holds the credentials).
The auth's `Performer` and `run_sync_flow` / `run_async_flow` (the standalone functions: no
cache, no single-flight) use them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from httpx_pingone_worker._core._httplib import (
    HTTPX,
    HttpLib,
    asend_credentialed,
    send_credentialed,
)
from httpx_pingone_worker._core._tls import is_certificate_error
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.oauth._token_request import (
    HttpResult,
    TokenRequest,
    TransportFailure,
)

from ._eventloop import async_sleep
from ._flow import (
    Flow,
    SendRequest,
    Sleep,
)

__all__ = [
    "asend_token_request",
    "http_result",
    "run_async_flow",
    "run_sync_flow",
    "send_token_request",
    "to_httpx_request",
    "transport_failure",
]

Errors = tuple[type[BaseException], ...]


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


def send_token_request(
    client: Any, action: SendRequest, lib: HttpLib, errors: Errors | None = None
) -> tuple[Any, BaseException | None]:
    """Send ``action``'s request with ``client``: ``(outcome, None)``, or ``(None, error)``
    for the caller to throw into its flow. An error of ``errors`` (default: the library's
    HTTP error) is the flow's (an HTTP error becomes a `TransportFailure`); any other
    propagates."""
    caught = errors if errors is not None else (lib.HTTPError,)
    try:
        response = send_credentialed(client, to_httpx_request(action.request, lib))
    except caught as exc:
        if isinstance(exc, lib.HTTPError):
            return transport_failure(exc, lib), None
        return None, exc
    try:
        response.read()
    except lib.HTTPError as exc:  # a body httpx cannot decode, a connection lost while reading
        return transport_failure(exc, lib), None
    except BaseException as exc:  # noqa: BLE001 - the flow decides
        return None, exc
    else:
        return http_result(response), None
    finally:
        response.close()


async def asend_token_request(
    client: Any, action: SendRequest, lib: HttpLib, errors: Errors | None = None
) -> tuple[Any, BaseException | None]:
    """Async `send_token_request`."""
    caught = errors if errors is not None else (lib.HTTPError,)
    try:
        response = await asend_credentialed(client, to_httpx_request(action.request, lib))
    except caught as exc:
        if isinstance(exc, lib.HTTPError):
            return transport_failure(exc, lib), None
        return None, exc
    try:
        await response.aread()
    except lib.HTTPError as exc:
        return transport_failure(exc, lib), None
    except BaseException as exc:  # noqa: BLE001 - the flow decides
        return None, exc
    else:
        return http_result(response), None
    finally:
        await response.aclose()


def run_sync_flow(
    flow: Flow, client: httpx.Client | Any, *, sleep: Callable[[float], None] = time.sleep
) -> Token:
    """Run a token flow to its end with a sync client of httpx (or httpx2): its requests and
    retry sleeps (no cache, no secret provider: those actions are answered with None)."""
    lib = _lib_of(client)
    outcome: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                action = flow.send(outcome) if error is None else flow.throw(error)
            except StopIteration as stop:
                token: Token = stop.value
                return token
            outcome = error = None
            if isinstance(action, SendRequest):
                outcome, error = send_token_request(client, action, lib)
            elif isinstance(action, Sleep):
                sleep(action.seconds)
    finally:
        flow.close()


async def run_async_flow(
    flow: Flow, client: httpx.AsyncClient | Any, *, sleep: Callable[[float], Any] | None = None
) -> Token:
    """Async `run_sync_flow` (asyncio or trio)."""
    lib = _lib_of(client)
    outcome: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                action = flow.send(outcome) if error is None else flow.throw(error)
            except StopIteration as stop:
                token: Token = stop.value
                return token
            outcome = error = None
            if isinstance(action, SendRequest):
                outcome, error = await asend_token_request(client, action, lib)
            elif isinstance(action, Sleep):
                await (sleep or async_sleep)(action.seconds)
    finally:
        flow.close()
