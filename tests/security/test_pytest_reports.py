"""pytest's own reports (header, ``-l``, ``--tb=long``, ``-vv``, JUnit XML) show no canary.

The plugin runs in emulator and live mode through ``pytester``; the inner tests fail on
purpose while the canary secret is configured, so every report that prints locals or
reprs is produced.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary

REPORT_OPTIONS = ("-l", "--tb=long", "-vv", "-rA", "--junitxml=report.xml")

# The inner tests read the canary from the environment: no literal in their source lines.
FAILING = """
import os

import httpx
import pytest

from httpx_pingone_worker import ClientCredentials, PingOneWorkerAuth, resolve_settings


def test_constructor_fails():
    PingOneWorkerAuth(
        os.environ["PINGONE_CLIENT_ID"],
        os.environ["PINGONE_CLIENT_SECRET"],
        os.environ["PINGONE_ENVIRONMENT_ID"],
        region="XX",
    )


def test_from_env_fails(monkeypatch):
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", "http://example.com")
    PingOneWorkerAuth.from_env(stored=None)


def test_credentials_fail():
    ClientCredentials(
        os.environ["PINGONE_CLIENT_ID"], os.environ["PINGONE_CLIENT_SECRET"], region="XX"
    )


def test_settings_fail():
    resolve_settings(env=dict(os.environ, PINGONE_REGION="XX"))
"""


def _run(ptr: pytest.Pytester, *args: str) -> str:
    result = ptr.runpytest(*REPORT_OPTIONS, *args)
    output = result.stdout.str() + result.stderr.str()
    xml = Path(ptr.path, "report.xml").read_text(encoding="utf-8")
    # The reports really carry locals and tracebacks: the checks below are not vacuous.
    assert "PingOneWorkerAuth(" in output, output[-3000:]
    assert "ConfigurationError" in xml
    return output + xml


@pytest.fixture
def canary_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINGONE_CLIENT_ID", CANARY_CLIENT_ID)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY_SECRET)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", CANARY_ENV_ID)


@pytest.mark.parametrize("mode", ["emulator", "live"])
@pytest.mark.usefixtures("canary_env")
def test_failure_reports_show_no_secret(ptr: pytest.Pytester, mode: str) -> None:
    """Constructor and settings failures under -l, --tb=long, -vv and --junitxml."""
    ptr.makepyfile(FAILING)
    assert_no_canary(_run(ptr, f"--pingone={mode}"))


LIVE_FIXTURE_FAILS = """
def test_live_auth(pingone_auth):
    pass
"""


@pytest.mark.usefixtures("canary_env")
def test_live_fixture_failure_shows_no_secret(
    ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A live `pingone_auth` whose host override is refused: the setup error shows no secret."""
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", "http://example.com")
    ptr.makepyfile(LIVE_FIXTURE_FAILS)
    result = ptr.runpytest("--pingone=live", *REPORT_OPTIONS)
    result.assert_outcomes(errors=1)
    output = result.stdout.str() + Path(ptr.path, "report.xml").read_text(encoding="utf-8")
    assert "plain http" in output
    assert_no_canary(output)


@pytest.mark.usefixtures("canary_env")
def test_live_header_strips_url_credentials(
    ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`PINGONE_AUTH_BASE_URL=https://svc:SECRET@proxy…` shows in the header without user info."""
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", f"https://svc:{CANARY_SECRET}@proxy.example.com")
    monkeypatch.setenv("PINGONE_API_BASE_URL", f"https://svc:{CANARY_SECRET}@api.example.com/v1")
    ptr.makepyfile("def test_nothing():\n    pass\n")
    result = ptr.runpytest("--pingone=live", "-vv")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*auth_base_url=https://proxy.example.com (env PINGONE_AUTH_BASE_URL)*"]
    )
    result.stdout.fnmatch_lines(["*api_base_url=https://api.example.com/v1 (env *"])
    assert_no_canary(result.stdout.str() + result.stderr.str())


EMULATOR_CONFTEST = """
import json
import pathlib

def record(credentials, token=None):
    # Written by a helper so that no local of the failing test holds a raw value.
    path = pathlib.Path("raw_values.json")
    values = json.loads(path.read_text()) if path.exists() else []
    values.append(credentials.client_secret.get_secret_value())
    if token is not None:
        values.append(token.access_token.get_secret_value())
    path.write_text(json.dumps(values))
"""

EMULATOR_FAULTS = """
import os

import httpx
import pytest

import conftest


@pytest.mark.parametrize("kind", ["connect", "timeout", "status", "malformed"])
def test_token_endpoint_fault(pingone_emulator, pingone_credentials, pingone_auth, kind):
    conftest.record(pingone_credentials)
    pingone_emulator.inject_fault("token", kind, count=None, status=400)
    pingone_auth.invalidate()
    pingone_auth.get_token()


def test_401_then_failed_refetch(pingone_emulator, pingone_credentials, pingone_auth):
    api = f"https://api.pingone.com/v1/environments/{os.environ['PINGONE_ENVIRONMENT_ID']}"
    with httpx.Client(auth=pingone_auth) as client:
        assert client.get(api).status_code == 200
        conftest.record(pingone_credentials, pingone_auth.current_token)
        pingone_emulator.inject_fault("api", "status", count=None, status=401)
        pingone_emulator.inject_fault("token", "status", count=None, status=400)
        client.get(api)
"""


def test_emulator_mode_token_faults_show_no_secret_or_token(ptr: pytest.Pytester) -> None:
    """Emulator mode: token-endpoint faults and a 401 with a failed re-fetch, reported with
    -l, --tb=long, -vv and --junitxml, show neither the emulator's secret nor its token."""
    ptr.makeconftest(EMULATOR_CONFTEST)
    ptr.makepyfile(EMULATOR_FAULTS)
    result = ptr.runpytest("--pingone=emulator", *REPORT_OPTIONS)
    result.assert_outcomes(failed=5)
    output = result.stdout.str() + result.stderr.str()
    output += Path(ptr.path, "report.xml").read_text(encoding="utf-8")
    assert "pingone_auth = PingOneWorkerAuth(" in output  # locals were printed
    values = json.loads(Path(ptr.path, "raw_values.json").read_text(encoding="utf-8"))
    assert len(values) == 6
    token = values[-1]
    middle = len(token) // 2
    assert_no_canary(output, [*values, token[middle : middle + 24], token[-24:]])
