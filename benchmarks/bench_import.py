"""Benchmark: the whole-process cost of importing the library, as a ratio to ``import httpx``.

Each sample is a fresh interpreter (``python -c <statement>``) from start to exit, so
start-up, site and every transitive import count. A sample is the child's CPU time (user +
system, from ``getrusage(RUSAGE_CHILDREN)``): unlike wall time it leaves out the time the
process waited for a CPU, so a busy machine skews it far less. The baseline ``import httpx``
and each statement run in interleaved pairs (baseline, statement, baseline, statement, …) so load
on the machine hits both alike; the ratio is median(statement) / median(baseline).

Bytecode is compiled once before timing (into a private ``PYTHONPYCACHEPREFIX``), as it is
for an installed package, so the ratio measures imports and not the compiler.

Goal (DESIGN.md principle 7): ``from httpx_pingone_worker import PingOneWorkerAuth`` at
most ~1.2x ``import httpx``; ``pingone-worker --help`` equally light.

Run: ``python benchmarks/run.py import`` (``-- --quick`` for a short run).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

BASELINE = "import httpx"
STATEMENTS = {
    "import httpx_pingone_worker": "import httpx_pingone_worker",
    "from … import PingOneWorkerAuth": "from httpx_pingone_worker import PingOneWorkerAuth",
    "pingone-worker --help": (
        "import sys; sys.argv = ['pingone-worker', '--help']\n"
        "from httpx_pingone_worker.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    ),
}
TARGET = 1.2


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(statement: str, env: dict[str, str]) -> float:
    """CPU seconds of one fresh interpreter running ``statement``."""
    start = _cpu_of_children()
    subprocess.run(
        [sys.executable, "-c", statement],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return _cpu_of_children() - start


def measure(statement: str, pairs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median seconds of ``BASELINE`` and of ``statement``, sampled in interleaved pairs."""
    base: list[float] = []
    ours: list[float] = []
    for _ in range(pairs):
        base.append(_run(BASELINE, env))
        ours.append(_run(statement, env))
    return statistics.median(base), statistics.median(ours)


def main(argv: list[str] | None = None) -> None:
    """Print the median times and ratios of each statement against ``import httpx``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer pairs")
    parser.add_argument("--pairs", type=int, default=None, help="interleaved pairs per statement")
    args = parser.parse_args(argv)
    pairs = args.pairs or (7 if args.quick else 31)
    with tempfile.TemporaryDirectory(prefix="bench-import-pyc-") as pyc:
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pyc
        for statement in (BASELINE, *STATEMENTS.values()):  # compile once, warm the disk cache
            _run(statement, env)
        print(f"{'statement':34} {'httpx ms':>9} {'ours ms':>9} {'ratio':>6}  (goal <= {TARGET}x)")
        for label, statement in STATEMENTS.items():
            base, ours = measure(statement, pairs, env)
            ratio = ours / base
            print(f"{label:34} {base * 1e3:9.1f} {ours * 1e3:9.1f} {ratio:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
