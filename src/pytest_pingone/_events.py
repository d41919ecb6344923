"""``pingone_events``: the library's redacted log events of one test, like ``caplog``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from httpx_pingone_worker.hookspecs import hookimpl

if TYPE_CHECKING:
    import pytest

    from httpx_pingone_worker import EventKind, LogEvent

__all__ = ["EventCapture", "HookForwarder", "PingOneEvents"]


class PingOneEvents:
    """Collects every [`LogEvent`][httpx_pingone_worker.LogEvent] emitted during a test.

    Events arrive already redacted by the library (no secret, no full token). Use
    ``events``, ``lines``, ``tags``, ``of_kind`` and ``clear``::

        def test_fetch(pingone_auth, pingone_events):
            pingone_auth.get_token()
            assert "TOKEN" in pingone_events.tags
    """

    def __init__(self) -> None:
        self._events: list[LogEvent] = []
        self._lock = threading.Lock()

    # The pluggy hook implementation (registered on httpx_pingone_worker.plugin_manager).
    @hookimpl
    def pingone_log_event(self, event: LogEvent) -> None:
        """Record one event (called by the library's plugin manager)."""
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> list[LogEvent]:
        """A copy of the events recorded so far, oldest first."""
        with self._lock:
            return list(self._events)

    @property
    def lines(self) -> list[str]:
        """The formatted lines, e.g. ``[✅ TOKEN] received expires=3600s scopes=``."""
        return [e.line for e in self.events]

    @property
    def text(self) -> str:
        """All lines joined by newlines (handy for ``in`` checks)."""
        return "\n".join(self.lines)

    @property
    def tags(self) -> list[str]:
        """The tag of each event (``WORKER``, ``TOKEN``, ``CACHE`` …), in order."""
        return [e.tag for e in self.events]

    def of_kind(self, kind: EventKind | str) -> list[LogEvent]:
        """Events of one [`EventKind`][httpx_pingone_worker.EventKind] (or its name or tag)."""
        from httpx_pingone_worker import EventKind

        if isinstance(kind, EventKind):
            return [e for e in self.events if e.kind is kind]
        name = kind.upper()
        return [e for e in self.events if name in (e.kind.name, e.kind.tag)]

    def clear(self) -> None:
        """Forget the events recorded so far."""
        with self._lock:
            self._events.clear()

    def __iter__(self) -> Iterator[LogEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)

    def __repr__(self) -> str:
        return f"<PingOneEvents {len(self)} events>"


class EventCapture:
    """Library plugin: hands each event to the running test's ``PingOneEvents``."""

    def __init__(self) -> None:
        self.current: PingOneEvents | None = None

    @hookimpl
    def pingone_log_event(self, event: LogEvent) -> None:
        """Record ``event`` for the current test, if one is running."""
        current = self.current
        if current is not None:
            current.pingone_log_event(event)


class HookForwarder:
    """Library plugin: offers each event to ``pytest_pingone_log_event`` implementations."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @hookimpl
    def pingone_log_event(self, event: LogEvent) -> None:
        """Call the pytest hook ``pytest_pingone_log_event(event=...)``."""
        self.config.hook.pytest_pingone_log_event(event=event)
