"""Fixtures for the Management API tests: respx routes shaped like PingOne's documented answers."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import respx
from mgmt_support import API, ENV, STATIC_TOKEN, FakeSleep

from httpx_pingone_worker import PingOneClient


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """A respx router for the NA API host; every call must be routed."""
    with respx.mock(base_url=API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def fake_sleep() -> FakeSleep:
    """A sleep that only records."""
    return FakeSleep()


@pytest.fixture
def client(api: respx.MockRouter, fake_sleep: FakeSleep) -> Iterator[PingOneClient]:
    """A static-token client with no rate limiter and recorded sleeps."""
    with PingOneClient(
        token=STATIC_TOKEN,
        environment_id=ENV,
        rate_limiter=False,
        sleep=fake_sleep,
        clock=fake_sleep.clock,
        rng=random.Random(7),
    ) as c:
        yield c
