"""respx router, HTTPS server details, control endpoints, the runner, seeding and reset."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import httpx
import pytest

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker.emulator import PingOneEmulator


def test_router_serves_pingone_hosts() -> None:
    """Code that builds its own httpx.Client is served through the respx router."""
    emu = PingOneEmulator(users=5)
    secret = emu.credentials.client_secret
    assert secret is not None
    with emu.router():
        with httpx.Client() as client:
            r = client.post(
                emu.token_endpoint,
                data={"grant_type": "client_credentials"},
                auth=(emu.client_id, secret.get_secret_value()),
            )
            assert r.status_code == 200
            token = r.json()["access_token"]
            r = client.get(
                f"https://api.pingone.com/v1/environments/{emu.environment_id}/users",
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.json()["count"] == 5
        emu.inject_fault("api", "connect")
        with httpx.Client() as client, pytest.raises(httpx.ConnectError):
            client.get(f"{emu.api_base_url}/environments/{emu.environment_id}")
    assert emu.token_requests == 1


def test_server_details_and_ca_file() -> None:
    """serve() exposes loopback URLs, a CA file that verifies, and removes it at stop."""
    import os

    emu = PingOneEmulator(users=0)
    with emu.serve() as server:
        assert server.ready.is_set()
        assert server.url.startswith("https://127.0.0.1:")
        assert server.port > 0
        assert server.api_base_url == f"{server.url}/v1"
        assert os.path.exists(server.ca_file)
        import ssl

        with httpx.Client(verify=ssl.create_default_context(cafile=server.ca_file)) as client:
            assert client.get(f"{server.issuer()}/jwks").status_code == 200
        with httpx.Client() as client, pytest.raises(httpx.ConnectError):
            client.get(f"{server.issuer()}/jwks")  # not trusted without the CA
        ca_file = server.ca_file
        # The transport also serves the running server's URLs, without sockets.
        with httpx.Client(transport=emu.transport()) as client:
            assert client.get(f"{server.issuer()}/jwks").status_code == 200
    assert not os.path.exists(ca_file)


def test_control_endpoints() -> None:
    """POST /_emulator/... resets, re-seeds, advances, expires and injects faults."""
    emu = PingOneEmulator(users=0)
    with emu.serve() as server, httpx.Client(verify=server.ssl_context) as client:
        ctl = f"{server.url}/_emulator"
        creds = emu.credentials
        secret = creds.client_secret.get_secret_value()  # type: ignore[union-attr]
        tok = client.post(
            server.token_endpoint,
            data={"grant_type": "client_credentials"},
            auth=(creds.client_id, secret),
        ).json()["access_token"]
        env_url = f"{server.api_base_url}/environments/{creds.environment_id}"
        bearer = {"Authorization": f"Bearer {tok}"}
        before = emu.clock.now()
        assert client.post(f"{ctl}/advance", json={"seconds": 120}).json()["now"] >= before + 120
        assert client.post(f"{ctl}/expire", json={}).json() == {"expired": 1}
        assert client.get(env_url, headers=bearer).status_code == 401
        r = client.post(f"{ctl}/faults", json={"endpoint": "jwks", "kind": "status", "status": 502})
        assert r.json() == {"faults": 1}
        assert client.get(f"{server.issuer()}/jwks").status_code == 502
        assert client.post(f"{ctl}/faults", json={"kind": "bogus"}).status_code == 400
        state = client.get(f"{ctl}/requests").json()
        assert state["token_requests"] == 1
        assert state["requests"][-1]["endpoint"] == "jwks"
        seeded = client.post(f"{ctl}/seed", json={"seed": 7}).json()
        assert seeded["client_id"] == emu.client_id != creds.client_id
        assert seeded["client_secret"] == emu.credentials.client_secret.get_secret_value()  # type: ignore[union-attr]
        assert client.post(f"{ctl}/reset", json={}).json()["client_id"] == seeded["client_id"]
        assert client.post(f"{ctl}/nope", json={}).status_code == 404
        assert client.post(f"{ctl}/advance", content=b"not json").status_code == 400
        bad = client.post(f"{ctl}/advance", json={"seconds": "x"})
        assert bad.status_code == 400
        assert '"seconds" must be a number' in bad.json()["message"]
    # Control endpoints are not part of PingOne's hosts.
    with httpx.Client(transport=emu.transport()) as client:
        assert client.post("https://api.pingone.com/_emulator/reset", json={}).status_code == 404


def test_seed_determinism_and_reset() -> None:
    """Same seed, same ids and secret; reset() forgets tokens, faults and scenario changes."""
    a, b, c = PingOneEmulator(users=3), PingOneEmulator(users=3), PingOneEmulator(seed=1, users=3)
    assert a.credentials.client_id == b.credentials.client_id != c.credentials.client_id
    assert a.credentials.client_secret == b.credentials.client_secret
    assert a.environment_id == b.environment_id
    token = a.issue_token().get_secret_value()
    a.add_user(username="extra")
    a.inject_fault("token")
    a.reset()
    status, _, _ = a.handle(
        "GET",
        f"{a.api_base_url}/environments/{a.environment_id}",
        {"Authorization": f"Bearer {token}"},
    )
    assert status == 401
    assert a.requests[-1].status == 401
    assert len(a.requests) == 1
    assert a.token_requests == 0
    a.reset(seed=1)
    assert a.credentials.client_id == c.credentials.client_id


def test_constructor_and_scenario_validation() -> None:
    """Bad arguments raise EmulatorError saying what is allowed."""
    with pytest.raises(EmulatorError, match="unknown role"):
        PingOneEmulator(roles=["Superuser"])
    with pytest.raises(EmulatorError, match="token_lifetime"):
        PingOneEmulator(token_lifetime=0)
    with pytest.raises(EmulatorError, match="rate_limit"):
        PingOneEmulator(rate_limit=0)
    emu = PingOneEmulator(users=0)
    with pytest.raises(EmulatorError, match="no environment"):
        emu.add_worker_app("nope")
    with pytest.raises(EmulatorError, match="private_key"):
        emu.add_worker_app(auth_method="private_key_jwt", jwks={"keys": []})
    emu.add_user(username="x")
    with pytest.raises(EmulatorError, match="already exists"):
        emu.add_user(username="x")


def test_private_key_jwt_emulator_credentials() -> None:
    """auth_method='private_key_jwt' gives credentials with a PEM key and its kid."""
    emu = PingOneEmulator(users=0, auth_method="private_key_jwt")
    creds = emu.credentials
    assert creds.auth_method == "private_key_jwt"
    assert creds.private_key is not None
    assert "PRIVATE KEY" in creds.private_key.get_secret_value()
    assert creds.key_id
    assert "PRIVATE" not in repr(creds)


def test_importing_package_does_not_import_emulator() -> None:
    """import httpx_pingone_worker loads neither the emulator nor its heavy deps."""
    code = (
        "import sys, httpx_pingone_worker; "
        "bad = [m for m in sys.modules if m.startswith(('httpx_pingone_worker.emulator', "
        "'respx', 'trustme'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _run_runner(argv: list[str], while_running: Any = None) -> str:
    from httpx_pingone_worker.emulator.__main__ import main

    stop = threading.Event()
    buf = io.StringIO()
    result: list[int] = []

    def run() -> None:
        with redirect_stdout(buf):
            result.append(main(argv, stop=stop))

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while "client secret" not in buf.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    text = buf.getvalue()
    if while_running is not None:
        while_running()
    stop.set()
    thread.join(10)
    assert result == [0]
    return text


def test_runner_prints_urls_ca_and_writes_credentials_to_a_private_env_file(
    tmp_path: Path,
) -> None:
    """python -m ...emulator prints URLs, CA and ids; the secret goes to a 0600 env file only."""
    env_file = tmp_path / "emu.env"
    seen: list[str] = []
    text = _run_runner(
        ["--users", "0", "--seed", "3", "--env-file", str(env_file)],
        lambda: seen.extend([oct(env_file.stat().st_mode & 0o777), env_file.read_text()]),
    )
    emu = PingOneEmulator(seed=3, users=0)
    secret = emu.credentials.client_secret.get_secret_value()  # type: ignore[union-attr]
    assert "auth base URL : https://127.0.0.1:" in text
    assert "CA file" in text
    assert emu.client_id in text
    assert secret not in text
    assert str(env_file) in text
    assert json.dumps(text)  # printable
    assert seen[0] == oct(0o600)
    assert not env_file.exists()  # removed with the server at stop
    settings = dict(line.split("=", 1) for line in seen[1].splitlines() if line.strip())
    assert settings["PINGONE_CLIENT_SECRET"] == secret
    assert settings["PINGONE_CLIENT_ID"] == emu.client_id
    assert settings["PINGONE_AUTH_BASE_URL"].startswith("https://127.0.0.1:")
    assert settings["SSL_CERT_FILE"].endswith(".pem")  # removed with the server at stop


def test_runner_prints_the_throwaway_secret_only_when_asked(tmp_path: Path) -> None:
    """--show-secret prints the emulator's throwaway secret, labelled as such."""
    text = _run_runner(
        ["--users", "0", "--seed", "3", "--env-file", str(tmp_path / "e"), "--show-secret"]
    )
    secret = PingOneEmulator(seed=3, users=0).credentials.client_secret.get_secret_value()  # type: ignore[union-attr]
    secret_line = next(line for line in text.splitlines() if "client secret" in line)
    assert secret in secret_line
    assert "throwaway" in secret_line


def test_stop_ends_keep_alive_connection_threads() -> None:
    """stop() drops open keep-alive connections, so no request thread outlives the server."""
    emu = PingOneEmulator(users=0)
    client = httpx.Client(timeout=5)
    try:
        with emu.serve() as server:
            client = httpx.Client(verify=server.ssl_context, timeout=5)
            for _ in range(3):
                assert client.get(f"{server.issuer()}/jwks").status_code == 200
            workers = [
                t
                for t in threading.enumerate()
                if "process_request_thread" in t.name and t.is_alive()
            ]
            assert workers  # the kept-alive connection is being served by a thread
        for t in workers:
            t.join(5)
        assert not any(t.is_alive() for t in workers)
    finally:
        client.close()
