"""The library's log events: ``EventKind`` (the emoji log lines) and ``LogEvent``.

Plain data, no I/O: the payload of the ``pingone_log_event`` hook and of every log line.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["ROOT_LOGGER", "EventKind", "LogEvent", "format_line"]

ROOT_LOGGER = "httpx_pingone_worker"


class EventKind(enum.Enum):
    """The kinds of library log line: value is ``(emoji, tag)``, the start of the line."""

    CONFIGURING = ("🔧", "WORKER")
    DISCOVERED = ("🌐", "WORKER")
    REQUESTING = ("🎯", "WORKER")
    RECEIVED = ("✅", "TOKEN")
    CACHE = ("💾", "CACHE")
    REFRESH = ("🔄", "REFRESH")
    DISCOVERY = ("🔍", "DISCOVERY")
    API_TEST = ("🧪", "API-TEST")
    ERROR = ("⛔", "WORKER-ERROR")
    DEBUG = ("🐛", "DEBUG")

    @property
    def emoji(self) -> str:
        return self.value[0]

    @property
    def tag(self) -> str:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One library event as offered to ``pingone_log_event`` (already redacted)."""

    level: int
    kind: EventKind
    message: str
    fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    logger: str = ROOT_LOGGER
    created: float = 0.0

    @property
    def tag(self) -> str:
        """``WORKER``, ``TOKEN``, ``CACHE`` …"""
        return self.kind.tag

    @property
    def emoji(self) -> str:
        return self.kind.emoji

    @property
    def line(self) -> str:
        """The formatted log line, e.g. ``[✅ TOKEN] received expires=3600s scopes=``."""
        return format_line(self.kind, self.message, self.fields)


def format_line(kind: EventKind, message: str, fields: Mapping[str, str]) -> str:
    """``[<emoji> <TAG>] message k=v …`` (an empty message adds no extra space)."""
    rendered = " ".join(f"{k}={v}" for k, v in fields.items())
    body = " ".join(part for part in (message, rendered) if part)
    return f"[{kind.emoji} {kind.tag}] {body}"
