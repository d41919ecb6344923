"""The ``Secret`` type and token fingerprints."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, NoReturn

__all__ = ["Secret", "fingerprint"]

_MASK = "**********"


class Secret:
    """A string that never shows itself by accident.

    ``repr``, ``str`` and ``format`` print a mask; pickling is refused (a pickle is a
    file on disk or bytes on a pipe); equality runs in constant time. The raw value
    comes out only through :meth:`get_secret_value`.

    >>> s = Secret("hunter2")
    >>> s
    Secret('**********')
    >>> f"{s}"
    '**********'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.get_secret_value()
        if not isinstance(value, str):
            raise TypeError(
                f"Secret() takes a str, not {type(value).__name__}; "
                "decode bytes first (the value itself is not shown)"
            )
        object.__setattr__(self, "_value", value)

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


def fingerprint(value: str | bytes | Secret) -> str:
    """Short, non-reversible identifier for a token or secret (8 hex chars of SHA-256)."""
    if isinstance(value, Secret):
        value = value.get_secret_value()
    if isinstance(value, str):
        value = value.encode()
    return hashlib.sha256(value).hexdigest()[:8]
