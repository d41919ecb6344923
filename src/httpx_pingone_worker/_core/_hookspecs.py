"""pluggy hook specifications of httpx-pingone-worker.

Implement them in a plugin object decorated with ``httpx_pingone_worker.hookimpl``
and register it with ``httpx_pingone_worker.plugin_manager.register(plugin)``, or publish
it under the entry-point group ``httpx_pingone_worker``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._events import LogEvent

PROJECT_NAME = "httpx_pingone_worker"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def pingone_log_event(event: LogEvent) -> None:
    """Receive every library log event, already redacted.

    An implementation that raises is reported once and never breaks a request.
    """


@hookspec(firstresult=True)
def pingone_redact(text: str) -> str | None:
    """Mask more than the built-in redaction does.

    Receives text already redacted by the library; return the further-masked text, or
    ``None`` to leave it unchanged. The first non-``None`` result wins.
    """
