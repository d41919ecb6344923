"""The client-side token-bucket ``RateLimiter`` of the Management API clients."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import (
    Awaitable,
    Callable,
)

from httpx_pingone_worker._core._errors import ConfigurationError

__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_RATE_PER_MINUTE",
    "RateLimiter",
]


#: Requests per minute of the default limiter: below the 35 % of a 600/min license that
#: one IP address may use by default (PingOne's rate limits), so one process never trips it.
DEFAULT_RATE_PER_MINUTE = 200.0
DEFAULT_BURST = 10


# --- rate limiting -------------------------------------------------------------------------


class RateLimiter:
    """A client-side token bucket: ``rate`` requests per ``per`` seconds, bursts of ``burst``.

    Share one instance between clients (sync and async alike) to keep a whole process under
    PingOne's per-license limit. ``reserve`` is the sans-IO part: under a lock it takes
    one token (running into debt when empty) and returns how long the caller must wait, so
    concurrent callers are spaced out exactly and never oversubscribe. ``clock``/``sleep``
    are injectable for tests.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE_PER_MINUTE,
        per: float = 60.0,
        *,
        burst: int = DEFAULT_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if not (
            isinstance(rate, (int, float))
            and isinstance(per, (int, float))
            and math.isfinite(rate)
            and math.isfinite(per)
        ) or not (rate > 0 and per > 0):
            raise ConfigurationError(
                f"RateLimiter needs rate > 0 and per > 0 (got rate={rate!r}, per={per!r})",
                hint="e.g. RateLimiter(200, 60) for 200 requests per minute",
            )
        if not isinstance(burst, int) or burst < 1:
            raise ConfigurationError(
                f"RateLimiter burst must be an int >= 1 (got {burst!r})",
                hint="burst is how many requests may go out back to back",
            )
        self.rate = float(rate)
        self.per = float(per)
        self.burst = burst
        self._per_second = self.rate / self.per
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._last = clock()

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before sending (0.0 when available)."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._per_second)
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self._per_second

    def give_back(self) -> None:
        """Return a slot ``reserve`` handed out but the caller never used.

        A caller that is cancelled or times out while waiting for its slot calls this, so
        the slot goes to the next caller instead of delaying everyone after it
        (``acquire``/``aacquire`` do it themselves).
        """
        with self._lock:
            self._tokens = min(float(self.burst), self._tokens + 1.0)

    def try_acquire(self) -> bool:
        """Take a token only if one is available now; never waits, never runs into debt."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(float(self.burst), self._tokens + elapsed * self._per_second)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def acquire(self) -> float:
        """Block until a request may go out; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            try:
                self._sleep(wait)
            except BaseException:  # interrupted before its turn: the slot goes back
                self.give_back()
                raise
        return wait

    async def aacquire(self) -> float:
        """Async ``acquire`` (asyncio or trio, through anyio)."""
        wait = self.reserve()
        if wait > 0:
            try:
                if self._async_sleep is not None:
                    await self._async_sleep(wait)
                else:
                    import anyio

                    await anyio.sleep(wait)
            except BaseException:  # cancelled or timed out before its turn: give it back
                self.give_back()
                raise
        return wait

    def __repr__(self) -> str:
        try:
            return f"RateLimiter(rate={self.rate:g}, per={self.per:g}, burst={self.burst})"
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return "RateLimiter(<not initialised>)"
