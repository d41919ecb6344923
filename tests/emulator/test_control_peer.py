"""The control endpoints (/_emulator/...) answer loopback PEERS only, whatever the Host header
says; binding a non-loopback address warns. Loopback is 127.0.0.0/8 and ::1."""

from __future__ import annotations

import io
import socket
import threading
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import httpx
import pytest

from httpx_pingone_worker.emulator import PingOneEmulator
from httpx_pingone_worker.emulator._server import (
    EmulatorServer,
    RemoteBindWarning,
    is_loopback_peer,
)


def _non_loopback_address() -> str | None:
    """An address of this machine that is not loopback (the one a default route uses)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.123", 9))  # TEST-NET-1: no packet is sent for UDP connect
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


@pytest.mark.parametrize(
    ("peer", "loopback"),
    [
        (("127.0.0.1", 5000), True),
        (("127.0.0.2", 5000), True),
        (("127.255.255.254", 1), True),
        (("::1", 5000, 0, 0), True),
        (("::ffff:127.0.0.1", 5000, 0, 0), True),
        (("10.0.0.1", 5000), False),
        (("192.0.2.2", 5000), False),
        (("::ffff:10.0.0.1", 5000, 0, 0), False),
        (("fe80::1%eth0", 5000, 0, 2), False),
        (("0.0.0.0", 1), False),  # noqa: S104
        (("localhost", 1), False),  # a peer address is never a name
        (("", 1), False),
        ((), False),
    ],
)
def test_loopback_peer_decision(peer: tuple[object, ...], loopback: bool) -> None:
    assert is_loopback_peer(peer) is loopback


def test_spoofed_host_from_a_non_loopback_peer_is_refused() -> None:
    """A request from another address with ``Host: 127.0.0.1`` cannot reach /_emulator/reset
    (which answers with the client secret). (Loopback peers: the next test and the rest of
    the emulator suite.)"""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    emu = PingOneEmulator(users=0)
    secret = emu.credentials.client_secret
    assert secret is not None
    server = EmulatorServer(emu, host=address)
    with pytest.warns(RemoteBindWarning, match="other machines"):
        server.start()
    try:
        spoofed = {"Host": f"127.0.0.1:{server.port}"}
        with httpx.Client(verify=server.ssl_context, timeout=10) as client:
            for method, action in (("POST", "reset"), ("GET", "state"), ("GET", "requests")):
                r = client.request(
                    method, f"https://{address}:{server.port}/_emulator/{action}", headers=spoofed
                )
                assert r.status_code == 403, (action, r.status_code)
                assert "loopback" in r.json()["message"]
                assert secret.get_secret_value() not in r.text
            # Other spellings of the path reach the same check.
            r = client.post(f"https://{address}:{server.port}/_emulator/reset/", headers=spoofed)
            assert r.status_code == 403
            # The rest of the emulator still answers (the bind is the caller's choice).
            r = client.get(
                f"https://{address}:{server.port}/{emu.environment_id}/as/jwks", headers=spoofed
            )
            assert r.status_code == 200
    finally:
        server.stop()


def test_second_loopback_address_is_loopback() -> None:
    """A server on 127.0.0.2 (also loopback) binds without a warning and serves control
    requests from its loopback peers."""
    emu = PingOneEmulator(users=0)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RemoteBindWarning)
        with emu.serve(host="127.0.0.2") as server:
            with httpx.Client(verify=server.ssl_context, timeout=10) as client:
                r = client.get(f"{server.url}/_emulator/state")
            assert r.status_code == 200


def test_runner_warns_loudly_on_a_non_loopback_host(tmp_path: Path) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    from httpx_pingone_worker.emulator.__main__ import main

    stop = threading.Event()
    stop.set()  # serve, announce, stop at once
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(["--users", "0", "--host", address, "--env-file", str(tmp_path / "env")],
                    stop=stop)  # fmt: skip
    assert code == 0
    assert f"WARNING: --host {address} is not a loopback address" in err.getvalue()
    quiet = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(quiet):
        assert main(["--users", "0", "--env-file", str(tmp_path / "env2")], stop=stop) == 0
    assert "WARNING" not in quiet.getvalue()
