"""The running event loop's primitives (asyncio or trio), imported only when an async flow runs.

Which library runs is decided in `_core/_asynclib.py` (re-exported here for the engine);
asyncio and trio are imported inside the functions: the sync hot path never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from httpx_pingone_worker._core._asynclib import current_async_library
from httpx_pingone_worker._core._asynclib import sleep as async_sleep

__all__ = [
    "async_sleep",
    "current_async_library",
    "run_in_thread",
]


async def run_in_thread(func: Callable[[], Any]) -> Any:
    """Run a blocking callable in a worker thread of the running loop (asyncio or trio);
    on asyncio a cancelled caller returns at once and the call finishes on its own."""
    if current_async_library() == "trio":
        import trio

        return await trio.to_thread.run_sync(func)
    import asyncio

    return await asyncio.to_thread(func)
