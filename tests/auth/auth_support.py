"""Helpers of the auth tests: a fake clock, a scriptable token server, a plugin recorder.

The behaviour tests run once per HTTP library (httpx and httpx2) through the ``lib`` fixture
(``conftest.py``): a :class:`Lib` gives the library's names (``lib.Client``,
``lib.MockTransport``, ``lib.Response`` …) and its ``PingOneWorkerAuth`` as ``lib.WorkerAuth``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import httpx

from httpx_pingone_worker import PingOneWorkerAuth, hookimpl

ENV_ID = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
SECRET = "test-secret-value-123456"
TOKEN_URL = f"https://auth.pingone.com/{ENV_ID}/as/token"
API_URL = f"https://api.pingone.com/v1/environments/{ENV_ID}"


@dataclass(frozen=True)
class Lib:
    """An HTTP library under test: its module's names plus its ``PingOneWorkerAuth``."""

    name: str
    module: ModuleType
    WorkerAuth: type[Any]

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.module, attr)

    def __repr__(self) -> str:
        return self.name


HTTPX = Lib("httpx", httpx, PingOneWorkerAuth)


def load_lib(name: str) -> Lib | None:
    """The :class:`Lib` called ``name``, or ``None`` when that library is not installed."""
    if name == "httpx":
        return HTTPX
    try:
        import httpx2

        from httpx_pingone_worker import httpx2 as adapter
    except ImportError:
        return None
    return Lib("httpx2", httpx2, adapter.PingOneWorkerAuth)


class FakeClock:
    """A settable epoch clock; ``sleep`` advances it and records the delay."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` (bounded; for thread tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.001)
    return predicate()


async def await_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Async :func:`wait_until` (asyncio or trio)."""
    import anyio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await anyio.sleep(0.001)
    return predicate()


@dataclass
class TokenServer:
    """A MockTransport handler of ``lib``: the token endpoint plus an echoing API.

    ``script`` holds queued token endpoint answers (a Response, an exception to raise, or
    ``None`` for a fresh token); when empty, fresh tokens are issued. ``gate`` (when not
    set) blocks token answers until released. ``api`` decides API answers.
    """

    lib: Any = HTTPX
    lifetime: int = 3600
    scope: str | None = None
    script: list[Any] = field(default_factory=list)
    token_requests: list[Any] = field(default_factory=list)
    api_requests: list[Any] = field(default_factory=list)
    api_responses: int = 0
    issued: list[str] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    token_prefix: str = "tok"
    api: Callable[[Any], Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    def _next_token_answer(self, request: Any) -> Any:
        with self.lock:
            self.token_requests.append(request)
            item = self.script.pop(0) if self.script else None
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, self.lib.Response):
                return item
            value = f"{self.token_prefix}-{len(self.issued) + 1}-abcdefghijkl"
            self.issued.append(value)
        body: dict[str, Any] = {
            "access_token": value,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
        }
        if self.scope is not None:
            body["scope"] = self.scope
        return self.lib.Response(200, json=body, headers={"Correlation-Id": "corr-1"})

    def _api_answer(self, request: Any) -> Any:
        with self.lock:
            self.api_requests.append(request)
        response = (
            self.api(request)
            if self.api is not None
            else self.lib.Response(200, json={"auth": request.headers.get("authorization")})
        )
        with self.lock:
            self.api_responses += 1
        return response

    def handler(self, request: Any) -> Any:
        """Sync handler (blocks on ``gate`` for token requests)."""
        if request.url.path.endswith("/as/token"):
            # Read the answer first so the request is counted before blocking.
            answer = self._next_token_answer(request)
            assert self.gate.wait(10), "gate never released"
            return answer
        return self._api_answer(request)

    async def ahandler(self, request: Any) -> Any:
        """Async handler (asyncio or trio): yields while ``gate`` is closed."""
        if request.url.path.endswith("/as/token"):
            answer = self._next_token_answer(request)
            assert await await_until(self.gate.is_set), "gate never released"
            return answer
        return self._api_answer(request)

    def transport(self) -> Any:
        return self.lib.MockTransport(self.handler)

    def atransport(self) -> Any:
        return self.lib.MockTransport(self.ahandler)

    @property
    def token_count(self) -> int:
        return len(self.token_requests)


def oauth_error(
    status: int, error: str, description: str = "", lib: Any = HTTPX, **headers: str
) -> Any:
    """An RFC 6749 error response of ``lib``."""
    body = {"error": error}
    if description:
        body["error_description"] = description
    return lib.Response(status, content=json.dumps(body).encode(), headers=headers)


class EventRecorder:
    """A pluggy plugin recording every ``pingone_log_event``."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    @hookimpl
    def pingone_log_event(self, event: Any) -> None:
        self.events.append(event)

    def lines(self) -> list[str]:
        return [e.line for e in self.events]
