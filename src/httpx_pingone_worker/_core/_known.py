"""The values log output never shows: registered secrets and recent access tokens.

`_logging.redact` masks every occurrence of a value registered here (`_mask_known`), before
its patterns run. Secrets (client secrets, private keys, values callers register) stay
registered for as long as the object holding them lives; access tokens rotate through a
bounded LRU. Thread-safe; a `Secret` collected by the garbage collector releases its
registration from a weakref callback, drained under the lock on the next use.
"""

from __future__ import annotations

import base64
import functools
import itertools
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote_plus

from ._secrets import Secret, fingerprint

__all__ = [
    "basic_credential",
    "forget_secret",
    "register_held_secret",
    "register_secret",
    "register_token",
]

# Two registries. Secrets (client secrets, private keys, values callers register) stay
# masked for as long as the object holding them lives: a `Secret` is released when it is
# garbage collected, a plain str is kept for the life of the process. Access tokens rotate
# through a bounded LRU: a token is worthless after it expires, and a long-running service
# fetches thousands of them, which must never push a secret out.
_KNOWN_LOCK = threading.Lock()
_KNOWN: OrderedDict[str, None] = OrderedDict()  # access tokens, most recent last
_KNOWN_MAX = 512
_SECRETS: dict[str, int] = {}  # raw value -> number of live registrations
_HOLDERS: dict[tuple[int, str], weakref.ref[Secret]] = {}  # (id(Secret), form) -> weak ref
# Filled by GC callbacks: (holder key, its weak reference, raw value, registry generation).
_RELEASED: deque[tuple[tuple[int, str], weakref.ref[Secret], str, int]] = deque()
# The registry's generation: always 0 outside tests. `_isolated_registry` (tests) swaps the
# registries out under a new, higher generation; a release from an older generation is kept
# in _PENDING and applied when that generation's registries are back, one from a newer
# (ended) generation is dropped with its registries.
_GENERATION = [0]
_PENDING: dict[int, list[tuple[tuple[int, str], weakref.ref[Secret], str, int]]] = {}
_GENERATIONS = itertools.count(1)
_MIN_KNOWN_LEN = 6
# With many values registered (a long test session or service keeps up to 512 tokens), one
# substring search per value and per redacted text adds up: above _INDEX_FROM values, a text
# is first checked against an index of every value's first _MIN_KNOWN_LEN characters, and
# only a text that holds a value is masked. Built on first use and kept current by every
# change (`_index_add`, `_index_discard`); rebuilt after an isolated registry (tests).
_INDEX: list[dict[str, tuple[str, ...]] | None] = [None]
_INDEX_FROM = 32


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


def _apply_release(key: tuple[int, str], ref: weakref.ref[Secret], raw: str) -> None:
    """Drop one registration of a collected `Secret` (lock held)."""
    if _HOLDERS.get(key) is ref:
        del _HOLDERS[key]
    count = _SECRETS.get(raw, 0) - 1
    if count > 0:
        _SECRETS[raw] = count
    else:
        _SECRETS.pop(raw, None)
        _index_discard(raw)


def _released(key: tuple[int, str], raw: str, generation: int, ref: weakref.ref[Secret]) -> None:
    """A held `Secret` was collected: queue its release (see `_drain_released`)."""
    _RELEASED.append((key, ref, raw, generation))


def _maskable(value: str | Secret | None) -> str | None:
    """The raw value to register, or `None` for none or one too short to mask safely."""
    if value is None:
        return None
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    return raw if len(raw) >= _MIN_KNOWN_LEN else None


def register_secret(value: str | Secret | None) -> None:
    """Mask every later occurrence of ``value`` in library log output.

    The library registers client secrets and private keys itself; call this for other
    values you know must never be logged. A value you register stays masked for the life
    of the process. Access tokens the library sees rotate through a separate bounded
    registry and can never push a secret out.
    """
    raw = _maskable(value)
    if raw is None:
        return
    with _KNOWN_LOCK:
        _drain_released()
        # Pinned: a count no release can bring to zero.
        _SECRETS[raw] = _SECRETS.get(raw, 0) + (1 << 40)
        _index_add(raw)


def basic_credential(client_id: str, secret: str) -> str:
    """The `client_secret_basic` credential: base64 of the form-encoded ``id:secret`` (RFC 6749
    section 2.3.1), what follows ``Basic `` in the header."""
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return base64.b64encode(pair).decode("ascii")


def register_held_secret(secret: Secret | None, *, basic_client_id: str | None = None) -> None:
    """Mask ``secret`` for as long as this `Secret` object lives (the library's own secrets).

    The object holding the secret (an auth, its engine, a client) keeps the `Secret`; when
    it is garbage collected the registration goes with it, so a long-running service that
    builds and drops many auths does not grow the registry. Several objects holding the
    same value keep it registered until the last one is gone. With ``basic_client_id`` the
    secret's HTTP Basic form (`basic_credential`) is masked too, for as long: a bare
    base64 credential matches no pattern.
    """
    raw = _maskable(secret)
    if secret is None or raw is None:
        return
    forms = [raw]
    if basic_client_id is not None:
        forms.append(basic_credential(basic_client_id, raw))
    with _KNOWN_LOCK:
        _drain_released()
        for form in forms:
            key = (id(secret), form)
            held = _HOLDERS.get(key)
            if held is not None and held() is secret:
                continue  # this object is registered already
            ref = weakref.ref(secret, functools.partial(_released, key, form, _GENERATION[0]))
            _HOLDERS[key] = ref
            _index_add(form)
            _SECRETS[form] = _SECRETS.get(form, 0) + 1


def register_token(value: str | Secret | None) -> None:
    """Mask an access token in later log output; the most recent 512 tokens are kept.

    For values that expire on their own (access tokens). A token that is also registered
    as a secret stays masked as long as the secret registration lasts.
    """
    raw = _maskable(value)
    if raw is None:
        return
    with _KNOWN_LOCK:
        _KNOWN[raw] = None
        _KNOWN.move_to_end(raw)
        _index_add(raw)
        while len(_KNOWN) > _KNOWN_MAX:
            evicted, _ = _KNOWN.popitem(last=False)
            _index_discard(evicted)


def forget_secret(value: str | Secret) -> None:
    """Remove a value from both registries (tests)."""
    raw = value.get_secret_value() if isinstance(value, Secret) else value
    with _KNOWN_LOCK:
        _drain_released()
        _KNOWN.pop(raw, None)
        _SECRETS.pop(raw, None)
        _index_discard(raw)


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


def _index_add(raw: str) -> None:
    """Keep a built index current after `raw` was registered (lock held). Each prefix's
    tuple is replaced, never changed, so a reader sees the old or the new one whole."""
    index = _INDEX[0]
    if index is not None:
        prefix = raw[:_MIN_KNOWN_LEN]
        values = index.get(prefix, ())
        if raw not in values:
            index[prefix] = (*values, raw)


def _index_discard(raw: str) -> None:
    """Keep a built index current after `raw` left one registry (lock held): it leaves the
    index only when neither registry holds it any more."""
    index = _INDEX[0]
    if index is not None and raw not in _SECRETS and raw not in _KNOWN:
        prefix = raw[:_MIN_KNOWN_LEN]
        values = tuple(v for v in index.get(prefix, ()) if v != raw)
        if values:
            index[prefix] = values
        else:
            index.pop(prefix, None)


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
