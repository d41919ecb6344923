"""Fixtures of the auth tests (helpers live in ``auth_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth_support import EventRecorder, FakeClock, TokenServer

from httpx_pingone_worker import plugin_manager


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting at a fixed epoch."""
    return FakeClock()


@pytest.fixture
def server() -> TokenServer:
    """A scriptable token endpoint + API handler."""
    return TokenServer()


@pytest.fixture
def events() -> Iterator[EventRecorder]:
    """Record the library's hook events for the test's duration."""
    recorder = EventRecorder()
    plugin_manager.register(recorder)
    try:
        yield recorder
    finally:
        plugin_manager.unregister(recorder)
