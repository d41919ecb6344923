"""Fork safety: per-process state is reset in a child process.

A process forked while it holds library state (``gunicorn --preload``, Celery prefork,
``multiprocessing`` with the fork start method) copies it, but not the threads behind it:
an in-flight token fetch whose leader thread does not exist in the child, locks held by
such threads, keep-alive sockets shared with the parent, Redis lock renewal threads,
file-lock descriptors. Objects with such state register here; an
``os.register_at_fork(after_in_child=...)`` hook calls their ``_after_fork()`` in the child.
Where a hook cannot reach (a fork that bypasses ``os.fork``), ``ForkGuard`` notices the
pid change on the slow path and resets the same way.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from typing import Protocol

__all__ = ["ForkGuard", "ForkSafe", "register"]


class ForkSafe(Protocol):
    """An object with per-process state to reset in a forked child."""

    def _after_fork(self) -> None: ...


_objects: weakref.WeakSet[ForkSafe] = weakref.WeakSet()
_registry_lock = threading.Lock()
_hooked = False


def _reset_in_child() -> None:
    global _registry_lock  # noqa: PLW0603 - it may have been held by a thread that is gone
    _registry_lock = threading.Lock()
    for obj in list(_objects):
        with contextlib.suppress(Exception):  # a child must start even if one reset fails
            obj._after_fork()


def register(obj: ForkSafe) -> None:
    """Call ``obj._after_fork()`` in every child forked from now on (weakly referenced)."""
    global _hooked  # noqa: PLW0603
    with _registry_lock:
        _objects.add(obj)
        if not _hooked and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_reset_in_child)
            _hooked = True


class ForkGuard:
    """Remembers the pid that built the state; ``forked`` is True once in a child."""

    __slots__ = ("pid",)

    def __init__(self) -> None:
        self.pid = os.getpid()

    def forked(self) -> bool:
        """True (once) when called in a process other than the one that made the state."""
        pid = os.getpid()
        if pid == self.pid:
            return False
        self.pid = pid
        return True
