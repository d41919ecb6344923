"""Options, ini settings, precedence, the report header and live-mode gating."""

from __future__ import annotations

import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary

PRINT_CONFIG = """
from pytest_pingone import get_config

def test_show(pytestconfig):
    cfg = get_config(pytestconfig)
    print("MODE", cfg.mode.value, "REQUESTED", cfg.requested_mode.value)
    print("REGION", cfg.region, "FROM", cfg.sources.get("region"))
    print("LIVE", cfg.live_credentials is not None, "PASS", cfg.allow_passthrough)
"""


def _live_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGONE_CLIENT_ID", CANARY_CLIENT_ID)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY_SECRET)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", CANARY_ENV_ID)


def test_default_is_emulator_and_header_says_so(ptr: pytest.Pytester) -> None:
    """Without options the mode is emulator, region NA, and the header names the sources."""
    ptr.makepyfile(PRINT_CONFIG)
    result = ptr.runpytest("-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "pingone: mode=emulator (default)",
            "pingone: region=NA (default), environment=<emulator, seeded per test>",
            "*MODE emulator REQUESTED emulator",
        ]
    )


def test_option_beats_env_beats_ini(ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """--pingone-region wins over PINGONE_REGION, which wins over ini pingone_region."""
    ptr.makeini("[pytest]\npingone_region = CA\npingone_mode = emulator\n")
    ptr.makepyfile(PRINT_CONFIG)
    ptr.runpytest("-s").stdout.fnmatch_lines(["*REGION CA FROM ini pingone_region"])
    monkeypatch.setenv("PINGONE_REGION", "eu")
    ptr.runpytest("-s").stdout.fnmatch_lines(["*REGION EU FROM env PINGONE_REGION"])
    result = ptr.runpytest("-s", "--pingone-region=au")
    result.stdout.fnmatch_lines(
        [
            "pingone: mode=emulator (ini pingone_mode)",
            "pingone: region=AU (option --pingone-region)*",
            "*REGION AU FROM option --pingone-region",
        ]
    )


def test_auto_is_live_only_with_all_three_credentials(
    ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--pingone=auto stays on the emulator until id, secret and environment are all set."""
    ptr.makepyfile(PRINT_CONFIG)
    monkeypatch.setenv("PINGONE_CLIENT_ID", CANARY_CLIENT_ID)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", CANARY_ENV_ID)
    ptr.runpytest("-s", "--pingone=auto").stdout.fnmatch_lines(
        ["*mode=emulator (option --pingone; --pingone=auto resolved to emulator)*"]
    )
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY_SECRET)
    result = ptr.runpytest("-s", "--pingone=auto")
    result.stdout.fnmatch_lines(
        [
            "*mode=live (option --pingone; --pingone=auto resolved to live)*",
            f"pingone: region=NA (default), environment={CANARY_ENV_ID} "
            f"(env PINGONE_ENVIRONMENT_ID), client_id={CANARY_CLIENT_ID} (env PINGONE_CLIENT_ID)",
            "*LIVE True PASS False",
        ]
    )
    assert_no_canary(result.stdout.str() + result.stderr.str())


def test_secret_in_ini_is_a_usage_error(ptr: pytest.Pytester) -> None:
    """A secret in the ini file stops the run with an error that says where it belongs."""
    ptr.makeini(f"[pytest]\npingone_client_secret = {CANARY_SECRET}\n")
    ptr.makepyfile("def test_x(): pass")
    result = ptr.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini setting 'pingone_client_secret' looks like a PingOne secret*PINGONE_CLIENT_SECRET*"]
    )
    assert_no_canary(result.stdout.str() + result.stderr.str())


def test_bad_mode_region_and_contradiction_are_usage_errors(ptr: pytest.Pytester) -> None:
    """An unknown region, an unknown ini mode and emulator+require-live each fail clearly."""
    ptr.makepyfile("def test_x(): pass")
    result = ptr.runpytest("--pingone-region=mars")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown PingOne region 'mars'*NA, EU, CA, AU, SG, AP*"])
    result = ptr.runpytest("--pingone=emulator", "--pingone-require-live")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--pingone-require-live contradicts mode 'emulator'*"])
    ptr.makeini("[pytest]\npingone_mode = real\n")
    result = ptr.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown PingOne mode 'real'; use one of emulator, live, auto*"])


LIVE_TESTS = """
def test_uses_credentials(pingone_credentials):
    pass

def test_uses_client(pingone_client):
    pass

def test_plain():
    pass
"""


def test_live_mode_without_credentials_skips_with_reason(ptr: pytest.Pytester) -> None:
    """Live mode without PINGONE_* skips PingOne tests, naming the missing variables."""
    ptr.makepyfile(LIVE_TESTS)
    result = ptr.runpytest("--pingone=live", "-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*PingOne live mode needs PINGONE_CLIENT_ID, PINGONE_CLIENT_SECRET, "
            "PINGONE_ENVIRONMENT_ID*--pingone=emulator*"
        ]
    )


def test_require_live_without_credentials_fails(
    ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--pingone-require-live turns the skip into an error naming what is missing."""
    monkeypatch.setenv("PINGONE_CLIENT_ID", CANARY_CLIENT_ID)
    ptr.makepyfile(LIVE_TESTS)
    result = ptr.runpytest("--pingone-require-live")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(
        ["*PingOne live mode needs PINGONE_CLIENT_SECRET, PINGONE_ENVIRONMENT_ID*"]
    )
    result.stdout.fnmatch_lines(["pingone: mode=live (--pingone-require-live), require-live"])


def test_credentials_hook_feeds_live_mode(ptr: pytest.Pytester) -> None:
    """pytest_pingone_credentials in a conftest supplies live credentials (e.g. a vault)."""
    ptr.makeconftest(
        f"""
from httpx_pingone_worker import ClientCredentials

def pytest_pingone_credentials(config):
    return ClientCredentials({CANARY_CLIENT_ID!r}, {CANARY_SECRET!r}, {CANARY_ENV_ID!r}, "EU")
"""
    )
    ptr.makepyfile(
        f"""
def test_creds(pingone_credentials):
    assert pingone_credentials.client_id == {CANARY_CLIENT_ID!r}
    assert pingone_credentials.region.value == "EU"
"""
    )
    result = ptr.runpytest("--pingone=auto")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"pingone: region=EU (hook pytest_pingone_credentials), environment={CANARY_ENV_ID}*"]
    )
    assert_no_canary(result.stdout.str())


def test_emulator_fixtures_skip_in_live_mode(
    ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In live mode the emulator fixture and emulator-shaping markers skip with a reason."""
    _live_env(monkeypatch)
    ptr.makepyfile(
        """
import pytest

def test_emu(pingone_emulator):
    pass

@pytest.mark.pingone(token_lifetime=300)
def test_marked():
    pass
"""
    )
    result = ptr.runpytest("--pingone=live", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*pingone_emulator needs emulator mode; this run uses a live tenant*",
            "*pingone marker configures the emulator (token_lifetime)*",
        ]
    )
