"""Which async library runs the current task, decided in one place (asyncio or trio).

Every module that behaves differently on asyncio and trio (the engine's waits and sleeps,
the background refresh jobs, the Redis and file caches) asks `current_async_library()` here
instead of sniffing on its own. Neither library is imported by this module: a library that
is not imported yet cannot be running, so only `sys.modules` is consulted, and the sync
hot path never loads asyncio or trio.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")

__all__ = [
    "current_async_library",
    "current_time",
    "sleep",
    "to_thread",
]


def current_async_library() -> Literal["asyncio", "trio"] | None:
    """`"trio"` inside a trio task, `"asyncio"` with an asyncio loop running in this thread,
    else `None` (plain sync code, or a worker thread of either library)."""
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            trio.lowlevel.current_task()
        except RuntimeError:
            pass
        else:
            return "trio"
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return None
    return "asyncio"


async def sleep(seconds: float) -> None:
    """Sleep on the running event loop (trio's clock under trio, asyncio's otherwise)."""
    if current_async_library() == "trio":
        import trio

        await trio.sleep(seconds)
    else:
        import asyncio

        await asyncio.sleep(seconds)


def current_time() -> float:
    """The running event loop's clock (`trio.current_time()`, `loop.time()`)."""
    if current_async_library() == "trio":
        import trio

        return float(trio.current_time())
    import asyncio

    return asyncio.get_running_loop().time()


async def to_thread(func: Callable[..., _T], *args: Any) -> _T:
    """Run a blocking call in a worker thread; a cancelled caller waits for it to finish
    (the call is never abandoned half done: a file written, a lock released)."""
    if current_async_library() == "trio":
        import trio

        result: _T = await trio.to_thread.run_sync(func, *args)
        return result
    import anyio.to_thread

    return await anyio.to_thread.run_sync(func, *args)
