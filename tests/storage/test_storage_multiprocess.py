"""Cross-process single-flight: 8 spawned processes, one empty cache, one fetch."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from storage_helpers import RaceSetup, race_for_token

from httpx_pingone_worker._storage import generate_key

RACERS = 8


def test_eight_processes_fetch_once(tmp_path: Path) -> None:
    """8 processes started together on an empty cache make exactly one fetch and share it."""
    ctx = multiprocessing.get_context("spawn")
    setup = RaceSetup(str(tmp_path / "tokens"), generate_key(), str(tmp_path / "fetches"))
    start = ctx.Barrier(RACERS)
    procs = [
        ctx.Process(target=race_for_token, args=(setup, start, str(tmp_path / f"result-{i}"), True))
        for i in range(RACERS)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    assert [p.exitcode for p in procs] == [0] * RACERS
    fetches = Path(setup.counter_file).read_text(encoding="ascii").splitlines()
    assert len(fetches) == 1, fetches
    results = {(tmp_path / f"result-{i}").read_text(encoding="ascii") for i in range(RACERS)}
    assert len(results) == 1
