"""Benchmark: what a test using the plugin's ``pingone_client`` costs, against hand-made mocks.

Inner pytest runs (subprocesses, same interpreter), ``N`` tests each (200 by default), timed
in CPU seconds of the inner process (CPU time so that a busy machine's other processes do not
count), interleaved round by round, medians reported. Start-up and collection are left out,
they are paid once per run; so is the first test, which pays what is paid once per session on
first use (lazy imports, the plugin building and seeding its emulator): the per-test cost is
the mean of the other ``N - 1`` tests, and the first test's cost is reported on its own, with
the all-inclusive mean beside it. The variants:

- ``respx``: the baseline of the issue: a module-level ``httpx.Client`` and respx answering
  ``GET /environments/{id}`` with a static JSON body, one call per test;
- ``pingone_client``: the plugin's fixture (fresh emulator state, worker token, client), one
  ``get_environment()`` per test;
- ``hand-made``: the same test with a client built by hand on ``pingone_emulator`` (its
  transport and clock): the plugin's client must cost no more;
- ``provisioning``: ``tests/provisioning``'s own suite with the plugin's ``pingone_client``
  against the same suite with a hand-made client on the emulator's transport and clock
  (``PROVISIONING_CLIENT=hand-made``): the plugin must be at least as fast.

The ratios are what matter (``pingone_client`` / ``respx``: the target is 1.5;
``pingone_client`` / hand-made and the provisioning suite's: at or under 1.0 within noise; the
suite is reported whole and without its first test, where the plugin's lazy imports fall).
Run: ``python benchmarks/run.py plugin`` (``-- --quick`` for 50 tests).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

TIMER = """
import json, os, time
import pytest

_marks = []  # CPU time when the run loop starts, then when the second test starts

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    _marks.append(time.process_time())

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    _seen.append(item)
    if len(_seen) == 2:
        _marks.append(time.process_time())

_seen = []

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    if len(_marks) == 2:
        loop, second = _marks
        out = os.environ["BENCH_OUT"]
        with open(out, "w") as fh:
            json.dump({"first": second - loop,
                       "rest": time.process_time() - second,
                       "tests": session.testscollected,
                       "failed": session.testsfailed}, fh)
"""

RESPX_TESTS = """
import httpx
import pytest
import respx

ENV = "3b1cb3a4-5a4e-4bd8-9a8a-0a5b0d1f2e3c"
URL = f"https://api.pingone.com/v1/environments/{ENV}"
BODY = {"id": ENV, "name": "Administrators", "type": "SANDBOX", "region": "NA"}
CLIENT = httpx.Client(headers={"Authorization": "Bearer static-token"})

@pytest.fixture
def mocked():
    with respx.mock(assert_all_called=False) as router:
        router.get(URL).respond(200, json=BODY)
        yield router

@pytest.mark.parametrize("i", range(__N__))
def test_environment(mocked, i):
    assert CLIENT.get(URL).json()["name"] == "Administrators"
"""

HAND_MADE_TESTS = """
import pytest
from httpx_pingone_worker import PingOneClient, PingOneWorkerAuth, RateLimiter


@pytest.fixture
def client(pingone_emulator):
    emu = pingone_emulator
    creds, clock = emu.credentials, emu.clock

    def advance(seconds):
        clock.advance(seconds)

    auth = PingOneWorkerAuth(creds.client_id, creds.client_secret, creds.environment_id,
                             region=creds.region, clock=clock.now, sleep=advance)
    with PingOneClient(auth=auth, transport=emu.transport(), clock=clock.now, sleep=advance,
                       rate_limiter=RateLimiter(clock=clock.now, sleep=advance)) as made:
        yield made
    auth.close()


@pytest.mark.parametrize("i", range(__N__))
def test_environment(client, i):
    assert client.get_environment().id
"""

PLUGIN_TESTS = """
import pytest

@pytest.mark.parametrize("i", range(__N__))
def test_environment(pingone_client, i):
    assert pingone_client.get_environment().id
"""


def _run(
    timer_dir: Path, tests: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """CPU seconds of the inner pytest process: the first test (with whatever is paid once
    per session on first use: lazy imports, building and seeding the emulator), and every
    later test up to the end of the session (CPU time, not wall time: other processes of a
    busy machine do not count)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        run_env = {**os.environ, **(env or {}), "BENCH_OUT": str(out)}
        run_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(timer_dir), run_env.get("PYTHONPATH", "")) if p
        )
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
        cmd += ["-p", "bench_timer", "-x", str(tests), *extra]
        proc = subprocess.run(cmd, env=run_env, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not out.exists():
            raise SystemExit(
                f"inner run failed ({tests.name}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
            )
        result = json.loads(out.read_text())
        return float(result["first"]), float(result["rest"])


def measure(n: int, rounds: int) -> dict[str, float]:
    """Milliseconds of each inner run (the median of ``rounds`` runs): per test after the
    first (``<name>``), the first test (``<name>:first``) and per test with the first one
    included (``<name>:all``); the provisioning suite's total (``suite``, ``suite_hand``) and
    its total without the first test (``suite:rest``, ``suite_hand:rest``)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "bench_timer.py").write_text(TIMER)
        bodies = (("respx", RESPX_TESTS), ("plugin", PLUGIN_TESTS), ("hand", HAND_MADE_TESTS))
        for name, body in bodies:
            folder = base / name
            folder.mkdir()
            (folder / "pytest.ini").write_text("[pytest]\n")
            (folder / f"test_{name}.py").write_text(textwrap.dedent(body).replace("__N__", str(n)))
        suite = ROOT / "tests" / "provisioning"
        times: dict[str, list[float]] = {}
        for _ in range(rounds):
            for name in ("respx", "plugin", "hand"):
                first, rest = _run(base, base / name / f"test_{name}.py")
                times.setdefault(name, []).append(rest / (n - 1) * 1000)
                times.setdefault(f"{name}:first", []).append(first * 1000)
                times.setdefault(f"{name}:all", []).append((first + rest) / n * 1000)
            if suite.is_dir():
                for key, env in (
                    ("suite", None),
                    ("suite_hand", {"PROVISIONING_CLIENT": "hand-made"}),
                ):
                    first, rest = _run(base, suite, "-p", "no:xdist", env=env)
                    times.setdefault(key, []).append((first + rest) * 1000)
                    times.setdefault(f"{key}:rest", []).append(rest * 1000)
        return {k: sorted(v)[len(v) // 2] for k, v in times.items() if v}


def main(argv: list[str]) -> None:
    """Print per-test costs and the ratios."""
    parser = argparse.ArgumentParser(prog="bench_plugin")
    parser.add_argument("--quick", action="store_true", help="50 tests, one round")
    parser.add_argument("-n", type=int, default=200, help="tests per inner run (default 200)")
    args = parser.parse_args(argv)
    n = 50 if args.quick else args.n
    rounds = 1 if args.quick else 5
    r = measure(n, rounds)
    print(f"{n} tests per run, CPU time, median of {rounds} interleaved run(s)")
    print("per test (the first test of each run left out: it pays the session's one-time costs)")
    print(f"  respx + module-level httpx.Client : {r['respx']:7.2f} ms/test")
    print(f"  pingone_client (get_environment)  : {r['plugin']:7.2f} ms/test")
    print(f"  hand-made client on the emulator  : {r['hand']:7.2f} ms/test")
    print(f"  ratio pingone_client / respx      : {r['plugin'] / r['respx']:7.2f}  (target <= 1.5)")
    print(f"  ratio pingone_client / hand-made  : {r['plugin'] / r['hand']:7.2f}  (target <= 1.0)")
    print("the first test (lazy imports; the plugin builds and seeds its emulator)")
    for name, label in (("respx", "respx"), ("plugin", "pingone_client"), ("hand", "hand-made")):
        print(f"  {label:33s} : {r[name + ':first']:7.1f} ms")
    print(f"per test with the first one included ({n} tests)")
    print(f"  respx                             : {r['respx:all']:7.2f} ms/test")
    print(f"  pingone_client                    : {r['plugin:all']:7.2f} ms/test")
    print(f"  ratio                             : {r['plugin:all'] / r['respx:all']:7.2f}")
    if "suite" in r:
        print("tests/provisioning (10 tests; noisy), all tests / all but the first:")
        for key, label in (("suite", "pingone_client"), ("suite_hand", "hand-made")):
            print(f"  {label:33s} : {r[key]:7.0f} ms / {r[key + ':rest']:7.0f} ms")
        ratio, rest = r["suite"] / r["suite_hand"], r["suite:rest"] / r["suite_hand:rest"]
        print(f"  ratio plugin / hand-made          : {ratio:7.2f} / {rest:7.2f}  (target <= 1.0)")


if __name__ == "__main__":
    main(sys.argv[1:])
