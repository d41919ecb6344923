"""The console with bad input, the canary secret configured: no output shows it.

Every command runs with ``-v`` (the library's DEBUG log lines and tracebacks on stderr) and
once more with ``--json``; a few run as a separate process, exactly as a user would.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary

USERINFO_URL = f"https://svc:{CANARY_SECRET}@proxy.example.com"

CASES: dict[str, tuple[list[str], dict[str, str]]] = {
    "status, bad region": (["status"], {"PINGONE_REGION": "XX"}),
    "check, bad region": (["check"], {"PINGONE_REGION": "XX"}),
    "token, http auth host": (["token", "--auth-base-url", "http://example.com"], {}),
    "token, URL with user info": (["token", "--auth-base-url", USERINFO_URL], {}),
    "token, env URL with user info": (["token"], {"PINGONE_AUTH_BASE_URL": USERINFO_URL}),
    "status, URL with user info": (["status", "--api-base-url", f"{USERINFO_URL}/v1"], {}),
    "check, issuer with user info": (["check", "--issuer", USERINFO_URL], {}),
    "introspect, http auth host": (
        ["introspect", CANARY_TOKEN, "--auth-base-url", "http://example.com"],
        {},
    ),
    "decode, not a JWT": (["decode", CANARY_TOKEN], {}),
    "verify, not a JWT": (["verify", CANARY_TOKEN], {}),
    "api, http api host": (["api", "users", "--api-base-url", "http://example.com/v1"], {}),
    "api, bad region": (["api", "users"], {"PINGONE_REGION": "XX"}),
}


@pytest.fixture(autouse=True)
def _canary_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PINGONE_WORKER_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("PINGONE_WORKER_KEY_BACKEND", "file")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PINGONE_CLIENT_ID", CANARY_CLIENT_ID)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY_SECRET)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", CANARY_ENV_ID)
    for name in ("PINGONE_REGION", "PINGONE_AUTH_BASE_URL", "PINGONE_API_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _main(args: list[str], stdin: str = "") -> tuple[int, str]:
    from httpx_pingone_worker.cli import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(args)
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue() + "\n" + err.getvalue()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("style", ["-v", "--json"])
def test_console_bad_input_shows_no_canary(
    case: str, style: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Each command fails cleanly (not 0, not a crash) and prints no secret or token."""
    args, env = CASES[case]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caplog.set_level("DEBUG")
    code, output = _main([*args, style])
    assert code not in (0, 70), output
    assert_no_canary(output + "\n".join(r.getMessage() for r in caplog.records))


def test_store_with_bad_input_shows_no_canary() -> None:
    """`store` reading the secret from stdin, a bad region: refused, the secret not shown."""
    code, output = _main(["store", "--region", "XX", "-v"], stdin=CANARY_SECRET + "\n")
    assert code not in (0, 70), output
    assert_no_canary(output)


@pytest.mark.parametrize(
    "args",
    [
        ["token", "-v", "--auth-base-url", USERINFO_URL],
        ["status", "-v"],
        ["check", "-v", "--region", "XX"],
    ],
    ids=["token", "status", "check"],
)
def test_console_as_a_process_shows_no_canary(args: list[str]) -> None:
    """`pingone-worker ...` run as its own process (with -v) prints no canary."""
    env = {**os.environ, "PINGONE_AUTH_BASE_URL": "http://example.com"}
    script = Path(sys.executable).with_name("pingone-worker")
    done = subprocess.run(
        [str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode not in (0, 70), done.stdout + done.stderr
    assert_no_canary(done.stdout + done.stderr)
