"""Discovery, probes and validation are written once, as generators of steps.

A step asks for I/O (call the API client, get a token, open a client); ``_drive`` and
``_adrive`` are the thin sync and async shells that perform them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from httpx_pingone_worker._core._errors import PingOneError

from ._async import AsyncPingOneClient
from ._sync import PingOneClient

# --- steps: the logic is written once as generators; thin sync/async shells do the I/O ------


@dataclass(frozen=True, slots=True)
class _Call:
    """Ask the shell to call ``name(*args, **kwargs)`` on its API client (awaited when async)."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _RequestToken:
    """Ask the shell for a client-credentials token (``request_client_credentials_token``)."""

    kwargs: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _OpenApi:
    """Ask the shell to open the API client (closed when the steps finish)."""

    kwargs: Mapping[str, Any]


_Op = _Call | _RequestToken | _OpenApi
_R = TypeVar("_R")


def _drive(steps: Generator[_Op, Any, _R], perform: Callable[[_Op], Any]) -> _R:
    """Run ``steps``, answering each op with ``perform(op)`` or throwing what it raised."""
    reply: Any = None
    error: PingOneError | None = None
    while True:
        try:
            op = steps.send(reply) if error is None else steps.throw(error)
        except StopIteration as done:
            result: _R = done.value
            return result
        try:
            reply, error = perform(op), None
        except PingOneError as exc:  # handed to the steps, which decide
            reply, error = None, exc


async def _adrive(steps: Generator[_Op, Any, _R], perform: Callable[[_Op], Awaitable[Any]]) -> _R:
    """Async ``_drive``."""
    reply: Any = None
    error: PingOneError | None = None
    while True:
        try:
            op = steps.send(reply) if error is None else steps.throw(error)
        except StopIteration as done:
            result: _R = done.value
            return result
        try:
            reply, error = await perform(op), None
        except PingOneError as exc:  # handed to the steps, which decide
            reply, error = None, exc


def _on(client: PingOneClient) -> Callable[[_Op], Any]:
    def perform(op: _Op) -> Any:
        assert isinstance(op, _Call)  # noqa: S101 - discovery and probes only call the client
        return getattr(client, op.name)(*op.args, **op.kwargs)

    return perform


def _aon(client: AsyncPingOneClient) -> Callable[[_Op], Awaitable[Any]]:
    async def perform(op: _Op) -> Any:
        assert isinstance(op, _Call)  # noqa: S101 - discovery and probes only call the client
        return await getattr(client, op.name)(*op.args, **op.kwargs)

    return perform
