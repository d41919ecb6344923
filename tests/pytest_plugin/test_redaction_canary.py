"""Failure reports (--showlocals -vvv, DEBUG logs) never show the secret or the full token."""

from __future__ import annotations

import json

import pytest

from canary import assert_no_canary

CONFTEST = """
import json
import pathlib

def record(credentials, token):
    # Written by a helper so that no local of the failing test holds a raw value.
    pathlib.Path("raw_values.json").write_text(json.dumps({
        "secret": credentials.client_secret.get_secret_value(),
        "token": token.access_token.get_secret_value(),
    }))
"""

FAILING = """
import conftest

def test_fails_on_purpose(pingone_emulator, pingone_credentials, pingone_auth, pingone_token,
                          pingone_introspection, pingone_client, pingone_worker_app,
                          pingone_environment, pingone_events, pingone_async_client):
    conftest.record(pingone_credentials, pingone_token)
    header = pingone_token.authorization_header
    state = {"creds": pingone_credentials, "token": pingone_token, "auth": pingone_auth}
    assert state == {"creds": pingone_credentials, "token": None}


def test_control(pingone_emulator):
    # Proves the outer search looks for the real secret: print it reversed.
    import os
    print("CONTROL", os.environ["PINGONE_CLIENT_SECRET"][::-1], "END")
"""


def test_failure_report_leaks_no_secret_or_token(ptr: pytest.Pytester) -> None:
    """A deliberately failing test that holds every fixture prints no raw secret or token."""
    ptr.makeconftest(CONFTEST)
    ptr.makepyfile(FAILING)
    result = ptr.runpytest("--showlocals", "-vvv", "--log-level=DEBUG", "-rA", "--full-trace")
    result.assert_outcomes(failed=1, passed=1)
    output = result.stdout.str() + result.stderr.str()
    # The run really showed the locals and the diff: the check below is not vacuous.
    assert "pingone_credentials = ClientCredentials(" in output
    assert "Token(fingerprint=" in output
    raw = json.loads((ptr.path / "raw_values.json").read_text())
    secret, token = raw["secret"], raw["token"]
    assert len(secret) >= 16
    assert len(token) >= 64
    assert f"CONTROL {secret[::-1]} END" in output  # the same (seeded) fake secret
    # The whole values, and slices of the token's claims and signature (a JWT's header
    # prefix is shared by every token, so it proves nothing).
    middle = len(token) // 2
    assert_no_canary(output, extra=[secret, token, token[middle : middle + 24], token[-24:]])
