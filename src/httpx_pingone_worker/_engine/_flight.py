"""`Wakeup` and `Flight`: what threads and tasks wait for (a fetch in flight, a close).

Threads wait on a ``threading.Event``; asyncio and trio tasks register a callback that wakes
their own loop, so one wake-up serves every kind of caller at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from httpx_pingone_worker._core._logging import (
    get_logger,
)
from httpx_pingone_worker._core._token import Token

from ._eventloop import current_async_library

if TYPE_CHECKING:  # pragma: no cover
    import asyncio

__all__ = [
    "Flight",
    "Wakeup",
]

_log = get_logger("token")


class Wakeup:
    """A one-shot wake-up that threads, asyncio tasks and trio tasks can wait for at once.

    `set()` wakes every waiter: threads through a `threading.Event`, tasks through a callback
    that resumes their own event loop (from any thread). `Flight` is one with a result;
    `CloseSignal` (`_lifecycle.py`) is one that `close()` sets.
    """

    __slots__ = ("_callbacks", "_event", "_lock", "done")

    def __init__(self) -> None:
        self.done = False
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def set(self) -> None:
        """Wake every waiter (once; later calls do nothing)."""
        self._settle(None)

    def _settle(self, record: Callable[[], None] | None) -> None:
        """Run ``record`` (it stores a result) and wake every waiter, the first time only."""
        with self._lock:
            if self.done:
                return
            if record is not None:
                record()
            self.done = True
            callbacks, self._callbacks = self._callbacks, []
        self._event.set()
        for callback in callbacks:
            try:
                callback()
            except Exception:  # noqa: BLE001, PERF203 - a dead loop must not break the others
                _log.debug("could not wake a waiter whose event loop is gone")

    def wait(self, timeout: float | None) -> bool:
        """Block the calling thread until done; False on timeout."""
        return self._event.wait(timeout)

    def _add_callback(self, callback: Callable[[], None]) -> bool:
        with self._lock:
            if self.done:
                return False
            self._callbacks.append(callback)
            return True

    def _discard_callback(self, callback: Callable[[], None]) -> None:
        """Forget a waiter's wake-up (it timed out or was cancelled): a long-lived signal
        must not collect one per wait."""
        with self._lock, contextlib.suppress(ValueError):
            self._callbacks.remove(callback)

    async def wait_async(self, timeout: float) -> bool:
        """Wait without blocking the event loop (asyncio or trio, any thread).

        Returns False when ``timeout`` seconds passed first.
        """
        if self.done:
            return True
        if current_async_library() == "trio":
            import trio

            event = trio.Event()
            trio_token = trio.lowlevel.current_trio_token()

            def wake_trio() -> None:
                with contextlib.suppress(trio.RunFinishedError):
                    trio_token.run_sync_soon(event.set)

            if self._add_callback(wake_trio):
                try:
                    with trio.move_on_after(timeout):
                        await event.wait()
                finally:
                    self._discard_callback(wake_trio)
            return self.done
        import asyncio  # only when an async caller waits: the sync path never loads it

        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def resolve() -> None:
            if not future.done():
                future.set_result(None)

        def wake_asyncio() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                loop.call_soon_threadsafe(resolve)

        if self._add_callback(wake_asyncio):
            try:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(future, timeout)
            finally:
                self._discard_callback(wake_asyncio)
        return self.done


class Flight(Wakeup):
    """One in-flight token fetch that other callers can wait for (threads, asyncio, trio)."""

    __slots__ = (
        "abandoned",
        "error",
        "from_cache",
        "generation",
        "refresh",
        "started",
        "token",
    )

    def __init__(self, *, refresh: bool, generation: int = 0) -> None:
        super().__init__()
        self.refresh = refresh
        #: ``time.monotonic()`` when it started: a flight older than the engine's
        #: ``supersede_after`` no longer blocks new callers.
        self.started = time.monotonic()
        #: The engine's invalidation count when it started; ``from_cache`` is set when the
        #: fetch answered with a token read from the (shared) cache.
        self.generation = generation
        self.from_cache = False
        self.token: Token | None = None
        self.error: BaseException | None = None
        self.abandoned = False

    def finish(
        self,
        *,
        token: Token | None = None,
        error: BaseException | None = None,
        abandoned: bool = False,
    ) -> None:
        """Publish the result and wake every waiter (the first result wins)."""

        def record() -> None:
            self.token, self.error, self.abandoned = token, error, abandoned

        self._settle(record)
