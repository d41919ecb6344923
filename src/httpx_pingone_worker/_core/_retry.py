"""Sans-IO retry and backoff policy, shared by the token endpoint and the Management API.

A ``RetryPolicy`` is immutable configuration; ``RetryPolicy.start`` returns a
``RetryState`` for one logical call. After each failed attempt the caller asks the
state for the next delay:

```python
state = policy.start(now=clock())
while True:
    outcome = send()                                 # the caller's I/O
    if not policy.is_retryable_status(outcome.status):
        break
    delay = state.next_delay(now=clock(), retry_after=outcome.headers.get("Retry-After"))
    if delay is None:                                # attempts or budget exhausted
        break
    sleep(delay)                                     # the caller's sleep (sync or async)
```

Rules (they follow Ping's own Go SDK and PingOne's documented limits):

- retryable: 408, 429, 500, 501, 502, 503, 504, and transport failures (connect errors,
  timeouts) — the caller decides which exceptions count;
- ``Retry-After`` in seconds or as an HTTP date is honoured, capped at ``retry_after_cap``
  (30 s by default); without it, exponential backoff ``backoff_base * 2**n`` capped at
  ``backoff_max``, with "equal jitter" (half fixed, half random) so a fleet spreads out;
- ``max_attempts`` bounds the number of attempts (the first one included) and
  ``total_budget`` the seconds from the first attempt to the last one's start: a delay
  that would cross the budget ends the retries instead of sleeping past it.
"""

from __future__ import annotations

import email.utils
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ._errors import ConfigurationError

__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "RETRYABLE_STATUSES",
    "RetryPolicy",
    "RetryState",
    "parse_retry_after",
    "retry_after_from_headers",
]

#: Statuses Ping's Go SDK retries (408 request timeout, 429 rate limit, 5xx).
RETRYABLE_STATUSES: frozenset[int] = frozenset({408, 429, 500, 501, 502, 503, 504})


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date).

    Returns ``None`` for a missing or unparseable value (the caller falls back to its own
    backoff) and ``0.0`` for a date in the past. Never raises.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            return None
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive parse means "-0000"
        return None
    return max(0.0, when.timestamp() - now)


def retry_after_from_headers(headers: Mapping[str, str], *, now: float) -> float | None:
    """``parse_retry_after`` of the ``Retry-After`` header (case-insensitive look-up)."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            return parse_retry_after(value, now=now)
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a failed call.

    - ``max_attempts``: attempts in total, the first included (1 = never retry).
    - ``backoff_base`` / ``backoff_max``: exponential backoff ``base * 2**retry``, capped.
    - ``jitter``: fraction of each backoff that is random (0 = none, 1 = full jitter).
    - ``retry_after_cap``: the longest ``Retry-After`` honoured; a longer one is capped.
    - ``total_budget``: seconds from the first attempt after which no retry starts.
    - ``statuses``: HTTP statuses worth retrying.
    """

    max_attempts: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    jitter: float = 0.5
    retry_after_cap: float = 30.0
    total_budget: float = 30.0
    statuses: frozenset[int] = field(default=RETRYABLE_STATUSES)

    def __post_init__(self) -> None:
        problems = []
        if (
            not isinstance(self.max_attempts, int)
            or isinstance(self.max_attempts, bool)
            or self.max_attempts < 1
        ):
            problems.append("max_attempts must be an int >= 1")
        for name in ("backoff_base", "backoff_max", "jitter", "retry_after_cap", "total_budget"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                problems.append(f"{name} must be a finite number")
        if problems:
            pass
        elif self.backoff_base < 0 or self.backoff_max < 0:
            problems.append("backoff_base and backoff_max must be >= 0")
        elif not 0.0 <= self.jitter <= 1.0:
            problems.append("jitter must be between 0 and 1")
        elif self.retry_after_cap < 0 or self.total_budget < 0:
            problems.append("retry_after_cap and total_budget must be >= 0")
        if problems:
            raise ConfigurationError(
                "invalid RetryPolicy: " + "; ".join(problems),
                hint="e.g. RetryPolicy(max_attempts=4, backoff_base=0.5, total_budget=30.0)",
            )

    def is_retryable_status(self, status_code: int) -> bool:
        """True when a response with this status is worth another attempt."""
        return status_code in self.statuses

    def backoff(self, retry_number: int, *, rand: Callable[[], float] = random.random) -> float:
        """Backoff before retry ``retry_number`` (0 for the first retry), jittered."""
        raw = min(self.backoff_max, self.backoff_base * (2.0**retry_number))
        fixed = raw * (1.0 - self.jitter)
        return fixed + raw * self.jitter * rand()

    def start(self, *, now: float) -> RetryState:
        """State for one logical call whose first attempt starts at ``now``."""
        return RetryState(self, started_at=now)


class RetryState:
    """Mutable bookkeeping of one logical call under a ``RetryPolicy``."""

    __slots__ = ("_rand", "attempts", "policy", "started_at")

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        started_at: float,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self.started_at = started_at
        self.attempts = 1  # the attempt in progress counts
        self._rand = rand

    def next_delay(self, *, now: float, retry_after: str | float | None = None) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to give up.

        ``retry_after`` is the server's ``Retry-After`` (header text or seconds). Gives up
        when ``max_attempts`` is reached or the delay would end past ``total_budget``.
        """
        policy = self.policy
        if self.attempts >= policy.max_attempts:
            return None
        if isinstance(retry_after, str):
            hinted = parse_retry_after(retry_after, now=now)
        else:
            hinted = retry_after
        if hinted is not None:
            delay = min(max(0.0, hinted), policy.retry_after_cap)
        else:
            delay = policy.backoff(self.attempts - 1, rand=self._rand)
        if (now - self.started_at) + delay > policy.total_budget:
            return None
        self.attempts += 1
        return delay

    @property
    def elapsed_attempts(self) -> int:
        """Attempts made so far (including the one in progress)."""
        return self.attempts

    def __repr__(self) -> str:
        return f"RetryState(attempts={self.attempts}, started_at={self.started_at:.3f})"


#: The default policy: 4 attempts, up to 30 s in total.
DEFAULT_RETRY = RetryPolicy()
#: One attempt, no retries.
NO_RETRY = RetryPolicy(max_attempts=1)
