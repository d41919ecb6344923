"""The ``Secret`` type and token fingerprints."""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any, NoReturn, ParamSpec, TypeVar

__all__ = [
    "Secret",
    "SecretProvider",
    "fingerprint",
    "sealed_frames",
    "take_secret",
    "wrap_secret_overrides",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: A ``secret_provider=``: returns the client secret, asked again after ``invalid_client``.
SecretProvider = Callable[[], "str | Secret | None"]

_MASK = "**********"


class Secret:
    """A string that never shows itself by accident.

    ``repr``, ``str`` and ``format`` print a mask; pickling is refused (a pickle is a
    file on disk or bytes on a pipe); equality runs in constant time. The raw value
    comes out only through [`get_secret_value`][httpx_pingone_worker.Secret.get_secret_value].

    ```pycon
    >>> s = Secret("hunter2")
    >>> s
    Secret('**********')
    >>> f"{s}"
    '**********'
    ```
    """

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str | Secret) -> None:
        raw: object = value.get_secret_value() if isinstance(value, Secret) else value
        if not isinstance(raw, str):
            kind = type(raw).__name__
            del value, raw  # not left in this frame's locals for a traceback to print
            raise TypeError(
                f"Secret() takes a str, not {kind}; decode bytes first (the value itself is "
                "not shown)"
            )
        object.__setattr__(self, "_value", raw)

    def get_secret_value(self) -> str:
        """Return the raw value. Keep it out of logs, exceptions and files."""
        value: str = object.__getattribute__(self, "_value")
        return value

    def fingerprint(self) -> str:
        """First 8 hex characters of the value's SHA-256: safe to log, enough to tell apart."""
        return fingerprint(self.get_secret_value())

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Secret is immutable")

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return format(_MASK, format_spec)

    def __bool__(self) -> bool:
        return bool(self.get_secret_value())

    def __len__(self) -> int:
        return len(self.get_secret_value())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return hmac.compare_digest(
                self.get_secret_value().encode(), other.get_secret_value().encode()
            )
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", hashlib.sha256(self.get_secret_value().encode()).digest()))

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "Secret refuses to be pickled: that would write the raw value to bytes. "
            "Pass get_secret_value() explicitly where you really mean to."
        )

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        self.__reduce__()

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    # pytest's assertion rewriting and --showlocals use repr(): already masked.


def take_secret(value: object, *, allow_bytes: bool = False) -> tuple[Secret | None, str | None]:
    """Wrap a caller's secret at the first line that sees it: ``(Secret or None, problem)``.

    A constructor rebinds its parameter to the result (``client_secret, bad =
    take_secret(client_secret)``), so no frame a later failure unwinds through (``pytest -l``,
    ``TracebackException(capture_locals=True)``) holds the raw value. Blank values (empty or
    whitespace only) become ``None``. ``problem`` names what was wrong with a value of the
    wrong type (the value itself is dropped, never shown); the caller raises for it.
    ``allow_bytes`` accepts UTF-8 bytes (a PEM key read from a file).
    """
    if value is None:
        return None, None
    if isinstance(value, bytes) and allow_bytes:
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None, "bytes that are not UTF-8"
    if isinstance(value, Secret):
        secret = value
    elif isinstance(value, str):
        secret = Secret(value)
    else:
        return None, f"a {type(value).__name__}"
    return (secret if secret.get_secret_value().strip() else None), None


def wrap_secret_overrides(overrides: dict[str, Any]) -> None:
    """Wrap a ``client_secret`` / ``private_key`` among a constructor's ``**overrides`` in
    place, on the first line that sees them (``overrides`` is a local of the caller's frame;
    blank becomes ``None``: not given; a key of the wrong type is left for the constructor to
    name)."""
    if isinstance(overrides.get("client_secret"), str):
        overrides["client_secret"] = take_secret(overrides["client_secret"])[0]
    if isinstance(overrides.get("private_key"), (str, bytes)):
        key, problem = take_secret(overrides["private_key"], allow_bytes=True)
        if problem is None:
            overrides["private_key"] = key


def sealed_frames(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    """Errors of ``fn`` leave without ``fn``'s frames (and deeper ones) in their traceback.

    For parsers whose locals hold a whole file's text or a token response (a secret or a
    token among them): their error messages say what was wrong, so the frames would add
    nothing but the value to ``pytest -l`` and ``TracebackException(capture_locals=True)``.
    An error raised ``from None`` also loses its hidden ``__context__`` (a
    ``UnicodeDecodeError`` or ``JSONDecodeError`` carries the parsed text). The wrapper's
    own frame drops the arguments before re-raising.
    """

    @functools.wraps(fn)
    def sealed(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - re-raised as it is, only its frames dropped
            del args, kwargs  # this frame stays in the traceback: not the arguments
            if exc.__suppress_context__:
                exc.__context__ = None
            raise exc.with_traceback(None)  # noqa: B904 - the same exception, not a new one

    return sealed


def fingerprint(value: str | bytes | Secret) -> str:
    """Short, non-reversible identifier for a token or secret (8 hex chars of SHA-256)."""
    if isinstance(value, Secret):
        value = value.get_secret_value()
    if isinstance(value, str):
        value = value.encode()
    return hashlib.sha256(value).hexdigest()[:8]
