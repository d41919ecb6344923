"""Cross-process single-flight: 8 spawned processes, one empty cache, one fetch."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from storage_helpers import (
    AuthRaceSetup,
    CountingTokenServer,
    RaceSetup,
    all_bytes_under,
    auth_race,
    race_for_token,
)

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker.credentials._crypto import generate_key

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


def test_eight_processes_with_auth_make_one_token_request(tmp_path: Path) -> None:
    """8 processes, each with its own PingOneWorkerAuth on one file cache, make 1 token request.

    The token endpoint is a real HTTP server that counts; the canary secret and token then
    appear in no file of the cache directory.
    """
    ctx = multiprocessing.get_context("spawn")
    with CountingTokenServer(token=CANARY_TOKEN) as server:
        setup = AuthRaceSetup(
            cache_dir=str(tmp_path / "tokens"),
            key_text=generate_key(),
            token_endpoint=server.url,
            client_id=CANARY_CLIENT_ID,
            client_secret=CANARY_SECRET,
            environment_id=CANARY_ENV_ID,
        )
        start = ctx.Barrier(RACERS)
        procs = [
            ctx.Process(target=auth_race, args=(setup, start, str(tmp_path / f"result-{i}")))
            for i in range(RACERS)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=120)
        for proc in procs:
            if proc.is_alive():
                proc.kill()
        requests = server.count
    assert [p.exitcode for p in procs] == [0] * RACERS
    assert requests == 1
    results = {(tmp_path / f"result-{i}").read_text(encoding="ascii") for i in range(RACERS)}
    assert results == {CANARY_TOKEN}
    for i in range(RACERS):
        (tmp_path / f"result-{i}").unlink()
    assert_no_canary(all_bytes_under(tmp_path / "tokens"))
