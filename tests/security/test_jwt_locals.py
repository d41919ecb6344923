"""Verifying or decoding a JWT that fails keeps the token out of every frame's locals.

A token that expired, has the wrong issuer or a bad signature is a bearer token a service
received; ``pytest -l`` of a failing verification must not print it (nor its parts: the
signature completes it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
from leak_support import assert_failure_hides_canary

from httpx_pingone_worker import Secret, averify_jwt, decode_jwt, verify_jwt
from httpx_pingone_worker.emulator import PingOneEmulator


@pytest.fixture(scope="module")
def issued() -> tuple[Secret, dict[str, Any], str]:
    """An emulator-signed token (wrapped: the test's frames must not hold it raw either),
    the emulator's JWKS and its issuer."""
    emu = PingOneEmulator()
    token = emu.issue_token()
    jwks = emu.jwks
    return token, jwks, emu.issuer


def _needles(token: Secret) -> list[str]:
    """The token and slices of its payload and signature (the header prefix is common)."""
    raw = token.get_secret_value()
    _head, payload, sig = raw.split(".")
    return [raw, payload[8:40], payload[-32:], sig[8:40], sig[-32:]]


CASES: dict[str, dict[str, Any]] = {
    "expired": {"now": time.time() + 10**7},
    "not yet valid": {"now": 10.0},
    "wrong issuer": {"issuer": "https://idp.example/as"},
    "wrong audience": {"audience": "https://other.example"},
    "no keys": {"jwks": {"keys": []}},
    "no key source": {"jwks": None},
    "NaN leeway": {"leeway": float("nan")},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_failed_verification_hides_the_token(
    case: str, issued: tuple[Secret, dict[str, Any], str]
) -> None:
    """`verify_jwt` / `averify_jwt` given the raw token string: it is in no frame or chain."""
    token, jwks, issuer = issued
    kwargs: dict[str, Any] = {"jwks": jwks, "issuer": issuer, **CASES[case]}
    calls: list[Callable[[], object]] = [
        lambda: verify_jwt(token.get_secret_value(), **kwargs),
        lambda: asyncio.run(averify_jwt(token.get_secret_value(), **kwargs)),
    ]
    for call in calls:
        assert_failure_hides_canary(call, *_needles(token))


def test_bad_signature_hides_the_token(issued: tuple[Secret, dict[str, Any], str]) -> None:
    """A token whose signature does not verify: its parts are in no frame."""
    token, jwks, issuer = issued
    raw = token.get_secret_value()
    forged = Secret(raw[:-8] + ("A" * 8 if not raw.endswith("A" * 8) else "B" * 8))
    assert_failure_hides_canary(
        lambda: verify_jwt(forged.get_secret_value(), jwks=jwks, issuer=issuer),
        *_needles(forged),
    )


def test_malformed_token_hides_its_parts(issued: tuple[Secret, dict[str, Any], str]) -> None:
    """`decode_jwt` of a token whose payload is not JSON: the parts are in no frame."""
    token, _, _ = issued
    head, payload, sig = token.get_secret_value().split(".")
    broken = Secret(f"{head}.{payload[:-6]}!!!!!!.{sig}")
    assert_failure_hides_canary(lambda: decode_jwt(broken.get_secret_value()), sig[8:40])
