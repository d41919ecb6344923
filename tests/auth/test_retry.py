"""The sans-IO retry policy: Retry-After parsing, caps, backoff, attempts and budget."""

from __future__ import annotations

import email.utils

import pytest

from httpx_pingone_worker import ConfigurationError
from httpx_pingone_worker._core._retry import (
    RetryPolicy,
    parse_retry_after,
    retry_after_from_headers,
)

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    """Delta-seconds parse to floats; garbage is None; negatives clamp to 0."""
    assert parse_retry_after(value, now=NOW) == expected


def test_parse_retry_after_http_date() -> None:
    """An HTTP date becomes the seconds from now (past dates give 0)."""
    future = email.utils.formatdate(NOW + 42, usegmt=True)
    past = email.utils.formatdate(NOW - 42, usegmt=True)
    assert parse_retry_after(future, now=NOW) == pytest.approx(42.0)
    assert parse_retry_after(past, now=NOW) == 0.0


def test_retry_after_header_lookup_is_case_insensitive() -> None:
    """The header is found whatever its case."""
    assert retry_after_from_headers({"RETRY-AFTER": "3"}, now=NOW) == 3.0
    assert retry_after_from_headers({}, now=NOW) is None


def test_retry_after_is_capped() -> None:
    """A huge Retry-After is capped at retry_after_cap."""
    state = RetryPolicy(retry_after_cap=30.0, total_budget=100.0).start(now=NOW)
    assert state.next_delay(now=NOW, retry_after="999") == 30.0


def test_exponential_backoff_without_jitter() -> None:
    """Without Retry-After the delay doubles, capped at backoff_max."""
    policy = RetryPolicy(
        max_attempts=6, backoff_base=1.0, backoff_max=4.0, jitter=0.0, total_budget=1000.0
    )
    state = policy.start(now=NOW)
    assert [state.next_delay(now=NOW) for _ in range(5)] == [1.0, 2.0, 4.0, 4.0, 4.0]
    assert state.next_delay(now=NOW) is None  # 6 attempts used


def test_jitter_stays_within_bounds() -> None:
    """Equal jitter keeps the delay between half and all of the raw backoff."""
    policy = RetryPolicy(backoff_base=2.0, jitter=0.5)
    assert policy.backoff(0, rand=lambda: 0.0) == 1.0
    assert policy.backoff(0, rand=lambda: 1.0) == 2.0


def test_budget_stops_retries() -> None:
    """A delay that would cross total_budget ends the retries."""
    state = RetryPolicy(max_attempts=10, total_budget=10.0).start(now=NOW)
    assert state.next_delay(now=NOW + 3, retry_after=5.0) == 5.0
    assert state.next_delay(now=NOW + 8, retry_after=5.0) is None


def test_retryable_statuses() -> None:
    """408/429/5xx are retryable, 4xx OAuth errors are not."""
    policy = RetryPolicy()
    assert all(policy.is_retryable_status(s) for s in (408, 429, 500, 502, 503, 504))
    assert not any(policy.is_retryable_status(s) for s in (200, 400, 401, 403, 404))


def test_invalid_policy_is_rejected() -> None:
    """Nonsense settings raise ConfigurationError naming them (a bool is not a count)."""
    with pytest.raises(ConfigurationError, match="max_attempts"):
        RetryPolicy(max_attempts=True)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ConfigurationError, match="jitter"):
        RetryPolicy(jitter=2.0)
