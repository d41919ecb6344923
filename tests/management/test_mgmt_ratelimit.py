"""RateLimiter (token bucket) and the API retry defaults: pure logic with a fake clock."""

from __future__ import annotations

import threading

import pytest
import respx
from mgmt_support import ENV, STATIC_TOKEN

from httpx_pingone_worker import ConfigurationError, PingOneClient, RateLimiter
from httpx_pingone_worker.management._sansio import API_RETRY


class FakeClock:
    """A monotonic clock that only moves when told (or when the limiter sleeps)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_burst_then_spaced() -> None:
    """A full bucket lets `burst` requests through at once, then spaces them at the rate."""
    clock = FakeClock()
    limiter = RateLimiter(60, 60, burst=3, clock=clock, sleep=clock.sleep)
    waits = [limiter.reserve() for _ in range(6)]
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0]


def test_refills_with_time() -> None:
    """After waiting, tokens come back at `rate/per` per second, up to `burst`."""
    clock = FakeClock()
    limiter = RateLimiter(120, 60, burst=2, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire()
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    clock.now += 0.5  # 2/s → one token
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    clock.now += 100  # capped at burst
    assert [limiter.try_acquire() for _ in range(3)] == [True, True, False]


def test_acquire_sleeps_and_count_over_a_minute() -> None:
    """With a fake clock, acquire() lets exactly rate+burst requests through in one period."""
    clock = FakeClock()
    limiter = RateLimiter(200, 60, burst=10, clock=clock, sleep=clock.sleep)
    start = clock.now
    sent = 0
    while True:
        limiter.acquire()
        if clock.now - start > 60.0:
            break
        sent += 1
    # burst (10) immediately, then 200/min for 60 s: 10 + 200 requests.
    assert sent == 210


def test_reservations_are_exact_under_threads() -> None:
    """16 threads x 50 reservations on a frozen clock get every wait slot exactly once."""
    clock = FakeClock()
    limiter = RateLimiter(10, 1, burst=5, clock=clock)
    results: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        mine = [limiter.reserve() for _ in range(50)]
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(results) == 800
    expected = [0.0] * 5 + [round(k / 10, 6) for k in range(1, 796)]
    assert sorted(round(w, 6) for w in results) == expected


def test_shared_between_clients(api: respx.MockRouter) -> None:
    """Two clients sharing one limiter draw from one bucket (counted in fake time)."""
    clock = FakeClock()
    limiter = RateLimiter(60, 60, burst=2, clock=clock, sleep=clock.sleep)
    api.get(f"/environments/{ENV}").respond(200, json={"id": ENV})
    with (
        PingOneClient(token=STATIC_TOKEN, environment_id=ENV, rate_limiter=limiter) as a,
        PingOneClient(token=STATIC_TOKEN, environment_id=ENV, rate_limiter=limiter) as b,
    ):
        assert a.rate_limiter is b.rate_limiter
        for _ in range(3):
            a.get_environment()
            b.get_environment()
    # 6 requests, burst 2, 1/s → the clock advanced by 4 seconds of waiting.
    assert clock.now - 1000.0 == pytest.approx(4.0)


def test_default_limiter_is_below_license_share(api: respx.MockRouter) -> None:
    """Each client gets a default limiter below 35% of a 600/min license."""
    with PingOneClient(token=STATIC_TOKEN) as c:
        assert c.rate_limiter is not None
        assert c.rate_limiter.rate / c.rate_limiter.per * 60 <= 210


@pytest.mark.parametrize("kwargs", [{"rate": 0}, {"per": -1}, {"burst": 0}])
def test_limiter_rejects_bad_config(kwargs: dict[str, float]) -> None:
    """Non-positive rate, period or burst is a configuration error."""
    with pytest.raises(ConfigurationError):
        RateLimiter(**kwargs)  # type: ignore[arg-type]


def test_api_retry_policy_statuses() -> None:
    """The API default retries 429/502/503/504 but not 500 (a call may have had effects)."""
    assert {s for s in range(400, 600) if API_RETRY.is_retryable_status(s)} == {
        429,
        502,
        503,
        504,
    }


# --- a caller that never gets its turn gives its slot back --------------------------------


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run on asyncio and trio."""
    return str(request.param)


@pytest.mark.anyio
async def test_cancelled_waiters_give_their_slots_back() -> None:
    """100 callers cancelled while waiting for their slot leave the bucket as they found it:
    after 0.1 s of fake time (one token at 10/s) the next caller goes out at once (it used
    to wait ~10 s behind 100 dead reservations)."""
    import anyio

    clock = FakeClock()
    parked = 0
    all_parked = anyio.Event()
    never = anyio.Event()

    async def park(seconds: float) -> None:
        nonlocal parked
        parked += 1
        if parked == 100:
            all_parked.set()
        await never.wait()

    limiter = RateLimiter(10, 1, burst=1, clock=clock, async_sleep=park)
    assert await limiter.aacquire() == 0.0  # the burst slot is used
    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(limiter.aacquire)
        await all_parked.wait()
        tg.cancel_scope.cancel()
    assert parked == 100
    clock.now += 0.1
    assert limiter.reserve() == 0.0
    assert limiter.reserve() == pytest.approx(0.1)


def test_timed_out_sync_waiter_gives_its_slot_back() -> None:
    """A sync caller whose sleep is interrupted (KeyboardInterrupt, a timeout raised by the
    sleep) gives its slot back; the next reservation is not delayed by it."""
    clock = FakeClock()

    def interrupted(seconds: float) -> None:
        raise TimeoutError("gave up waiting")

    limiter = RateLimiter(10, 1, burst=1, clock=clock, sleep=interrupted)
    assert limiter.acquire() == 0.0
    for _ in range(50):
        with pytest.raises(TimeoutError):
            limiter.acquire()
    clock.now += 0.1
    assert limiter.reserve() == 0.0
