"""`pingone_emulator_server.env()` and `pingone_emulator_server_env`: settings for code that reads
the environment (another process, `from_env()`), trusting the server's CA."""

from __future__ import annotations

import pytest

TESTS = r'''
import os
import subprocess
import sys

from httpx_pingone_worker import PingOneClient

CHILD = """
from httpx_pingone_worker import PingOneClient
with PingOneClient.from_env(stored=None) as client:
    group, created = client.get_or_create_group("From a subprocess")
    print(group.id, created)
"""


def test_env_for_a_subprocess(pingone_emulator_server):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGONE_")}
    env.pop("SSL_CERT_FILE", None)
    env.update(pingone_emulator_server.env())
    assert set(pingone_emulator_server.env()) >= {"PINGONE_CLIENT_ID", "SSL_CERT_FILE"}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    group_id, created = proc.stdout.split()
    assert created == "True"
    emu = pingone_emulator_server.emulator
    assert any(r.path.endswith("/groups") and r.method == "POST" for r in emu.requests)


def test_env_fixture_sets_the_variables_for_the_test(pingone_emulator_server_env):
    assert os.environ["SSL_CERT_FILE"] == pingone_emulator_server_env["SSL_CERT_FILE"]
    assert os.environ["PINGONE_API_BASE_URL"].startswith("https://127.0.0.1:")
    with PingOneClient.from_env(stored=None) as client:
        group, created = client.get_or_create_group("From the environment")
        assert created
        assert client.get_group(group.id).name == "From the environment"


def test_variables_are_restored_and_state_reset(pingone_emulator_server):
    assert "PINGONE_API_BASE_URL" not in os.environ
    with PingOneClient(
        auth=pingone_emulator_server.auth(),
        verify=pingone_emulator_server.ssl_context,
    ) as client:
        assert client.find_group("From the environment") is None
'''


def test_server_env_and_env_fixture(ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subprocess and from_env() reach the emulator server with the variables it offers."""
    monkeypatch.delenv("PINGONE_API_BASE_URL", raising=False)
    ptr.makepyfile(test_server=TESTS)
    ptr.runpytest().assert_outcomes(passed=3)
