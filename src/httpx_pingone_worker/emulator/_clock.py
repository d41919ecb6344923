"""The emulator's clock: real time plus an offset that tests move forward."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from httpx_pingone_worker._core._errors import EmulatorError

__all__ = ["MAX_ADVANCE", "EmulatorClock"]

#: Largest single ``EmulatorClock.advance`` (10 years): more is a bug in the test.
MAX_ADVANCE = 10 * 365 * 86400.0


class EmulatorClock:
    """Epoch seconds that tests can ``advance`` so expiry needs no sleeping.

    By default it follows ``time.time()`` plus an offset, so JWTs it stamps also verify with
    libraries that read the real clock. ``start=`` freezes it at that epoch instead (it then
    moves only through ``advance``); ``source=`` follows another clock (any callable
    returning epoch seconds). Instances are callable, so ``clock=emu.clock`` can be passed
    wherever a ``Callable[[], float]`` clock is expected.
    """

    __slots__ = ("_lock", "_offset", "_source", "_start")

    def __init__(
        self, *, start: float | None = None, source: Callable[[], float] | None = None
    ) -> None:
        if start is not None and source is not None:
            raise TypeError("EmulatorClock takes start= or source=, not both")
        self._start = start
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Current emulator time in epoch seconds."""
        if self._start is not None:
            base = self._start
        elif self._source is not None:
            base = self._source()
        else:
            base = time.time()
        return base + self._offset

    __call__ = now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (must be >= 0); returns the new time."""
        if (
            not isinstance(seconds, (int, float))
            or isinstance(seconds, bool)
            or not 0 <= seconds <= MAX_ADVANCE  # also refuses NaN, inf and 10**400
        ):
            shown = repr(seconds) if isinstance(seconds, (int, float)) else type(seconds).__name__
            raise EmulatorError(
                f"advance() takes a finite number of seconds from 0 to {MAX_ADVANCE:g} "
                f"(10 years), got {shown[:40]}",
                hint="the emulator clock never goes backwards; use reset() to start over",
            )
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    @property
    def offset(self) -> float:
        """Seconds the clock has been advanced in total."""
        return self._offset

    def __repr__(self) -> str:
        kind = "frozen" if self._start is not None else "following"
        return f"EmulatorClock({kind}, offset={self._offset:g}s)"
