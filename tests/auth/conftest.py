"""Fixtures of the auth tests (helpers live in ``auth_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from auth_support import EventRecorder, FakeClock, Lib, TokenServer, load_lib

from httpx_pingone_worker import plugin_manager


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock starting at a fixed epoch."""
    return FakeClock()


@pytest.fixture(params=["httpx", "httpx2"])
def lib(request: pytest.FixtureRequest) -> Lib:
    """The HTTP library under test (httpx, then httpx2) with its ``PingOneWorkerAuth``."""
    loaded = load_lib(request.param)
    if loaded is None:
        pytest.skip(
            f"{request.param} is not installed "
            '(pip install "httpx-pingone-worker[httpx2]"; it needs Python >= 3.11)'
        )
    return loaded


@pytest.fixture
def server(lib: Lib) -> TokenServer:
    """A scriptable token endpoint + API handler speaking ``lib``."""
    return TokenServer(lib=lib)


@pytest.fixture
def events() -> Iterator[EventRecorder]:
    """Record the library's hook events for the test's duration."""
    recorder = EventRecorder()
    plugin_manager.register(recorder)
    try:
        yield recorder
    finally:
        plugin_manager.unregister(recorder)
