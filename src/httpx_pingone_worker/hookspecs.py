"""pluggy hook specifications of httpx-pingone-worker (the public path of ``_core._hookspecs``).

Implement them in a plugin object decorated with ``httpx_pingone_worker.hookimpl``
and register it with ``httpx_pingone_worker.plugin_manager.register(plugin)``, or publish
it under the entry-point group ``httpx_pingone_worker``.
"""

from __future__ import annotations

from ._core._hookspecs import PROJECT_NAME, hookimpl, hookspec, pingone_log_event, pingone_redact

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec", "pingone_log_event", "pingone_redact"]
