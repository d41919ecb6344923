"""The console against bad arguments, in-process (arguments and flags).

Bad input is documented as exit status 2 (usage or configuration error); 70 (internal error)
means a crash and must never happen; no canary may appear on stdout or stderr.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from fuzz_support import (
    BAD_NUMBER_LITERALS,
    CANARY,
    KNOWN_BAD_URLS,
    garbage_bodies,
    number_literals,
    unsigned_jwt,
)
from hypothesis import assume, example, given
from hypothesis import strategies as st

from canary import assert_no_canary
from httpx_pingone_worker.cli import main

EXIT_USAGE = 2
ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
GOOD_TOKEN = unsigned_jwt('{"alg":"RS256"}', '{"exp": 2000000000, "sub": "x"}')


def run(*args: str) -> tuple[int, str]:
    """``pingone-worker ARGS`` in-process: exit status and stdout+stderr."""
    out, err = io.StringIO(), io.StringIO()
    stdin, sys.stdin = sys.stdin, io.StringIO("")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = stdin
    text = out.getvalue() + err.getvalue()
    assert_no_canary(text)
    return code, text


@pytest.fixture(autouse=True)
def _no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@given(literal=number_literals())
@example(literal="1e400")
@example(literal="99999999999999999")
@example(literal="NaN")
@example(literal="Infinity")
def test_decode_with_any_exp(literal: str) -> None:
    """`decode` of a token with any exp: exit 0 with readable times, or exit 2 saying why."""
    code, text = run("decode", unsigned_jwt('{"alg":"RS256"}', f'{{"exp": {literal}}}'))
    assert code in (0, EXIT_USAGE), text
    if code == EXIT_USAGE:
        assert "exp" in text or "JSON" in text, text


@given(header=garbage_bodies(), payload=garbage_bodies())
@example(header=b"[" * 100_000, payload=b"{}")
def test_decode_garbage_parts_is_a_usage_error(header: bytes, payload: bytes) -> None:
    """`decode` of a token whose parts are garbage: 0 (it decoded) or 2 (bad input)."""
    # decode prints the claims it could read: that is its job, not a leak.
    assume(CANARY.encode() not in header + payload)
    code, text = run("decode", unsigned_jwt(header, payload))
    assert code in (0, EXIT_USAGE), text


@given(text=st.text(min_size=1, max_size=80).filter(lambda s: not s.startswith(("-", "@"))))
@example(text="garbage")
@example(text=CANARY)
def test_decode_any_string(text: str) -> None:
    """`decode <anything>`: exit 0 or 2, never 1 or 70."""
    if not text.strip():
        return
    code, out = run("decode", text)
    assert code in (0, EXIT_USAGE), out


def test_decode_garbage_exits_2() -> None:
    """The documented status for bad input: `decode garbage` exits 2."""
    code, text = run("decode", "garbage")
    assert code == EXIT_USAGE, text


@given(blob=st.binary(min_size=1, max_size=200))
@example(blob=b"\xff\xfe\xfd")
def test_decode_at_file_with_any_bytes(tmp_path: Path, blob: bytes) -> None:
    """`decode @FILE` with non-UTF-8 or garbage bytes: exit 0 or 2."""
    path = tmp_path / "token.txt"
    path.write_bytes(blob)
    code, text = run("decode", f"@{path}")
    assert code in (0, EXIT_USAGE), text


def test_decode_at_file_non_utf8_exits_2(tmp_path: Path) -> None:
    """Non-UTF-8 token file: exit 2 naming the problem."""
    path = tmp_path / "token.txt"
    path.write_bytes(b"\xff\xfe" + GOOD_TOKEN.encode())
    code, text = run("decode", f"@{path}")
    assert code == EXIT_USAGE, text
    assert "UTF-8" in text


@pytest.mark.parametrize("url", KNOWN_BAD_URLS)
def test_verify_with_a_bad_jwks_url_exits_2(url: str) -> None:
    """`verify --jwks-url <bad URL>` is a usage error (2), not a failed fetch (1)."""
    code, text = run("verify", GOOD_TOKEN, "--jwks-url", url, "--issuer", "https://i.example")
    assert code == EXIT_USAGE, text


@pytest.mark.parametrize("url", KNOWN_BAD_URLS)
def test_auth_base_url_flag_exits_2(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """`--auth-base-url <bad URL>` is a usage error before any network call."""
    monkeypatch.setenv("PINGONE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", ENV)
    code, text = run("token", "--auth-base-url", url)
    assert code == EXIT_USAGE, text


@given(
    flag=st.sampled_from(["--timeout", "--retries"]),
    value=st.one_of(
        st.sampled_from(["nan", "-1", "inf", "-5", "1e400", "", CANARY, *BAD_NUMBER_LITERALS]),
        st.text(max_size=12),
    ),
)
@example(flag="--timeout", value="nan")
@example(flag="--timeout", value="-1")
@example(flag="--retries", value="-5")
@example(flag="--timeout", value=CANARY)
def test_timeout_and_retries_flags(flag: str, value: str) -> None:
    """--timeout/--retries: a sane value runs; anything else exits 2 without echoing it."""
    code, text = run("decode", GOOD_TOKEN, f"{flag}={value}")
    convert = float if flag == "--timeout" else int
    try:
        number = convert(value)
    except (ValueError, OverflowError):
        sane = False
    else:
        sane = 0 < number <= 3600 if flag == "--timeout" else 0 <= number <= 100
    if sane:
        assert code == 0, text
    else:
        assert code == EXIT_USAGE, text


@given(value=st.one_of(st.just(CANARY), st.text(max_size=30)))
@example(value=CANARY)
def test_region_flag_never_echoes(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """--region <anything>: exit 0/2 for decode (region unused), never the value echoed."""
    code, text = run("decode", GOOD_TOKEN, f"--region={value}")
    assert code in (0, EXIT_USAGE), text
