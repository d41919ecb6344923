"""Where objects built while an emulator-mode test runs take their time from.

The pytest plugin installs a `TestTime` (the emulator's clock and sleeps that advance it) for
the duration of each emulator-mode test and removes it afterwards. Objects the code under test
builds itself then wait on the emulator's clock instead of the wall clock: Management API
clients (their default rate limiter, retry backoff and `Retry-After`) and `PingOneWorkerAuth`
(the waits between token request retries). Outside such a test nothing is installed and
nothing changes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

__all__ = ["TestTime", "current_test_time", "set_test_time"]


@dataclass(frozen=True, slots=True)
class TestTime:
    """Where the objects built while a test runs take time from (the emulator's clock)."""

    __test__ = False  # not a pytest test class

    clock: Callable[[], float]
    sleep: Callable[[float], None]
    async_sleep: Callable[[float], Awaitable[None]]


_test_time: TestTime | None = None


def set_test_time(test_time: TestTime | None) -> None:
    """Install (or, with ``None``, remove) the test time source of new objects."""
    global _test_time  # noqa: PLW0603 - one switch, set and cleared by the plugin per test
    _test_time = test_time


def current_test_time() -> TestTime | None:
    """The installed `TestTime`, or ``None`` outside an emulator-mode test."""
    return _test_time
