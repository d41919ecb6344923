"""Redaction masks values that are secrets, not values that sit under a secret-sounding key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from canary import CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker._core import _known
from httpx_pingone_worker._core._logging import forget_secret, redact, register_secret

URL = "https://auth.example.test/0d9c8b7a/as/token"


@pytest.fixture(autouse=True)
def _empty_registry() -> Iterator[None]:
    """Start without values other tests in this worker registered; put them back after."""
    with _known._isolated_registry():
        yield


@pytest.mark.parametrize(
    "text",
    [
        f'"token": "{URL}"',
        f"token={URL}",
        f"'token': '{URL}'",
        f"issuer={URL} token_endpoint={URL}",
    ],
)
def test_urls_are_shown_whole(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("token=opaque-value-123456", "opaque-value-123456"),
        ('"password": "correct horse battery"', "correct horse battery"),
        ("client_assertion=abc.def.ghi", "abc.def.ghi"),
        (f"{URL}?client_secret=s3cr3t-in-query&x=1", "s3cr3t-in-query"),
        ("Authorization: Bearer abcdefghijkl", "abcdefghijkl"),
        ("note eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", "eyJhbGciOiJSUzI1NiJ9"),
    ],
)
def test_secret_values_are_masked(text: str, hidden: str) -> None:
    out = redact(text)
    assert hidden not in out
    assert "<redacted" in out or "<jwt:" in out


def test_registered_secret_inside_a_url_is_masked() -> None:
    register_secret(CANARY_SECRET)
    register_secret(CANARY_TOKEN)
    try:
        out = redact(f'"token": "{URL}/{CANARY_SECRET}" token={CANARY_TOKEN}')
        assert_no_canary(out)
        assert URL in out
    finally:
        forget_secret(CANARY_SECRET)
        forget_secret(CANARY_TOKEN)


def test_a_known_secret_inside_a_key_name_does_not_unmask_the_value() -> None:
    """Registering a word that is part of a key name cannot leak that key's value."""
    value = "Zq8-unregistered-value-4711"
    register_secret("client_secret")  # part of the key name below, long enough to register
    out = redact(f"posting client_secret={value} now")
    assert value not in out
