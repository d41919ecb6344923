"""The pluggy host: the plugin manager, created on first use, and plugin failure reports.

pluggy (and the entry-point scan) load only when a plugin is registered or an event is
published, so ``import httpx_pingone_worker`` stays as cheap as ``import httpx``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from ._events import ROOT_LOGGER

PROJECT_NAME = "httpx_pingone_worker"  # the pluggy project and entry-point group

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

    #: The library's pluggy ``PluginManager`` (created on first access).
    plugin_manager: pluggy.PluginManager

__all__ = ["get_plugin_manager", "plugin_manager"]

_pm: pluggy.PluginManager | None = None
_pm_lock = threading.Lock()
_entry_points_loaded = False
_ep_lock = threading.Lock()
_reported: set[tuple[str, str]] = set()


def _manager() -> pluggy.PluginManager:
    """The plugin manager with the hook specifications (entry points not loaded)."""
    global _pm  # noqa: PLW0603 - created once, on first use
    if _pm is None:
        with _pm_lock:
            if _pm is None:
                import pluggy

                from . import _hookspecs

                pm = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
                pm.add_hookspecs(_hookspecs)
                _pm = pm
    return _pm


def __getattr__(name: str) -> Any:
    if name == "plugin_manager":
        return _manager()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with entry-point plugins loaded on first use."""
    plugin_manager = _manager()
    global _entry_points_loaded  # noqa: PLW0603 - one-time lazy load
    if not _entry_points_loaded:
        with _ep_lock:
            if not _entry_points_loaded:
                _entry_points_loaded = True
                try:
                    plugin_manager.load_setuptools_entrypoints(PROJECT_NAME)
                except Exception as exc:  # noqa: BLE001 - a broken plugin must not break us
                    _report_plugin_failure("<entry points>", "load", exc)
    return plugin_manager


def _report_plugin_failure(plugin: str | None, hook: str, exc: BaseException) -> None:
    key = (str(plugin), hook)
    if key in _reported:
        return
    _reported.add(key)
    record_logger = logging.getLogger(f"{ROOT_LOGGER}.plugins")
    # Only the exception type: its message could carry anything the plugin saw.
    record_logger.warning(
        "[⛔ WORKER-ERROR] plugin %s raised %s in %s; ignored from now on for this hook",
        plugin,
        type(exc).__name__,
        hook,
    )
