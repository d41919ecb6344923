"""Strategies and assertions shared by the property-based (hypothesis) tests.

The one property every test checks: bad input ends in a ``PingOneError`` subclass (or the
documented console exit status) whose text holds no canary secret; never a builtin
exception, never a hang.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import strategies as st

from canary import CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import PingOneError

T = TypeVar("T")

#: A secret-looking value hidden inside inputs: it must never show up in a message.
CANARY = CANARY_SECRET

# --- assertions --------------------------------------------------------------------------


def library_error(
    call: Callable[[], T], expected: type[PingOneError] | tuple[type[PingOneError], ...]
) -> PingOneError | T:
    """Run ``call``; return its result, or the library error it raised (checked for leaks).

    Any other exception propagates and fails the test: that is the bug being hunted.
    """
    try:
        return call()
    except PingOneError as exc:
        error = exc
    assert isinstance(error, expected), f"{type(error).__name__} is not {expected}: {error}"
    assert_no_canary(str(error) + repr(error) + str(error.hint or ""))
    assert error.message.strip(), "an error must say what was wrong"
    return error


def raises_library_error(
    call: Callable[[], Any], expected: type[PingOneError] | tuple[type[PingOneError], ...]
) -> PingOneError:
    """Like :func:`library_error`, but a result (no error) fails the test."""
    outcome = library_error(call, expected)
    assert isinstance(outcome, PingOneError), f"accepted bad input, got {outcome!r}"
    return outcome


# --- JSON bodies -------------------------------------------------------------------------

#: Literals that are not valid JSON numbers, or that overflow a float / Python's int limit.
BAD_NUMBER_LITERALS = (
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
    "-1e400",
    "9" * 400,
    "9" * 5000,
)

#: Each problem the fuzzing found once, as a minimal body.
KNOWN_BAD_BODIES = (
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"\xff\xfe{",
    b'{"x": NaN}',
    b'{"x": 1e400}',
    ('{"x": ' + "9" * 5000 + "}").encode(),
    b"<html>oops</html>",
    b"",
)


def json_scalars() -> st.SearchStrategy[Any]:
    """JSON scalars, the canary among the strings."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
        st.just(CANARY),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Nested JSON documents (small) holding scalars and the canary."""
    return st.recursive(
        json_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.text(max_size=10), st.just(CANARY)), inner, max_size=4),
        ),
        max_leaves=12,
    )


def number_literals() -> st.SearchStrategy[str]:
    """JSON text for a value where a number is expected: bad, huge, odd or fine."""
    return st.one_of(
        st.sampled_from(BAD_NUMBER_LITERALS),
        st.sampled_from(["0", "-1", "1.5", "true", "null", '"12"', f'"{"9" * 4301}"', "1e12"]),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.integers(min_value=300, max_value=6000).map(lambda n: "9" * n),
    )


def garbage_bodies() -> st.SearchStrategy[bytes]:
    """Bytes a broken or hostile server might send where JSON is expected."""
    return st.one_of(
        st.sampled_from(KNOWN_BAD_BODIES),
        st.binary(max_size=200),
        st.text(max_size=200).map(str.encode),
        st.integers(min_value=1, max_value=200_000).map(lambda n: b"[" * n),
        st.integers(min_value=1, max_value=200_000).map(lambda n: b'{"a":' * n),
        st.sampled_from(BAD_NUMBER_LITERALS).map(lambda s: f'{{"n": {s}}}'.encode()),
        json_values().map(lambda v: json.dumps(v).encode()),
        st.integers(min_value=2, max_value=300_000).map(lambda n: b" " * n + b"{}"),
    )


def object_with(raw: dict[str, str], base: dict[str, Any] | None = None) -> bytes:
    """A JSON object (as bytes): ``base`` fields plus ``raw`` fields given as raw JSON text."""
    parts = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in (base or {}).items()]
    parts += [f"{json.dumps(k)}: {v}" for k, v in raw.items()]
    return ("{" + ", ".join(parts) + "}").encode()


# --- URLs --------------------------------------------------------------------------------

#: URLs that broke urllib's splitting or quoted a secret-looking host in its error.
KNOWN_BAD_URLS = (
    "https://[x",
    "https://[::1",
    f"https://{CANARY}\uff03x/as",
    f"https://{CANARY}.example\uff0fx",
    "https://auth.pingone.com\x00/as",
    f"https://{CANARY}:99999999/",
    f"https://{CANARY}:port/",
    "http://[",
    "https://]",
    "https://\u2100.example",
    f"{CANARY}",
    "https://",
    " ",
)


def hostile_urls() -> st.SearchStrategy[str]:
    """Strings passed where a URL is expected, the canary often in the host."""
    alphabet = st.characters(blacklist_categories=("Cs",))
    return st.one_of(
        st.sampled_from(KNOWN_BAD_URLS),
        st.text(alphabet=alphabet, max_size=40),
        st.builds(
            lambda scheme, host, tail: f"{scheme}://{host}{tail}",
            st.sampled_from(["https", "http", "HTTPS", "ftp", ""]),
            st.one_of(st.just(CANARY), st.text(alphabet=alphabet, max_size=12), st.just("[x")),
            st.text(alphabet=alphabet, max_size=12),
        ),
        st.builds(
            lambda host, ch: f"https://{host}{ch}x",
            st.just(CANARY),
            st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF),
        ),
    )


# --- JWTs --------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(header: bytes | str, payload: bytes | str) -> str:
    """``header.payload.sig`` from raw JSON text (not validated: it may be garbage)."""
    h = header.encode() if isinstance(header, str) else header
    p = payload.encode() if isinstance(payload, str) else payload
    return f"{b64url(h)}.{b64url(p)}.{b64url(b'sig')}"
