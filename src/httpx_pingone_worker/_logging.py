"""Emoji-tagged, redacted log lines and the pluggy host that receives them.

Every library event goes through :func:`log_event`: the message and fields are redacted
(known secrets, bearer tokens, JWTs, ``client_assertion``/``client_secret`` values,
``Authorization`` values, then any plugin's ``pingone_redact``), logged to the stdlib logger
``httpx_pingone_worker.<area>`` as ``[<emoji> <TAG>] message key=value …``, and offered to
plugins as a frozen :class:`LogEvent`. A :class:`RedactingFilter` is attached to the
``httpx_pingone_worker`` logger so plain ``logger.debug`` calls in the library are redacted
too.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pluggy

from . import hookspecs
from ._secrets import Secret, fingerprint

__all__ = [
    "EventKind",
    "LogEvent",
    "RedactingFilter",
    "forget_secret",
    "get_plugin_manager",
    "log_event",
    "plugin_manager",
    "redact",
    "register_secret",
]

ROOT_LOGGER = "httpx_pingone_worker"


class EventKind(enum.Enum):
    """The log lines of DESIGN.md: value is ``(emoji, tag)``."""

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


# --- redaction -------------------------------------------------------------------------

_KNOWN_LOCK = threading.Lock()
_KNOWN: OrderedDict[str, None] = OrderedDict()
_KNOWN_MAX = 512
_MIN_KNOWN_LEN = 6

_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# RFC 7235 token68: "=" only as trailing padding, and the value must end there, so
# "token_type=Bearer expires_in=3600" keeps its expires_in.
_AUTH_RE = re.compile(
    r"""\b(Bearer|Basic|DPoP)\s+([A-Za-z0-9._~+/-]+=*)(?=[\s"'&,;)}\]]|$)""", re.IGNORECASE
)
_SENSITIVE_KEYS = (
    "client_secret|clientsecret|secret|password|passwd|access_token|accesstoken|refresh_token|"
    "id_token|token|client_assertion|assertion|authorization|api_key|apikey|private_key"
)
# key=value (form bodies, query strings, our own fields) and "key": "value" (JSON). A
# quoted value is masked up to its closing quote, so secrets with spaces do not leak.
_KV_RE = re.compile(
    rf"""(?ix)
    (?P<key>["']?\b(?:{_SENSITIVE_KEYS})\b["']?)
    (?P<sep>\s*[:=]\s*)
    (?:
        "(?!<redacted)(?P<dq>(?:[^"\\]|\\.)+)"
      | '(?!<redacted)(?P<sq>[^']+)'
      | (?P<value>(?!\*{{3}})(?!<redacted)(?!(?:Bearer|Basic|DPoP)\s)[^\s"'&,;}}]+)
    )
    """
)


def _kv_sub(m: re.Match[str]) -> str:
    q = '"' if m.group("dq") is not None else "'" if m.group("sq") is not None else ""
    return f"{m.group('key')}{m.group('sep')}{q}<redacted>{q}"


_SENSITIVE_FIELD_RE = re.compile(rf"(?i)(?:{_SENSITIVE_KEYS})")
_PEM_RE = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
)


def register_secret(value: str | Secret | None) -> None:
    """Mask every later occurrence of ``value`` in library log output.

    The library registers client secrets and access tokens itself; call this for other
    values you know must never be logged. The registry is bounded (most recent 512).
    """
    if value is None:
        return
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    if len(raw) < _MIN_KNOWN_LEN:
        return
    with _KNOWN_LOCK:
        _KNOWN[raw] = None
        _KNOWN.move_to_end(raw)
        while len(_KNOWN) > _KNOWN_MAX:
            _KNOWN.popitem(last=False)


def forget_secret(value: str | Secret) -> None:
    """Remove a value from the registry (tests)."""
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    with _KNOWN_LOCK:
        _KNOWN.pop(raw, None)


def _mask_known(text: str) -> str:
    with _KNOWN_LOCK:
        known = list(_KNOWN)
    for raw in known:
        if raw in text:
            text = text.replace(raw, f"<redacted:{fingerprint(raw)}>")
    return text


def _builtin_redact(text: str) -> str:
    if not text:
        return text
    text = _mask_known(text)
    text = _PEM_RE.sub("<redacted:private-key>", text)
    text = _JWT_RE.sub(lambda m: f"<jwt:{fingerprint(m.group(0))}>", text)
    text = _AUTH_RE.sub(lambda m: f"{m.group(1)} <redacted>", text)
    return _KV_RE.sub(_kv_sub, text)


def redact(text: str) -> str:
    """Redact ``text`` with the built-in rules, then any plugin's ``pingone_redact``."""
    text = _builtin_redact(str(text))
    pm = get_plugin_manager()
    for impl in reversed(pm.hook.pingone_redact.get_hookimpls()):
        try:
            result = impl.function(text=text)
        except Exception as exc:  # noqa: BLE001 - a plugin must never break the caller
            _report_plugin_failure(impl.plugin_name, "pingone_redact", exc)
            continue
        if isinstance(result, str):
            # Re-apply built-ins: a plugin must not be able to un-redact.
            return _builtin_redact(result)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts a record's message and args in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_pingone_redacted", False):
            return True
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not leak args
            msg = str(record.msg)
        record.msg = redact(msg)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are rendered later from exc_info; render and redact them now.
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        record._pingone_redacted = True
        return True


_root = logging.getLogger(ROOT_LOGGER)
if not any(isinstance(f, RedactingFilter) for f in _root.filters):
    _root.addFilter(RedactingFilter())
_root.addHandler(logging.NullHandler())


def _logger(name: str) -> logging.Logger:
    full = name if name.startswith(ROOT_LOGGER) else f"{ROOT_LOGGER}.{name}"
    logger = logging.getLogger(full)
    # Filters on a parent logger do not run for records of its children: attach to each.
    if not any(isinstance(f, RedactingFilter) for f in logger.filters):
        logger.addFilter(RedactingFilter())
    return logger


def get_logger(name: str) -> logging.Logger:
    """A library logger (``httpx_pingone_worker.<name>``) with the redacting filter."""
    return _logger(name)


# --- plugin host -----------------------------------------------------------------------

plugin_manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
plugin_manager.add_hookspecs(hookspecs)
_entry_points_loaded = False
_ep_lock = threading.Lock()
_reported: set[tuple[str, str]] = set()


def get_plugin_manager() -> pluggy.PluginManager:
    """The plugin manager, with entry-point plugins loaded on first use."""
    global _entry_points_loaded  # noqa: PLW0603 - one-time lazy load
    if not _entry_points_loaded:
        with _ep_lock:
            if not _entry_points_loaded:
                _entry_points_loaded = True
                try:
                    plugin_manager.load_setuptools_entrypoints(hookspecs.PROJECT_NAME)
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


def _stringify(value: Any) -> str:
    if isinstance(value, Secret):
        return f"<redacted:{value.fingerprint()}>"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(sorted(str(v) for v in value))
    return str(value)


def log_event(
    kind: EventKind,
    message: str,
    *,
    level: int = logging.INFO,
    logger: str = ROOT_LOGGER,
    **fields: Any,
) -> LogEvent:
    """Redact, log and publish one event. Returns the event (for tests)."""
    clean_fields = {
        # A field named like a secret is masked whatever its value looks like.
        k: "<redacted>"
        if _SENSITIVE_FIELD_RE.fullmatch(k) and not isinstance(v, Secret)
        else redact(_stringify(v))
        for k, v in fields.items()
    }
    clean_message = redact(message)
    event = LogEvent(
        level=level,
        kind=kind,
        message=clean_message,
        fields=MappingProxyType(clean_fields),
        logger=logger if logger.startswith(ROOT_LOGGER) else f"{ROOT_LOGGER}.{logger}",
        created=time.time(),
    )
    log = _logger(event.logger)
    if log.isEnabledFor(level):
        log.log(level, "%s", event.line)
    pm = get_plugin_manager()
    for impl in pm.hook.pingone_log_event.get_hookimpls():
        if (str(impl.plugin_name), "pingone_log_event") in _reported:
            continue
        try:
            impl.function(event=event)
        except Exception as exc:  # noqa: BLE001 - a plugin must never break a request
            _report_plugin_failure(impl.plugin_name, "pingone_log_event", exc)
    return event
