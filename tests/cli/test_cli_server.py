"""Every command against the emulator's HTTPS server, configured the way a user would."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from cli_helpers import Cli, CliResult, assert_no_leak

from canary import CANARY_SECRET, assert_no_canary


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Any, Any]]:
    """One emulator server for the module: (emulator, server)."""
    from httpx_pingone_worker.emulator import PingOneEmulator

    emu = PingOneEmulator(users=25)
    with emu.serve() as server:
        yield emu, server


@pytest.fixture
def configured(served: tuple[Any, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """PINGONE_* point at the server; returns the emulator."""
    emu, server = served
    creds = emu.credentials
    monkeypatch.setenv("PINGONE_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", creds.client_secret.get_secret_value())
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", creds.environment_id)
    monkeypatch.setenv("PINGONE_REGION", creds.region.value)
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", server.auth_base_url)
    monkeypatch.setenv("PINGONE_API_BASE_URL", server.api_base_url)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    return emu


def _clean(result: CliResult, emu: Any) -> None:
    assert_no_leak(
        result.all, [emu.credentials.client_secret.get_secret_value()], emu.credentials.client_id
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize(
    "args",
    [
        ("token",),
        ("decode",),
        ("verify",),
        ("introspect",),
        ("status",),
        ("check",),
        ("api", "users", "--all"),
        ("api", "GET", "/environments/{env}"),
        ("api", "sign-on-policies"),
        ("api", "licenses"),
    ],
)
def test_every_command_works_against_the_server(
    cli: Cli, configured: Any, args: tuple[str, ...]
) -> None:
    """Each command succeeds over real HTTPS, in human and JSON form, without leaking."""
    human = cli(*args)
    assert human.code == 0, human.err
    assert human.out.strip()
    as_json = cli("--json", *args)
    assert as_json.code == 0, as_json.err
    doc = as_json.json()
    assert doc["command"] == args[0]
    assert doc["ok"] is True
    _clean(human, configured)
    _clean(as_json, configured)


def test_status_reports_server_hosts_and_sources(cli: Cli, configured: Any, served: Any) -> None:
    """`status` shows the overridden API base; `check` names env-var sources."""
    _, server = served
    doc = cli("--json", "status").json()
    assert doc["endpoints"]["api"] == server.api_base_url.rstrip("/")
    assert doc["endpoints"]["issuer"].startswith(server.auth_base_url.rstrip("/"))
    check = cli("--json", "check").json()
    assert check["settings"]["client_id"]["source"] == "env:PINGONE_CLIENT_ID"
    assert check["settings"]["client_secret"] == {
        "value": "********",
        "source": "env:PINGONE_CLIENT_SECRET",
    }


def test_ca_file_flag_instead_of_ssl_cert_file(
    cli: Cli, configured: Any, served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--ca-file trusts the server's CA; without any CA the TLS failure exits 5."""
    _, server = served
    monkeypatch.delenv("SSL_CERT_FILE")
    assert cli("--ca-file", str(server.ca_file), "token").code == 0
    untrusted = cli("--retries", "0", "token")
    assert untrusted.code == 5
    assert untrusted.err.startswith("error: ")
    assert "Traceback" not in untrusted.err


def test_bad_credentials_exit_3_without_leaking(
    cli: Cli, configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong secret: `token` exits 3, `check` fails the connection step with 3."""
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY_SECRET)
    token = cli("token")
    assert token.code == 3
    assert "invalid_client" in token.err or "rejected" in token.err
    assert "hint:" in token.err
    check = cli("--json", "check")
    assert check.code == 3
    doc = check.json()
    steps = {c["name"]: c["passed"] for c in doc["checks"]}
    assert steps["connection"] is False
    assert steps["app discovery"] is None
    as_json = cli("--json", "token")
    assert as_json.json()["error"]["type"] == "TokenRequestError"
    for result in (token, check, as_json):
        assert_no_canary(result.all)


def test_unreachable_host_exits_5(
    cli: Cli, configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listening on the auth host: exit 5 with one sentence and a hint."""
    monkeypatch.setenv("PINGONE_AUTH_BASE_URL", f"https://127.0.0.1:{_free_port()}")
    result = cli("--retries", "0", "token")
    assert result.code == 5
    assert result.err.startswith("error: ")
    assert "hint:" in result.err
    assert "Traceback" not in result.err
    check = cli("--json", "--retries", "0", "check")
    assert check.code == 5
    _clean(result, configured)


def test_forbidden_api_call_exits_4(
    cli: Cli, configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An app without rights to applications: `api applications` exits 4 with a role hint."""
    limited = configured.add_worker_app(name="Limited", roles=("Identity Data Read Only",))
    monkeypatch.setenv("PINGONE_CLIENT_ID", limited.client_id)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", limited.client_secret.get_secret_value())
    result = cli("api", "applications")
    assert result.code == 4
    assert "hint:" in result.err
    doc = cli("--json", "api", "applications").json()
    assert doc["error"]["status_code"] == 403
    check = cli("check")
    assert check.code != 0
    assert_no_leak(result.all + check.all, [limited.client_secret.get_secret_value()])


def test_store_then_use_then_forget(
    cli: Cli, configured: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`store` reads the secret from stdin, commands then find it, `forget` removes it."""
    creds = configured.credentials
    secret = creds.client_secret.get_secret_value()
    monkeypatch.delenv("PINGONE_CLIENT_SECRET")
    stored = cli(
        "--json",
        "store",
        "--client-id",
        creds.client_id,
        "--environment-id",
        creds.environment_id,
        stdin=secret + "\n",
    )
    assert stored.code == 0, stored.err
    assert stored.json()["client_id"] == creds.client_id
    check = cli("--json", "check")
    assert check.code == 0, check.out
    assert check.json()["settings"]["client_secret"]["source"] == "store"
    gone = cli("--json", "forget", creds.client_id).json()
    assert gone == {"command": "forget", "ok": True, "client_id": creds.client_id, "removed": True}
    again = cli("forget", creds.client_id)
    assert again.code == 0
    assert "nothing was stored" in again.out
    assert cli("token").code == 2
    for result in (stored, check):
        _clean(result, configured)


def test_store_without_secret_or_ids_is_a_usage_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`store` needs ids (exit 2) and a secret on stdin (exit 2)."""
    assert cli("store").code == 2
    no_secret = cli(
        "store",
        "--client-id",
        "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f",
        "--environment-id",
        "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
        stdin="",
    )
    assert no_secret.code == 2
    assert "no client secret" in no_secret.err


def _subprocess_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGONE_")}
    env.update(extra)
    env["NO_COLOR"] = "1"
    env.pop("SSL_CERT_FILE", None)
    return env


def test_python_m_demo_end_to_end(tmp_path: Any) -> None:
    """`python -m httpx_pingone_worker demo` runs the whole flow in a fresh process."""
    proc = subprocess.run(
        [sys.executable, "-m", "httpx_pingone_worker", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env=_subprocess_env({"PINGONE_WORKER_DATA_DIR": str(tmp_path)}),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "[7/7] Explore the Management API" in proc.stdout
    assert "Done: 7 steps" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_reader_closing_the_pipe_early_stops_quietly(tmp_path: Any) -> None:
    """`pingone-worker ... | head -1`: exit 141 with no internal error and no traceback."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "httpx_pingone_worker",
            "--emulator",
            "--json",
            "api",
            "users",
            "--all",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_subprocess_env({"PINGONE_WORKER_DATA_DIR": str(tmp_path)}),
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # like `head -1`: the reader goes away mid-output
    try:
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    finally:
        proc.stderr.close()
        if proc.poll() is None:
            proc.kill()
    assert first.strip() == b"{"
    assert code == 141, err
    assert "Traceback" not in err
    assert "internal error" not in err


def test_python_m_token_raw_against_the_server(served: Any, tmp_path: Any) -> None:
    """A real process gets a token from the server; --raw stdout is exactly one JWT line."""
    emu, server = served
    creds = emu.credentials
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "httpx_pingone_worker",
            "--ca-file",
            str(server.ca_file),
            "token",
            "--raw",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=_subprocess_env(
            {
                "PINGONE_CLIENT_ID": creds.client_id,
                "PINGONE_CLIENT_SECRET": creds.client_secret.get_secret_value(),
                "PINGONE_ENVIRONMENT_ID": creds.environment_id,
                "PINGONE_AUTH_BASE_URL": server.auth_base_url,
                "PINGONE_API_BASE_URL": server.api_base_url,
                "PINGONE_WORKER_DATA_DIR": str(tmp_path),
            }
        ),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].count(".") == 2
    assert proc.stderr == ""


JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


@pytest.mark.parametrize(
    "args",
    [
        ("demo",),
        ("token",),
        ("decode",),
        ("verify",),
        ("introspect",),
        ("status",),
        ("check",),
        ("api", "applications"),
    ],
)
def test_verbose_output_of_every_command_holds_no_secret_or_token(
    cli: Cli, configured: Any, args: tuple[str, ...]
) -> None:
    """With --verbose (log lines, DEBUG), neither stream shows the secret or a whole JWT."""
    result = cli("--verbose", *args)
    assert result.code == 0, result.err
    assert "[✅ TOKEN] received" in result.err  # the emoji log lines are there
    _clean(result, configured)
    assert not JWT_SHAPE.search(result.all)


def test_env_file_and_settings_file_are_sources(
    cli: Cli, configured: Any, served: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--env-file and --settings supply settings, and `check` names them as sources."""
    emu, _ = served
    creds = emu.credentials
    for name in ("PINGONE_CLIENT_ID", "PINGONE_CLIENT_SECRET", "PINGONE_ENVIRONMENT_ID"):
        monkeypatch.delenv(name)
    env_file = tmp_path / "worker.env"
    env_file.write_text(
        f"PINGONE_CLIENT_SECRET={creds.client_secret.get_secret_value()}\n"
        f"PINGONE_ENVIRONMENT_ID={creds.environment_id}\n"
    )
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"pingone": {"workerToken": {"clientId": creds.client_id}}}))
    result = cli("--json", "--env-file", str(env_file), "--settings", str(settings), "check")
    assert result.code == 0, result.out
    sources = {k: v["source"] for k, v in result.json()["settings"].items()}
    assert sources["client_secret"].startswith("env-file:")
    assert sources["environment_id"].startswith("env-file:")
    assert sources["client_id"].startswith("settings:")
    _clean(result, emu)


def test_api_writes_against_the_server(cli: Cli, configured: Any) -> None:
    """POST and DELETE through `api` work over real HTTPS against the emulator server."""
    emu = configured
    snapshot = emu.snapshot()
    try:
        created = cli("--json", "api", "POST", "groups", "--data", '{"name": "Served"}')
        assert created.code == 0, created.err
        gid = created.json()["data"]["id"]
        assert cli("api", "DELETE", f"/environments/{{env}}/groups/{gid}").code == 0
        assert cli("api", "GET", f"/environments/{{env}}/groups/{gid}").code == 4
    finally:
        emu.restore(snapshot)


def test_env_file_written_by_the_emulator_server_is_enough(
    cli: Cli, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--env-file` of the emulator server's env file: its SSL_CERT_FILE line is trusted too."""
    import threading

    from httpx_pingone_worker.emulator.__main__ import main

    for name in [n for n in os.environ if n.startswith("PINGONE_")] + ["SSL_CERT_FILE"]:
        monkeypatch.delenv(name, raising=False)
    env_file = tmp_path / "emulator.env"
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(main(["--users", "0", "--env-file", str(env_file)], stop=stop))
    )
    with contextlib.redirect_stdout(io.StringIO()):
        thread.start()
        try:
            ready = threading.Event()
            for _ in range(3000):  # the server writes its env file once it listens
                if env_file.exists():
                    ready.set()
                    break
                ready.wait(0.01)
            assert ready.is_set(), "the emulator server wrote no env file"
            assert "SSL_CERT_FILE=" in env_file.read_text()
            result = cli("--env-file", str(env_file), "--retries", "0", "token")
            assert result.code == 0, result.err
            listed = cli("--env-file", str(env_file), "api", "users")
            assert listed.code == 0, listed.err
        finally:
            stop.set()
            thread.join(30)
    assert codes == [0]
