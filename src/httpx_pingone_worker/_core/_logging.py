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
import itertools
import logging
import re
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, NamedTuple

from ._events import ROOT_LOGGER, EventKind, LogEvent
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

# Two registries. Secrets (client secrets, private keys, values callers register) stay
# masked for as long as the object holding them lives: a `Secret` is released when it is
# garbage collected, a plain str is kept for the life of the process. Access tokens rotate
# through a bounded LRU: a token is worthless after it expires, and a long-running service
# fetches thousands of them, which must never push a secret out.
_KNOWN_LOCK = threading.Lock()
_KNOWN: OrderedDict[str, None] = OrderedDict()  # access tokens, most recent last
_KNOWN_MAX = 512
_SECRETS: dict[str, int] = {}  # raw value -> number of live registrations
_HOLDERS: dict[int, weakref.ref[Secret]] = {}  # id(Secret) -> its weak reference
# Filled by GC callbacks: (id of the Secret, its weak reference, raw value, registry generation).
_RELEASED: deque[tuple[int, weakref.ref[Secret], str, int]] = deque()
# The registry's generation: always 0 outside tests. `_isolated_registry` (tests) swaps the
# registries out under a new, higher generation; a release from an older generation is kept
# in _PENDING and applied when that generation's registries are back, one from a newer
# (ended) generation is dropped with its registries.
_GENERATION = [0]
_PENDING: dict[int, list[tuple[int, weakref.ref[Secret], str, int]]] = {}
_GENERATIONS = itertools.count(1)
_MIN_KNOWN_LEN = 6
# With many values registered (a long test session or service keeps up to 512 tokens), one
# substring search per value and per redacted text adds up: above _INDEX_FROM values, a text
# is first checked against an index of every value's first _MIN_KNOWN_LEN characters, and
# only a text that holds a value is masked. Cleared on every change, rebuilt on next use.
# A built index is never changed (a reader keeps using its own reference): a change replaces it.
_INDEX: list[dict[str, tuple[str, ...]] | None] = [None]
_INDEX_FROM = 32

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


def _drain_released() -> None:
    """Drop the registrations of `Secret` objects collected since the last call (lock held).

    The weakref callbacks only append to a deque: they may run inside any allocation,
    including one made while this thread holds the (non-reentrant) lock.
    """
    while _RELEASED:
        release = _RELEASED.popleft()
        if release[3] < _GENERATION[0]:  # registered before an isolated registry (tests)
            _PENDING.setdefault(release[3], []).append(release)
        elif release[3] == _GENERATION[0]:
            _apply_release(*release[:3])
        # else: registered in an isolated registry that has ended (dropped whole)


def _apply_release(key: int, ref: weakref.ref[Secret], raw: str) -> None:
    """Drop one registration of a collected `Secret` (lock held)."""
    if _HOLDERS.get(key) is ref:
        del _HOLDERS[key]
    count = _SECRETS.get(raw, 0) - 1
    if count > 0:
        _SECRETS[raw] = count
    else:
        _SECRETS.pop(raw, None)
        _INDEX[0] = None


def _released(key: int, raw: str, generation: int, ref: weakref.ref[Secret]) -> None:
    """A held `Secret` was collected: queue its release (see `_drain_released`)."""
    _RELEASED.append((key, ref, raw, generation))


def register_secret(value: str | Secret | None) -> None:
    """Mask every later occurrence of ``value`` in library log output.

    The library registers client secrets and private keys itself; call this for other
    values you know must never be logged. A value you register stays masked for the life
    of the process. Access tokens the library sees rotate through a separate bounded
    registry and can never push a secret out.
    """
    if value is None:
        return
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    if len(raw) < _MIN_KNOWN_LEN:
        return
    with _KNOWN_LOCK:
        _drain_released()
        # Pinned: a count no release can bring to zero.
        _SECRETS[raw] = _SECRETS.get(raw, 0) + (1 << 40)
        _INDEX[0] = None


def register_held_secret(secret: Secret | None) -> None:
    """Mask ``secret`` for as long as this `Secret` object lives (the library's own secrets).

    The object holding the secret (an auth, its engine, a client) keeps the `Secret`; when
    it is garbage collected the registration goes with it, so a long-running service that
    builds and drops many auths does not grow the registry. Several objects holding the
    same value keep it registered until the last one is gone.
    """
    if secret is None:
        return
    raw = secret.get_secret_value()
    if len(raw) < _MIN_KNOWN_LEN:
        return
    with _KNOWN_LOCK:
        _drain_released()
        key = id(secret)
        held = _HOLDERS.get(key)
        if held is not None and held() is secret:
            return  # this object is registered already
        ref = weakref.ref(secret, functools.partial(_released, key, raw, _GENERATION[0]))
        _HOLDERS[key] = ref
        if raw not in _SECRETS:
            _INDEX[0] = None
        _SECRETS[raw] = _SECRETS.get(raw, 0) + 1


def register_token(value: str | Secret | None) -> None:
    """Mask an access token in later log output; the most recent 512 tokens are kept.

    For values that expire on their own (access tokens). A token that is also registered
    as a secret stays masked as long as the secret registration lasts.
    """
    if value is None:
        return
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    if len(raw) < _MIN_KNOWN_LEN:
        return
    with _KNOWN_LOCK:
        if raw not in _KNOWN:
            _INDEX[0] = None
        _KNOWN[raw] = None
        _KNOWN.move_to_end(raw)
        while len(_KNOWN) > _KNOWN_MAX:
            _KNOWN.popitem(last=False)
            _INDEX[0] = None


def forget_secret(value: str | Secret) -> None:
    """Remove a value from both registries (tests)."""
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    with _KNOWN_LOCK:
        _drain_released()
        _KNOWN.pop(raw, None)
        _SECRETS.pop(raw, None)
        _INDEX[0] = None


@contextmanager
def _isolated_registry() -> Iterator[None]:
    """Run with empty registries and put the previous ones back afterwards (tests)."""
    with _KNOWN_LOCK:
        _drain_released()
        known, secrets, holders = dict(_KNOWN), dict(_SECRETS), dict(_HOLDERS)
        outer = _GENERATION[0]
        _GENERATION[0] = next(_GENERATIONS)
        _KNOWN.clear()
        _SECRETS.clear()
        _HOLDERS.clear()
        _INDEX[0] = None
    try:
        yield
    finally:
        with _KNOWN_LOCK:
            _drain_released()
            _PENDING.pop(_GENERATION[0], None)  # the isolated registries are dropped whole
            _GENERATION[0] = outer
            _KNOWN.clear()
            _KNOWN.update(known)
            _SECRETS.clear()
            _SECRETS.update(secrets)
            _HOLDERS.clear()
            _HOLDERS.update(holders)
            _INDEX[0] = None
            for release in _PENDING.pop(outer, []):  # outer Secrets collected meanwhile
                _apply_release(*release[:3])


def _mask_known(text: str) -> str:
    with _KNOWN_LOCK:
        _drain_released()
        few = len(_SECRETS) + len(_KNOWN) <= _INDEX_FROM
        known = [*_SECRETS, *_KNOWN] if few else []
        index = None if few else _known_index()
    if index is None:
        return _mask_all(text, known)
    if not _holds_known(text, index):
        return text  # exact: no value occurs, so the loop would replace nothing
    with _KNOWN_LOCK:
        known = [*_SECRETS, *_KNOWN]
    return _mask_all(text, known)


def _known_index() -> dict[str, tuple[str, ...]]:
    """Every registered value by its first `_MIN_KNOWN_LEN` characters (lock held)."""
    index = _INDEX[0]
    if index is None:
        grouped: dict[str, list[str]] = {}
        for raw in (*_SECRETS, *_KNOWN):
            grouped.setdefault(raw[:_MIN_KNOWN_LEN], []).append(raw)
        index = _INDEX[0] = {k: tuple(v) for k, v in grouped.items()}
    return index


def _holds_known(text: str, index: dict[str, tuple[str, ...]]) -> bool:
    """Whether any indexed value occurs in `text`."""
    width = _MIN_KNOWN_LEN
    for i in range(len(text) - width + 1):
        values = index.get(text[i : i + width])
        if values is not None and any(text.startswith(v, i) for v in values):
            return True
    return False


def _mask_all(text: str, known: list[str]) -> str:
    """Replace each of `known` (in order) found in `text` by its placeholder."""
    for raw in known:
        if raw in text:
            text = text.replace(raw, f"<redacted:{fingerprint(raw)}>")
    return text


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
