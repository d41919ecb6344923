"""Emoji-tagged, redacted log lines: redaction, the library loggers and ``log_event``.

Every library event goes through ``log_event``: the message and fields are redacted
(known secrets, bearer tokens, JWTs, ``client_assertion``/``client_secret`` values,
``Authorization`` values, then any plugin's ``pingone_redact``), logged to the stdlib logger
``httpx_pingone_worker.<area>`` as ``[<emoji> <TAG>] message key=value …``, and offered to
plugins as a frozen ``LogEvent``. A ``RedactingFilter`` is attached to the
``httpx_pingone_worker`` logger so plain ``logger.debug`` calls in the library are redacted
too.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from types import MappingProxyType
from typing import Any, NamedTuple

from ._events import ROOT_LOGGER, EventKind, LogEvent
from ._known import (
    _mask_known,
    forget_secret,
    register_held_secret,
    register_secret,
    register_token,
)
from ._plugins import _report_plugin_failure, _reported, get_plugin_manager
from ._secrets import Secret, fingerprint

__all__ = [
    "EventKind",
    "LogEvent",
    "RedactingFilter",
    "forget_secret",
    "get_logger",
    "get_plugin_manager",
    "log_event",
    "redact",
    "register_held_secret",
    "register_secret",
    "register_token",
]

# --- redaction -------------------------------------------------------------------------


# The patterns compile on first use (``_rx()``), not at import: compiling them is a
# noticeable part of ``import httpx_pingone_worker`` and most imports never log.
_JWT_PATTERN = r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
# RFC 7235 token68: "=" only as trailing padding, and the value must end there, so
# "token_type=Bearer expires_in=3600" keeps its expires_in.
_AUTH_PATTERN = r"""\b(Bearer|Basic|DPoP)\s+([A-Za-z0-9._~+/-]+=*)(?=[\s"'&,;)}\]]|$)"""
_SENSITIVE_KEYS = (
    "client_secret|clientsecret|secret|password|passwd|access_token|accesstoken|refresh_token|"
    "id_token|token|client_assertion|assertion|authorization|api_key|apikey|private_key"
)
# key=value (form bodies, query strings, our own fields) and "key": "value" (JSON). A
# quoted value is masked up to its closing quote, so secrets with spaces do not leak. A URL
# is not a secret ("token": "https://…/as/token" names an endpoint): it stays whole, and a
# secret inside its query string is still caught by its own key (…?client_secret=…).
_KV_PATTERN = rf"""(?ix)
    (?P<key>["']?\b(?:{_SENSITIVE_KEYS})\b["']?)
    (?P<sep>\s*[:=]\s*)
    (?:
        "(?!<redacted)(?!https?://)(?P<dq>(?:[^"\\]|\\.)+)"
      | '(?!<redacted)(?!https?://)(?P<sq>[^']+)'
      | (?P<value>(?!\*{{3}})(?!<redacted)(?!https?://)(?!(?:Bearer|Basic|DPoP)\s)[^\s"'&,;}}]+)
    )
    """
_PEM_PATTERN = r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"
# What any of the patterns above needs to match: a separator (key=value, "key": "value"), a
# JWT's start, a PEM's start, or an auth scheme followed by a space. Case-insensitive and
# without word boundaries: broader than the patterns, never narrower.
_TRIGGER_PATTERN = r"[:=]|eyj|-----begin|(?:bearer|basic|dpop)\s"


class _Patterns(NamedTuple):
    trigger: re.Pattern[str]
    jwt: re.Pattern[str]
    auth: re.Pattern[str]
    kv: re.Pattern[str]
    sensitive_field: re.Pattern[str]
    pem: re.Pattern[str]


@functools.cache
def _rx() -> _Patterns:
    """The redaction patterns, compiled once on first use."""
    return _Patterns(
        trigger=re.compile(_TRIGGER_PATTERN, re.IGNORECASE),
        jwt=re.compile(_JWT_PATTERN),
        auth=re.compile(_AUTH_PATTERN, re.IGNORECASE),
        kv=re.compile(_KV_PATTERN),
        sensitive_field=re.compile(rf"(?i)(?:{_SENSITIVE_KEYS})"),
        pem=re.compile(_PEM_PATTERN, re.DOTALL),
    )


def _kv_sub(m: re.Match[str]) -> str:
    q = '"' if m.group("dq") is not None else "'" if m.group("sq") is not None else ""
    return f"{m.group('key')}{m.group('sep')}{q}<redacted>{q}"


def _builtin_redact(text: str) -> str:
    if not text:
        return text
    if not _rx().trigger.search(text):
        # None of the patterns below can match (each needs one of the trigger's pieces, and
        # masking a known value cannot create one: "<redacted:hex>" holds no trigger but its
        # colon, and the word before that colon is no sensitive key), so only known values
        # remain to mask: the same result for a fraction of the cost. Most event fields
        # (ids, counts, kinds) take this path. tests/test_logging.py checks the equivalence.
        return _mask_known(text)
    return _full_redact(text)


def _full_redact(text: str) -> str:
    rx = _rx()
    # Secret-named fields first: a known secret that happens to be part of a key name
    # ("secret" in "client_secret=VALUE") must not break the key=value rule and leak VALUE.
    text = rx.kv.sub(_kv_sub, text)
    text = _mask_known(text)
    text = rx.pem.sub("<redacted:private-key>", text)
    text = rx.jwt.sub(lambda m: f"<jwt:{fingerprint(m.group(0))}>", text)
    text = rx.auth.sub(lambda m: f"{m.group(1)} <redacted>", text)
    return rx.kv.sub(_kv_sub, text)


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
        if _rx().sensitive_field.fullmatch(k) and not isinstance(v, Secret)
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
