"""pytest plugin entry point (``pytest11`` name ``pingone``).

Options and ini settings, the report header, the ``pingone`` marker, the
``pytest_pingone_*`` hooks and the ``pingone_*`` fixtures. Importing this module loads
neither the emulator nor respx, python-jose, cryptography or keyring: fixtures import
what they need when a test asks for them.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from . import hookspecs
from ._config import CONFIG_KEY, add_options, get_config, resolve_config
from ._events import EventCapture, HookForwarder, PingOneEvents
from ._fixtures import (
    EVENTS_KEY,
    XDIST_KEY_NAME,
    _pingone_emulator_server_session,
    _pingone_live_auth,
    item_settings,
    pingone_aclient,
    pingone_async_client,
    pingone_auth,
    pingone_client,
    pingone_credentials,
    pingone_emulator,
    pingone_emulator_server,
    pingone_emulator_server_env,
    pingone_environment,
    pingone_events,
    pingone_introspection,
    pingone_token,
    pingone_worker_app,
)
from ._markers import MARKER_LINE

__all__ = [
    "pingone_aclient",
    "pingone_async_client",
    "pingone_auth",
    "pingone_client",
    "pingone_credentials",
    "pingone_emulator",
    "pingone_emulator_server",
    "pingone_emulator_server_env",
    "pingone_environment",
    "pingone_events",
    "pingone_introspection",
    "pingone_token",
    "pingone_worker_app",
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_configure",
    "pytest_report_header",
    "pytest_runtest_setup",
    "pytest_unconfigure",
]

# Session fixtures are found through this module's namespace like the public ones.
_SESSION_FIXTURES = (_pingone_emulator_server_session, _pingone_live_auth)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Add ``pytest_pingone_log_event``, ``pytest_pingone_credentials``, ``pytest_pingone_seed``."""
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--pingone``, ``--pingone-require-live``, ``--pingone-allow-passthrough`` …"""
    add_options(parser)


_CAPTURE_KEY = pytest.StashKey[EventCapture]()
_LIBRARY_PLUGINS_KEY = pytest.StashKey[list[Any]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker, resolve the settings, connect the library's event hook."""
    config.addinivalue_line("markers", MARKER_LINE)
    config.stash[CONFIG_KEY] = resolve_config(config)

    from httpx_pingone_worker import plugin_manager

    capture = EventCapture()
    # Two plugins: if a conftest's hook raises, the library mutes only the forwarder.
    plugins: list[Any] = [capture, HookForwarder(config)]
    for plugin in plugins:
        plugin_manager.register(plugin)
    config.stash[_CAPTURE_KEY] = capture
    config.stash[_LIBRARY_PLUGINS_KEY] = plugins
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_XdistController(), "pingone-xdist-controller")


class _XdistController:
    """Runs in the xdist controller: gives every worker the live token cache's key."""

    def __init__(self) -> None:
        self._key: str | None = None

    def pytest_configure_node(self, node: Any) -> None:
        """Put one per-run key into each worker's in-memory ``workerinput``."""
        from httpx_pingone_worker.credentials._crypto import generate_key

        if self._key is None:
            self._key = generate_key()
        node.workerinput[XDIST_KEY_NAME] = self._key


def pytest_unconfigure(config: pytest.Config) -> None:
    """Disconnect from the library's plugin manager."""
    from httpx_pingone_worker import plugin_manager

    for plugin in config.stash.get(_LIBRARY_PLUGINS_KEY, []):
        if plugin_manager.is_registered(plugin):
            plugin_manager.unregister(plugin)
    config.stash[_LIBRARY_PLUGINS_KEY] = []


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Mode, region and environment id, each with where it came from (never a secret)."""
    return get_config(config).header_lines()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Capture library events for the whole protocol of each test (setup to teardown)."""
    capture = item.config.stash.get(_CAPTURE_KEY, None)
    events = PingOneEvents()
    item.stash[EVENTS_KEY] = events
    if capture is not None:
        capture.current = events
    try:
        return (yield)
    finally:
        if capture is not None:
            capture.current = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Validate the test's ``pingone`` markers before any fixture runs.

    A typo fails the test with a message naming the keyword and the valid ones. In live
    mode a test that sets emulator behaviour through the marker is skipped.
    """
    if item.get_closest_marker("pingone") is None:
        return
    settings = item_settings(item)
    if settings and get_config(item.config).is_live:
        pytest.skip(
            "this test's pingone marker configures the emulator "
            f"({', '.join(sorted(settings.values))}); it does not run against a live tenant"
        )
