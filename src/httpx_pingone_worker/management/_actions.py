"""Actions on a whole API client, and the drivers that perform them.

Discovery, probes, validation, the typed lookups and the idempotent writes are written once,
as flows: generators that yield an *action* (call this method of the API client, request a
token, open a client), receive its outcome, or have the library error it raised thrown in.
`drive` / `adrive` are the thin sync and async drivers; `run_on` / `arun_on` drive a flow
whose only action is `CallClient` against one client. So `PingOneClient` and
`AsyncPingOneClient` decide the same way.

One API call inside a client is a flow too (`_SansIO.exchange`, with its own actions:
`_SendRequest`, `_AcquirePermit`, `_CloseResponse`, `_Sleep`), performed by the client's
`_send`; a `CallClient` runs a whole client method, which runs such calls.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

from httpx_pingone_worker._core._errors import PingOneError

__all__ = [
    "CallClient",
    "ClientAction",
    "OpenClient",
    "RequestToken",
    "acalls_on",
    "adrive",
    "arun_on",
    "calls_on",
    "drive",
    "run_on",
]

_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class CallClient:
    """Call ``name(*args, **kwargs)`` on the API client (awaited by the async driver); the
    outcome is what it returns."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RequestToken:
    """Request a client-credentials token (``request_client_credentials_token(**kwargs)``)."""

    kwargs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class OpenClient:
    """Open an API client (``PingOneClient(**kwargs)``, closed when the flow ends); the
    outcome is the client."""

    kwargs: Mapping[str, Any]


#: What a flow on a client yields.
ClientAction: TypeAlias = CallClient | RequestToken | OpenClient


def drive(flow: Generator[ClientAction, Any, _R], perform: Callable[[ClientAction], Any]) -> _R:
    """Run ``flow``, answering each action with ``perform(action)`` or throwing what it raised
    (a library error: the flow decides)."""
    outcome: Any = None
    error: PingOneError | None = None
    while True:
        try:
            action = flow.send(outcome) if error is None else flow.throw(error)
        except StopIteration as done:
            result: _R = done.value
            return result
        try:
            outcome, error = perform(action), None
        except PingOneError as exc:  # handed to the flow, which decides
            outcome, error = None, exc


async def adrive(
    flow: Generator[ClientAction, Any, _R], perform: Callable[[ClientAction], Awaitable[Any]]
) -> _R:
    """Async `drive`."""
    outcome: Any = None
    error: PingOneError | None = None
    while True:
        try:
            action = flow.send(outcome) if error is None else flow.throw(error)
        except StopIteration as done:
            result: _R = done.value
            return result
        try:
            outcome, error = await perform(action), None
        except PingOneError as exc:  # handed to the flow, which decides
            outcome, error = None, exc


def calls_on(client: Any) -> Callable[[ClientAction], Any]:
    """Perform `CallClient` actions on a sync client."""

    def perform(action: ClientAction) -> Any:
        assert isinstance(action, CallClient)  # noqa: S101 - these flows only call the client
        return getattr(client, action.name)(*action.args, **action.kwargs)

    return perform


def acalls_on(client: Any) -> Callable[[ClientAction], Awaitable[Any]]:
    """Perform `CallClient` actions on an async client."""

    async def perform(action: ClientAction) -> Any:
        assert isinstance(action, CallClient)  # noqa: S101 - these flows only call the client
        call: Callable[..., Awaitable[Any]] = getattr(client, action.name)
        return await call(*action.args, **action.kwargs)

    return perform


def run_on(flow: Generator[ClientAction, Any, _R], client: Any) -> _R:
    """Run a flow of `CallClient` actions against a sync client."""
    return drive(flow, calls_on(client))


async def arun_on(flow: Generator[ClientAction, Any, _R], client: Any) -> _R:
    """Run a flow of `CallClient` actions against an async client."""
    return await adrive(flow, acalls_on(client))
