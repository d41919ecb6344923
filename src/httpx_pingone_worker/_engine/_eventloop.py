"""The running event loop's primitives (asyncio or trio), imported only when an async flow runs.

asyncio and trio are imported inside the functions: the sync hot path never loads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = [
    "async_sleep",
    "current_async_library",
    "run_in_thread",
]


def current_async_library() -> str:
    """``"asyncio"`` or ``"trio"`` (via sniffio when installed)."""
    try:
        import sniffio
    except ImportError:  # httpx 0.28 and httpx2 no longer pull it in; trio always does
        return "asyncio"
    return sniffio.current_async_library()


async def async_sleep(seconds: float) -> None:
    """Sleep on the running event loop (asyncio or trio), without anyio's backend import."""
    if current_async_library() == "trio":
        import trio

        await trio.sleep(seconds)
    else:
        import asyncio

        await asyncio.sleep(seconds)


async def run_in_thread(func: Callable[[], Any]) -> Any:
    """Run a blocking callable in a worker thread of the running loop (asyncio or trio)."""
    if current_async_library() == "trio":
        import trio

        return await trio.to_thread.run_sync(func)
    import asyncio

    return await asyncio.to_thread(func)
