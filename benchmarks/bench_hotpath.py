"""Benchmark: the hot path (a fresh token) of this tree against another tree, same run.

``bench_auth``'s part 1 ``ours`` variant (``PingOneWorkerAuth`` with a warm cache, through
``httpx.MockTransport``, sync and asyncio) measured for two trees of the library in one run:
one worker process per tree (``PYTHONPATH`` pointing at that tree's ``src``), rounds
interleaved (A B, B A, A B …) so machine noise hits both alike. Each worker also times a
plain ``httpx.Client`` on the same transport, so the report gives the whole request and the
auth's share of it (``ours`` minus ``no-auth``), plus the auth flow alone (driven by hand
as httpx drives it) and ``get_token``. Each ratio is this tree's over the other's: the
median, over rounds, of the two trees' back-to-back measurements (robust to a burst of load
from elsewhere, which the best round is not); the verdict (1.05x) uses the request against
each tree's own no-auth request of that round.

The other tree is ``--compare-with PATH`` (a directory holding ``httpx_pingone_worker``,
such as ``git archive REV src``, unpacked), else ``--compare-with-commit REV`` of this
repository (default: the last commit before the token engine was cut into ``AuthConfig``,
``GuardedCache``, the sans-IO lead and the Performer), archived into a temporary directory.

Run: ``python benchmarks/run.py hotpath`` (or ``tox -e bench``); ``--quick`` for a short run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The first parent of the commit that introduced ``AuthConfig`` (the engine's redesign).
BEFORE_REDESIGN = "066abb7"
#: Per mode: a request through a client with the auth and without, the auth flow alone driven
#: by hand, and ``get_token`` / ``aget_token`` (the last two ten times as many, shorter).
VARIANTS = ("ours", "no-auth", "flow", "get_token")


# --- the worker: one tree, answers "sync N" / "async N" on stdin --------------------------


def _worker() -> None:
    import bench_auth
    import httpx
    from bench_auth import API_URL, CLIENT_ID, ENV, SECRET, Counter

    import httpx_pingone_worker
    from httpx_pingone_worker import PingOneWorkerAuth

    counter = Counter()
    auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV)
    sync_clients = {
        "ours": httpx.Client(auth=auth, transport=counter.transport()),
        "no-auth": httpx.Client(transport=counter.transport()),
    }
    loop = asyncio.new_event_loop()

    async def make_async() -> dict[str, httpx.AsyncClient]:
        return {
            "ours": httpx.AsyncClient(
                auth=PingOneWorkerAuth(CLIENT_ID, SECRET, ENV), transport=counter.atransport()
            ),
            "no-auth": httpx.AsyncClient(transport=counter.atransport()),
        }

    async_clients = loop.run_until_complete(make_async())
    aauth = async_clients["ours"].auth
    request = httpx.Request("GET", API_URL)
    response = httpx.Response(200)

    def flow_loop(n: int) -> float:
        """The auth flow alone, driven by hand as httpx drives it (no transport)."""
        flow_of = auth.sync_auth_flow
        start = bench_auth._timer()
        for _ in range(n):
            flow = flow_of(request)
            next(flow)
            try:  # noqa: SIM105 - suppress() would add its own cost to the loop
                flow.send(response)
            except StopIteration:
                pass
        return (bench_auth._timer() - start) / n * 1e6

    def token_loop(n: int) -> float:
        get_token = auth.get_token
        start = bench_auth._timer()
        for _ in range(n):
            get_token()
        return (bench_auth._timer() - start) / n * 1e6

    async def atoken_loop(n: int) -> float:
        aget_token = aauth.aget_token
        start = bench_auth._timer()
        for _ in range(n):
            await aget_token()
        return (bench_auth._timer() - start) / n * 1e6

    async def aflow_loop(n: int) -> float:
        flow_of = aauth.async_auth_flow
        start = bench_auth._timer()
        for _ in range(n):
            flow = flow_of(request)
            await flow.__anext__()
            try:  # noqa: SIM105 - suppress() would add its own cost to the loop
                await flow.asend(response)
            except StopAsyncIteration:
                pass
        return (bench_auth._timer() - start) / n * 1e6

    def run(mode: str, name: str, n: int) -> float:
        if mode == "sync":
            if name == "flow":
                return flow_loop(n * 10)
            if name == "get_token":
                return token_loop(n * 10)
            return bench_auth._time_loop(sync_clients[name], n)
        if name == "flow":
            return loop.run_until_complete(aflow_loop(n * 10))
        if name == "get_token":
            return loop.run_until_complete(atoken_loop(n * 10))
        return loop.run_until_complete(bench_auth._atime_loop(async_clients[name], n))

    for mode in ("sync", "async"):  # warm: the token, plugin entry points, httpx's caches
        for name in VARIANTS:
            run(mode, name, 200)
    print(json.dumps({"ready": str(Path(httpx_pingone_worker.__file__).parent)}), flush=True)
    for line in sys.stdin:
        mode, n = line.split()
        print(json.dumps({name: run(mode, name, int(n)) for name in VARIANTS}), flush=True)


# --- the parent: two workers, interleaved rounds ------------------------------------------


class _Tree:
    def __init__(self, label: str, src: Path) -> None:
        self.label = label
        env = {**os.environ, "PYTHONPATH": str(src)}
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(HERE),
        )
        ready = json.loads(self._read())
        self.package = ready["ready"]
        if Path(self.package).resolve() != (src / "httpx_pingone_worker").resolve():
            self.close()
            raise SystemExit(f"{label}: the worker imported {self.package}, not {src}")

    def _read(self) -> str:
        out: IO[str] | None = self.proc.stdout
        assert out is not None  # stdout is a pipe
        line = out.readline()
        if not line:
            raise SystemExit(f"the {self.label} worker ended (exit {self.proc.wait()})")
        return line

    def measure(self, mode: str, requests: int) -> dict[str, float]:
        stdin = self.proc.stdin
        assert stdin is not None  # stdin is a pipe
        stdin.write(f"{mode} {requests}\n")
        stdin.flush()
        result: dict[str, float] = json.loads(self._read())
        return result

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


@contextmanager
def _other_tree(path: str | None, commit: str) -> Iterator[Path]:
    """The other tree's ``src``: ``path`` as given, else ``commit`` archived into a temp dir."""
    if path is not None:
        yield Path(path).resolve()
        return
    with tempfile.TemporaryDirectory(prefix="hpw-bench-") as tmp:
        archive = Path(tmp) / "src.tar"
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", "-o", str(archive), commit, "src"],
            check=True,
        )
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):  # 3.10.12+, 3.11.4+
                tar.extractall(tmp, filter="data")
            else:  # pragma: no cover - our own archive
                tar.extractall(tmp)  # noqa: S202
        yield Path(tmp) / "src"


def compare(
    other: Path, requests: int, rounds: int
) -> dict[str, dict[str, dict[str, list[float]]]]:
    """{mode: {tree: {variant: [µs/request per round]}}} for this tree and ``other``."""
    trees = [_Tree("this tree", ROOT / "src"), _Tree("other tree", other)]
    print(f"this tree:  {trees[0].package}\nother tree: {trees[1].package}")
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        mode: {t.label: {v: [] for v in VARIANTS} for t in trees} for mode in ("sync", "async")
    }
    try:
        for r in range(rounds):
            for mode in ("sync", "async"):
                for tree in trees if r % 2 == 0 else trees[::-1]:
                    for name, value in tree.measure(mode, requests).items():
                        samples[mode][tree.label][name].append(value)
    finally:
        for tree in trees:
            tree.close()
    return samples


def _report(mode: str, samples: dict[str, dict[str, list[float]]]) -> float:
    """Print one mode's table; return this tree's ``ours`` over the other's."""
    print(f"\nHot path, {mode}, cached token (thread CPU µs, best round; median in brackets)")
    print(
        f"{'tree':<11} {'request':>15} {'no-auth':>8} {'auth µs':>8} {'flow alone':>16} "
        f"{'get_token':>16}"
    )
    best = {t: {v: min(vals) for v, vals in rows.items()} for t, rows in samples.items()}
    for tree, rows in samples.items():
        b, med = best[tree], {v: statistics.median(vals) for v, vals in rows.items()}
        print(
            f"{tree:<11} {b['ours']:>6.1f} ({med['ours']:>6.1f}) {b['no-auth']:>8.1f} "
            f"{b['ours'] - b['no-auth']:>8.1f} {b['flow']:>7.3f} ({med['flow']:>6.3f}) "
            f"{b['get_token']:>7.3f} ({med['get_token']:>6.3f})"
        )
    this, other = samples["this tree"], samples["other tree"]

    def paired(name: str) -> float:
        """The median over rounds of this tree's time / the other's in the same round (the
        two ran back to back, so a burst of load elsewhere hits both)."""
        return statistics.median(t / o for t, o in zip(this[name], other[name], strict=True))

    # Each request over the same process's no-auth request of that round: a process whose
    # httpx happens to run faster (memory layout, CPU caches) does not count as ours.
    normalized = statistics.median(
        (t / tn) / (o / on)
        for t, tn, o, on in zip(
            this["ours"], this["no-auth"], other["ours"], other["no-auth"], strict=True
        )
    )
    ratio = paired("ours")
    verdict = "within" if normalized <= 1.05 else "NOT within"
    print(
        f"this tree / other tree (median of per-round ratios): {ratio:.3f}x per request, "
        f"{normalized:.3f}x against each tree's no-auth ({verdict} 1.05x); "
        f"the flow alone {paired('flow'):.3f}x, get_token {paired('get_token'):.3f}x"
    )
    return normalized


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    parser.add_argument("--requests", type=int, default=None, help="requests per round")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--compare-with", metavar="PATH", help="the other tree's src directory")
    parser.add_argument(
        "--compare-with-commit",
        metavar="REV",
        default=BEFORE_REDESIGN,
        help=f"a commit of this repository to archive (default {BEFORE_REDESIGN})",
    )
    args, _ = parser.parse_known_args(argv)  # run.py passes every benchmark's arguments
    requests = args.requests or (500 if args.quick else 2000)
    rounds = args.rounds or (6 if args.quick else 16)
    with ExitStack() as stack:
        try:
            other = stack.enter_context(_other_tree(args.compare_with, args.compare_with_commit))
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"skipped: no other tree ({exc}); pass --compare-with PATH")
            return
        print(f"{requests} requests x {rounds} interleaved rounds per tree and mode")
        samples = compare(other, requests, rounds)
        for mode, rows in samples.items():
            _report(mode, rows)


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker"]:
        _worker()
    else:
        main(sys.argv[1:])
