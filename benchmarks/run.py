"""Run the benchmarks: every ``benchmarks/bench_*.py`` module's ``main()`` in turn.

``python benchmarks/run.py`` runs all; ``python benchmarks/run.py auth -- --quick`` runs
``bench_auth`` with ``--quick``. Arguments after ``--`` go to each benchmark.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run the selected benchmarks (all when none is named)."""
    if "--" in argv:
        cut = argv.index("--")
        names, passthrough = argv[:cut], argv[cut + 1 :]
    else:
        names = [a for a in argv if not a.startswith("-")]
        passthrough = [a for a in argv if a.startswith("-")]
    available = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    unknown = sorted(set(names) - set(available))
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(available)}")
        return 2
    sys.path.insert(0, str(HERE))
    for name in names or available:
        print(f"=== bench_{name} ===")
        module = importlib.import_module(f"bench_{name}")
        module.main(passthrough)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
