"""Untrusted input, parsed in one place: JSON bodies, URLs, file paths and numbers.

Every parser of the library goes through these functions, so that bad input (from a
server, a file, an environment variable or a command line) ends in the
[`PingOneError`][httpx_pingone_worker.PingOneError] subclass the caller chooses, with a message
that says what was wrong and never quotes the input (it may hold a secret or a token):

- ``parse_json`` / ``load_json``: bounded size and nesting depth (a body of
  ``[`` repeated 100,000 times is a clear error, not a ``RecursionError``), UTF-8 checked, ``NaN`` /
  ``Infinity`` / ``1e400`` / numbers with hundreds of digits refused;
- ``split_url``: ``urlsplit`` whose ``ValueError`` (``https://[x``, full-width
  characters that NFKC-normalise into URL syntax, bad ports) and control characters
  become a ``ConfigurationError`` naming the setting, not the value;
- ``check_path``: a path with a NUL byte is a ``ConfigurationError``;
- ``finite_number`` / ``epoch_seconds``: a JSON number as a finite float, or
  ``None`` (``NaN``, ``inf``, ``10**400``, a year beyond 9999);
- ``finite_arg``: a numeric argument that guards a check (a leeway, a timeout, a
  ratio, a clock reading): ``NaN`` and ``inf`` are refused, since every comparison with
  ``NaN`` is false and a check written as ``now > exp + leeway`` would then pass.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import SplitResult, urlsplit

from ._errors import ConfigurationError, PingOneError

__all__ = [
    "MAX_EPOCH",
    "MAX_JSON_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_NUMBER_DIGITS",
    "BadJSON",
    "check_path",
    "checked_clock",
    "epoch_seconds",
    "finite_arg",
    "finite_number",
    "load_json",
    "parse_json",
    "split_url",
]

#: Largest JSON body parsed (bytes). PingOne's biggest answers (a page of 1,000 users with
#: custom attributes) are a few MB.
MAX_JSON_BYTES = 32 * 1024 * 1024
#: Deepest nesting accepted. PingOne bodies nest fewer than 10 levels.
MAX_JSON_DEPTH = 64
#: Most digits in one JSON integer (Python refuses more than 4,300; no PingOne value has 30).
MAX_NUMBER_DIGITS = 100
#: 9999-12-31T23:59:59Z: the last second ``datetime``/``time.localtime`` can show.
MAX_EPOCH = 253_402_300_799.0

_E = TypeVar("_E", bound=PingOneError)


class BadJSON(Exception):
    """Why a body is not usable JSON (``reason``, which never quotes the body).

    ``syntax`` is true when the body is not JSON at all (empty, HTML, not UTF-8, broken);
    false when it is JSON the library refuses (too big, too deep, NaN, huge numbers).
    """

    def __init__(self, reason: str, *, syntax: bool = False) -> None:
        self.reason = reason
        self.syntax = syntax
        super().__init__(reason)

    def describe(self, what: str) -> str:
        """``"<what> is not JSON (<reason>)"`` or ``"<what> is not usable JSON: <reason>"``."""
        if self.syntax:
            return f"{what} is not JSON ({self.reason})"
        return f"{what} is not usable JSON: {self.reason}"


def _reject_constant(name: str) -> NoReturn:
    raise BadJSON(f"it contains {name}, which is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJSON("it contains a number too large for a 64-bit float")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise BadJSON(f"it contains a number with more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


_DECODER = json.JSONDecoder(
    parse_float=_finite_float, parse_int=_bounded_int, parse_constant=_reject_constant
)


def _too_deep(value: Any, limit: int) -> bool:
    """True when ``value`` nests containers deeper than ``limit`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def parse_json(
    body: bytes | bytearray | memoryview | str,
    *,
    max_bytes: int = MAX_JSON_BYTES,
    max_depth: int = MAX_JSON_DEPTH,
) -> Any:
    """Parse ``body`` strictly, or raise ``BadJSON`` saying why (never quoting it).

    Bytes are decoded as UTF-8 (UTF-16/32 when their BOM/zero pattern says so, as
    ``json.loads`` does). Refused: empty bodies, HTML pages, bodies over ``max_bytes``,
    nesting deeper than ``max_depth``, ``NaN``/``Infinity``, floats that overflow and
    integers of more than ``MAX_NUMBER_DIGITS`` digits.
    """
    if isinstance(body, str):
        if len(body) > max_bytes:
            raise BadJSON(f"it is larger than {max_bytes} bytes")
        text = body
    else:
        raw = bytes(body)
        if len(raw) > max_bytes:
            raise BadJSON(f"it is larger than {max_bytes} bytes")
        try:
            text = raw.decode(json.detect_encoding(raw))
        except (UnicodeDecodeError, LookupError):
            raise BadJSON("it is not UTF-8 text", syntax=True) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    stripped = text.lstrip()
    if not stripped:
        raise BadJSON("it is empty", syntax=True)
    if stripped[0] == "<":
        raise BadJSON("it is an HTML/XML page", syntax=True)
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        raise BadJSON(f"it nests deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise BadJSON(f"invalid at line {exc.lineno}, column {exc.colno}", syntax=True) from None
    except ValueError:  # int() of a number past Python's own digit limit
        raise BadJSON(f"it contains a number with more than {MAX_NUMBER_DIGITS} digits") from None
    if text.count("[") + text.count("{") > max_depth and _too_deep(value, max_depth):
        raise BadJSON(f"it nests deeper than {max_depth} levels")
    return value


def load_json(
    body: bytes | bytearray | memoryview | str,
    *,
    what: str,
    exc_type: type[_E],
    hint: str | None = None,
    max_bytes: int = MAX_JSON_BYTES,
    **fields: Any,
) -> Any:
    """``parse_json``, raising ``exc_type`` with ``BadJSON.describe``'s message.

    ``fields`` are passed to the error (``error=``, ``status_code=``, ``correlation_id=`` …).
    """
    try:
        return parse_json(body, max_bytes=max_bytes)
    except BadJSON as exc:
        raise exc_type(exc.describe(what), hint=hint, **fields) from None


def split_url(url: str, *, what: str) -> SplitResult:
    """``urlsplit(url)`` with its host and port checked, or ``ConfigurationError``.

    Refused, naming ``what`` but never the value: control characters (NUL, CR, LF, tab …),
    an unbalanced IPv6 bracket (``https://[x``), characters that NFKC-normalise into URL
    syntax (a full-width number sign or solidus, U+FF03/U+FF0F, in the host), hosts httpx
    cannot encode, and ports that are not numbers.
    """
    if not isinstance(url, str):
        raise ConfigurationError(
            f"{what} must be a str, not {type(url).__name__}", hint="give a full https:// URL"
        )
    if _CONTROL_CHAR.search(url):
        raise ConfigurationError(
            f"{what} contains a control character (NUL, tab, newline …)",
            hint="check how the value was written or quoted; a URL has no control characters",
        )
    parts: SplitResult | None = None
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in 0..65535
        if parts.hostname and not _valid_host(parts.hostname):
            parts = None
    except ValueError:
        parts = None
    if parts is None:
        # Raised outside the except block: urllib's message quotes the netloc (a password, or
        # a secret pasted into the wrong place), and it must not ride along as __context__.
        raise ConfigurationError(
            f"{what} is not a valid URL (its host, port or characters cannot be parsed)",
            hint="give a full URL such as https://auth.pingone.com; IPv6 hosts need both "
            "brackets, and only ASCII punctuation separates URL parts",
        )
    return parts


_CONTROL_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_HOST_CHARS = re.compile(r"[a-z0-9._~%!$&'()*+,;=-]+")


def _valid_host(host: str) -> bool:
    """A host httpx can connect to: an IP literal, ASCII host characters, or a name IDNA
    can encode (a full-width character that is not a letter cannot be)."""
    if ":" in host:  # urlsplit keeps IPv6 literals' colons (brackets removed)
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    if host.isascii():
        return _HOST_CHARS.fullmatch(host) is not None
    import idna  # httpx's own dependency: the same rules httpx applies

    try:
        idna.encode(host)
    except (idna.IDNAError, UnicodeError, ValueError):
        return False
    return True


def check_path(value: Any, *, what: str) -> Path:
    """``value`` as an expanded ``Path``, or ``ConfigurationError``.

    Refused: values that are not paths and paths with a NUL byte (the OS cannot open them;
    ``pathlib`` raises a bare ``ValueError``).
    """
    try:
        text = os.fspath(value)
    except TypeError:
        raise ConfigurationError(
            f"{what} must be a path (str or os.PathLike), not {type(value).__name__}"
        ) from None
    if isinstance(text, bytes):
        try:
            text = os.fsdecode(text)
        except UnicodeDecodeError:
            raise ConfigurationError(f"{what} is not a decodable file name") from None
    if "\x00" in text:
        raise ConfigurationError(
            f"{what} contains a NUL byte",
            hint="a file path cannot contain \\0; check how the path was built or quoted",
        )
    if not text:
        raise ConfigurationError(f"{what} is empty", hint="give a file or directory path")
    return Path(text).expanduser()


def finite_number(value: Any) -> float | None:
    """A JSON number as a finite float; ``None`` for booleans, non-numbers, NaN, ±inf and
    integers too large for a float (``10**400``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def epoch_seconds(value: Any) -> float | None:
    """A JSON number usable as epoch seconds (``exp``, ``iat``, ``obtained_at`` …): a finite
    float within ±``MAX_EPOCH`` (year 9999), else ``None``."""
    number = finite_number(value)
    if number is None or abs(number) > MAX_EPOCH:
        return None
    return number


def checked_clock(clock: Callable[[], float], *, what: str = "clock") -> Callable[[], float]:
    """``clock`` wrapped so that a reading that is not a finite number raises
    ``ConfigurationError`` instead of reaching a freshness comparison (where ``NaN``
    would keep a token valid forever)."""

    def read() -> float:
        value = clock()
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or finite_number(value) is None
        ):
            shown = repr(value) if isinstance(value, float) else type(value).__name__
            raise ConfigurationError(
                f"{what}() returned {shown}, not a finite number of seconds",
                hint="pass a clock such as time.time that returns epoch seconds",
            )
        return float(value)

    return read


def finite_arg(
    value: Any,
    *,
    what: str,
    minimum: float | None = 0.0,
    positive: bool = False,
    exc: type[PingOneError] = ConfigurationError,
    hint: str | None = None,
    **error_fields: Any,
) -> float:
    """``value`` as a finite float not below ``minimum`` (above it when ``positive``).

    Raises ``exc`` (a ``ConfigurationError`` unless told, with ``error_fields``)
    naming ``what``: for a non-number, a bool, ``NaN``, ``±inf`` or a number out of range.
    ``NaN`` must never reach a comparison that guards a check: every comparison with it is
    false.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise exc(
            f"{what} must be a number, not {type(value).__name__}",
            hint=hint or f"pass {what} as an int or a float",
            **error_fields,
        )
    number = finite_number(value)
    if number is None:
        raise exc(
            f"{what} must be a finite number, not {float(value)!r}"
            if isinstance(value, float)
            else f"{what} is too large",
            hint=hint or "NaN and infinity are refused: they would switch the check off",
            **error_fields,
        )
    if minimum is not None and (number <= minimum if positive else number < minimum):
        raise exc(
            f"{what} must be {'>' if positive else '>='} {minimum:g}, not {number:g}",
            hint=hint,
            **error_fields,
        )
    return number
