"""``Secret``: masked everywhere, unpicklable, constant-time equality, cheap copies."""

from __future__ import annotations

import copy
import hmac
import logging
import pickle
from typing import Any

import pytest

from canary import CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import Secret
from httpx_pingone_worker._core._secrets import fingerprint

MASK = "**********"


def test_masked_in_repr_str_format() -> None:
    """repr, str, format specs and f-strings show only the mask."""
    s = Secret(CANARY_SECRET)
    assert repr(s) == f"Secret('{MASK}')"
    assert str(s) == MASK
    assert f"{s}" == MASK
    assert f"{s!r}" == f"Secret('{MASK}')"
    assert f"{s:>12}" == f"  {MASK}"
    assert f"{s}" == MASK
    assert "%s" % s == MASK  # noqa: UP031 - the %-operator is what we test
    assert repr([s, {"k": s}]) == f"[Secret('{MASK}'), {{'k': Secret('{MASK}')}}]"


def test_raw_value_only_on_request() -> None:
    """get_secret_value returns the raw value; wrapping a Secret keeps it."""
    s = Secret(CANARY_SECRET)
    assert s.get_secret_value() == CANARY_SECRET
    assert Secret(s).get_secret_value() == CANARY_SECRET
    assert len(s) == len(CANARY_SECRET)
    assert bool(s)
    assert not Secret("")


def test_rejects_non_str() -> None:
    """Bytes and other types are rejected without showing the value."""
    with pytest.raises(TypeError) as info:
        Secret(CANARY_SECRET.encode())  # type: ignore[arg-type]
    assert_no_canary(str(info.value))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_refused(protocol: int) -> None:
    """Pickling refuses, under every protocol, even nested in a container."""
    with pytest.raises(TypeError, match="refuses to be pickled"):
        pickle.dumps(Secret(CANARY_SECRET), protocol=protocol)
    with pytest.raises(TypeError):
        pickle.dumps({"nested": [Secret(CANARY_SECRET)]}, protocol=protocol)


def test_immutable() -> None:
    """Attributes cannot be set."""
    s = Secret("value1")
    with pytest.raises(AttributeError):
        s._value = "other"  # type: ignore[misc]
    assert s.get_secret_value() == "value1"


def test_copy_returns_same_object() -> None:
    """copy and deepcopy return the (immutable) secret itself, without pickling."""
    s = Secret(CANARY_SECRET)
    assert copy.copy(s) is s
    assert copy.deepcopy(s) is s
    assert copy.deepcopy({"a": s})["a"] is s


def test_equality_and_hash() -> None:
    """Equal values compare equal and hash equal; a Secret never equals a plain str."""
    assert Secret("abcdef") == Secret("abcdef")
    assert Secret("abcdef") != Secret("abcdeg")
    assert Secret("abcdef") != "abcdef"
    assert hash(Secret("abcdef")) == hash(Secret("abcdef"))
    assert len({Secret("abcdef"), Secret("abcdef"), Secret("x")}) == 2


def test_equality_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comparison goes through hmac.compare_digest."""
    calls: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert Secret("same-value") == Secret("same-value")
    assert Secret("same-value") != Secret("other-value")
    assert len(calls) == 2


def test_non_ascii_secret() -> None:
    """Any printable characters are accepted (principle 6) and compare correctly."""
    assert Secret("päss wörd €") == Secret("päss wörd €")
    assert Secret("päss wörd €") != Secret("päss wörd $")


def test_fingerprint() -> None:
    """Fingerprints are 8 hex chars of SHA-256, equal for str, bytes and Secret."""
    fp = fingerprint(CANARY_SECRET)
    assert len(fp) == 8
    assert int(fp, 16) >= 0
    assert fingerprint(CANARY_SECRET.encode()) == fp
    assert Secret(CANARY_SECRET).fingerprint() == fp
    assert fingerprint(Secret(CANARY_SECRET)) == fp
    assert fingerprint("other") != fp


def test_logging_a_secret_shows_mask(caplog: pytest.LogCaptureFixture) -> None:
    """Passing a Secret to any logger (even not ours) logs the mask."""
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("someone.else").debug("secret is %s (%r)", Secret(CANARY_SECRET), 1)
    assert MASK in caplog.text
    assert_no_canary(caplog.text)
