"""pingone_events captures redacted library events; conftest hooks receive them too."""

from __future__ import annotations

import pytest

from canary import CANARY_SECRET, assert_no_canary


def test_events_fixture_and_conftest_hook(ptr: pytest.Pytester) -> None:
    """Events of one test land in its pingone_events (redacted) and in the conftest hook."""
    ptr.makeconftest(
        """
SEEN = []

def pytest_pingone_log_event(event):
    SEEN.append(event.line)
"""
    )
    ptr.makepyfile(
        f"""
import pytest
from httpx_pingone_worker import EventKind, register_secret
from httpx_pingone_worker._core._logging import log_event
from pytest_pingone import PingOneEvents
import conftest

@pytest.fixture
def emits_in_setup():
    log_event(EventKind.CONFIGURING, "configuring", client_id="setup-id")

def test_one(emits_in_setup, pingone_events: PingOneEvents):
    register_secret({CANARY_SECRET!r})
    log_event(EventKind.RECEIVED, "received", expires="3600s", note={CANARY_SECRET!r})
    assert pingone_events.tags == ["WORKER", "TOKEN"]
    assert [e.kind for e in pingone_events.of_kind("TOKEN")] == [EventKind.RECEIVED]
    assert {CANARY_SECRET!r} not in pingone_events.text
    assert "<redacted:" in pingone_events.text
    assert len(pingone_events) == 2
    pingone_events.clear()
    assert pingone_events.events == []
    assert any("received" in line for line in conftest.SEEN)

def test_two_starts_empty(pingone_events):
    log_event(EventKind.CACHE, "stored token", key="k")
    assert pingone_events.lines == ["[💾 CACHE] stored token key=k"]
    assert repr(pingone_events) == "<PingOneEvents 1 events>"
"""
    )
    result = ptr.runpytest()
    result.assert_outcomes(passed=2)
    assert_no_canary(result.stdout.str())


def test_library_plugins_are_removed_at_unconfigure(ptr: pytest.Pytester) -> None:
    """After an inner session ends, its plugins are no longer registered with the library."""
    import httpx_pingone_worker as hpw

    before = len(hpw.plugin_manager.get_plugins())
    ptr.makepyfile("def test_x(): pass")
    ptr.runpytest().assert_outcomes(passed=1)
    assert len(hpw.plugin_manager.get_plugins()) == before
