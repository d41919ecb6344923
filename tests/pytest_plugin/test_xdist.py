"""Under pytest-xdist every worker has its own emulators and its own HTTPS server."""

from __future__ import annotations

import json

import pytest

TESTS = """
import json, os, pathlib

import pytest

@pytest.mark.parametrize("n", range(4))
def test_worker(n, pingone_emulator, pingone_token, pingone_emulator_server, tmp_path_factory):
    assert pingone_emulator.token_requests == 1  # nothing shared with other tests
    out = pathlib.Path(os.environ["XDIST_OUT"]) / f"{n}.json"
    out.write_text(json.dumps({
        "worker": os.environ["PYTEST_XDIST_WORKER"], "server": pingone_emulator_server.url,
    }))
"""


def test_run_under_xdist(ptr: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-n 2`: both workers run tests, each against its own emulator and server."""
    out = ptr.mkdir("out")
    monkeypatch.setenv("XDIST_OUT", str(out))
    ptr.makepyfile(TESTS)
    result = ptr.runpytest("-n", "2", "--dist=load")
    result.assert_outcomes(passed=4)
    records = [json.loads(p.read_text()) for p in out.iterdir()]
    assert len(records) == 4
    by_worker: dict[str, set[str]] = {}
    for record in records:
        by_worker.setdefault(record["worker"], set()).add(record["server"])
    assert set(by_worker) == {"gw0", "gw1"}
    # One server per worker (session scope), different between workers.
    assert all(len(servers) == 1 for servers in by_worker.values())
    assert by_worker["gw0"] != by_worker["gw1"]
