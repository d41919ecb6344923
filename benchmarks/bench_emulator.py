"""Benchmark: the PingOne emulator, so a suite of a thousand provisioning tests stays fast.

Every figure comes with a baseline measured in the same run, as a ratio:

- requests/s through ``emu.transport()`` (a filtered user page, a user read, a user create +
  delete) against ``httpx.MockTransport`` answering a static JSON body: the cost of emulating
  PingOne on top of httpx's own request handling;
- requests/s through the HTTPS server (keep-alive client) against a static-JSON handler on the
  same threaded TLS server stack: the cost of emulating on top of the server;
- the per-test cost of the pytest plugin's fixtures: an inner pytest run of N tests using
  ``pingone_emulator`` / ``pingone_client`` / ``pingone_emulator_server`` against the same N
  tests without fixtures (milliseconds per test, and the ratio of the run times);
- ``reset()`` (snapshot restore) against rebuilding the seeded emulator from scratch.

Run: ``python benchmarks/run.py emulator`` (``-- --quick`` for a short run).
"""

from __future__ import annotations

import argparse
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from httpx_pingone_worker.emulator import PingOneEmulator
from httpx_pingone_worker.emulator._snapshots import baseline

STATIC = json.dumps({"_embedded": {"users": [{"id": "x", "username": "u"}] * 10}}).encode()


def _rate(fn: Callable[[], object], n: int, rounds: int) -> float:
    """Median calls per second over ``rounds`` rounds of ``n`` calls."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append(n / (time.perf_counter() - start))
    return statistics.median(samples)


def _transport_rows(emu: PingOneEmulator, n: int, rounds: int) -> list[tuple[str, float, float]]:
    token = emu.issue_token().get_secret_value()
    headers = {"Authorization": f"Bearer {token}"}
    users = f"{emu.api_base_url}/environments/{emu.environment_id}/users"
    mock = httpx.Client(
        transport=httpx.MockTransport(lambda _r: httpx.Response(200, content=STATIC))
    )
    base = _rate(lambda: mock.get(users, headers=headers), n, rounds)
    client = httpx.Client(transport=emu.transport(), headers=headers)
    one = client.get(users, params={"limit": 1}).json()["_embedded"]["users"][0]["id"]
    counter = iter(range(10**9))

    def create_delete() -> None:
        r = client.post(users, json={"username": f"b{next(counter)}", "email": "b@example.com"})
        client.delete(f"{users}/{r.json()['id']}")

    rows = [
        (
            "GET users?limit=10&filter",
            _rate(
                lambda: client.get(users, params={"limit": 10, "filter": "enabled eq true"}),
                n,
                rounds,
            ),
        ),
        ("GET users/{id}", _rate(lambda: client.get(f"{users}/{one}"), n, rounds)),
        ("POST + DELETE user (2 req)", 2 * _rate(create_delete, n // 2, rounds)),
    ]
    mock.close()
    client.close()
    return [(name, rate, rate / base) for name, rate in rows] + [
        ("MockTransport (static)", base, 1.0)
    ]


class _Static(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(STATIC)))
        self.end_headers()
        self.wfile.write(STATIC)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002
        return


def _server_rows(emu: PingOneEmulator, n: int, rounds: int) -> list[tuple[str, float, float]]:
    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    static = ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    static.daemon_threads = True
    static.socket = server_ctx.wrap_socket(static.socket, server_side=True)
    thread = threading.Thread(target=static.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(verify=client_ctx) as c:
            url = f"https://127.0.0.1:{static.server_address[1]}/static"
            base = _rate(lambda: c.get(url), n, rounds)
    finally:
        static.shutdown()
        static.server_close()
    token = emu.issue_token().get_secret_value()
    with (
        emu.serve() as server,
        httpx.Client(verify=server.ssl_context, headers={"Authorization": f"Bearer {token}"}) as c,
    ):
        users = f"{server.api_base_url}/environments/{emu.environment_id}/users"
        rate = _rate(lambda: c.get(users, params={"limit": 10}), n, rounds)
    return [("HTTPS GET users?limit=10", rate, rate / base), ("HTTPS static handler", base, 1.0)]


_FIXTURE_TESTS = {
    "no fixture": "def test_{i}():\n    pass\n",
    "pingone_emulator": "def test_{i}(pingone_emulator):\n    pass\n",
    "pingone_client + GET": (
        "def test_{i}(pingone_client):\n    assert pingone_client.get_environment().id\n"
    ),
    "pingone_emulator_server": "def test_{i}(pingone_emulator_server):\n    pass\n",
}


def _pytest_seconds(source: str, workdir: Path) -> float:
    path = workdir / "test_bench.py"
    path.write_text(source)
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(path),
        ],
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def _fixture_rows(tests: int) -> list[tuple[str, float, float]]:
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        work.joinpath("pytest.ini").write_text("[pytest]\n")
        times = {
            name: _pytest_seconds("".join(t.format(i=i) for i in range(tests)), work)
            for name, t in _FIXTURE_TESTS.items()
        }
    plain = times["no fixture"]
    for name, seconds in times.items():
        per_test_ms = (seconds - plain) / tests * 1000
        rows.append((name, per_test_ms, seconds / plain))
    return rows


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and tests")
    args = parser.parse_args(argv)
    n, rounds, tests = (100, 3, 50) if args.quick else (1000, 5, 300)
    emu = PingOneEmulator()  # 300 users, as the plugin's default
    print(f"{n} requests x {rounds} rounds; median requests/s (ratio to the baseline)")
    for name, rate, ratio in _transport_rows(emu, n, rounds) + _server_rows(emu, n // 2, rounds):
        print(f"  {name:<30}{rate:>10.0f} req/s   x{ratio:.2f}")
    cached = _rate(PingOneEmulator, 20, rounds)
    fresh = _rate(lambda: (baseline.cache_clear(), PingOneEmulator()), 5, rounds)
    reset = _rate(emu.reset, 50, rounds)
    print("state, per operation (ratio to a full rebuild)")
    for name, rate in (
        ("reset() (restore)", reset),
        ("PingOneEmulator() (cached)", cached),
        ("PingOneEmulator() (rebuild)", fresh),
    ):
        print(f"  {name:<30}{1000 / rate:>10.2f} ms      x{fresh / rate:.3f}")
    print(f"pytest plugin fixtures: {tests} tests per run; extra ms per test (run time ratio)")
    for name, per_test, ratio in _fixture_rows(tests):
        print(f"  {name:<30}{per_test:>10.2f} ms      x{ratio:.2f}")
