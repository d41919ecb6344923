"""Benchmark: EncryptedFileTokenCache operations against MemoryTokenCache.

Per operation (median of rounds, microseconds): ``get`` of a stored token (a cache hit:
read + AES-GCM open + JSON), ``get`` of a missing key, ``set`` (seal + temp file + fsync +
rename), ``fetch_lock`` acquire/release without contention, and ``aget`` (thread hop).
The auth engine reads the file cache only when its per-instance memory copy is missing or
due for refresh, so none of this is on the per-request hot path.

Run: ``python benchmarks/run.py filecache`` (``-- --quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from httpx_pingone_worker import EncryptedFileTokenCache, MemoryTokenCache, Secret, Token
from httpx_pingone_worker.credentials._crypto import generate_key

KEY = "pingone:0123456789abcdef0123456789abcdef"
TOKEN = Token(
    access_token=Secret("bench-token-" + "x" * 900),  # PingOne JWTs are about 1 kB
    token_type="Bearer",
    expires_in=3600,
    obtained_at=time.time(),
    scopes=frozenset({"p1:read:user"}),
)


def _time_per_op(fn: Callable[[], object], n: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def _file_lock_cycle(cache: EncryptedFileTokenCache) -> None:
    with cache.fetch_lock(KEY):
        pass


async def _aget_per_op(cache: EncryptedFileTokenCache, n: int, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            await cache.aget(KEY)
        samples.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer operations and rounds")
    args = parser.parse_args(argv)
    n, rounds = (200, 3) if args.quick else (2000, 5)
    with tempfile.TemporaryDirectory() as tmp:
        files = EncryptedFileTokenCache(Path(tmp) / "tokens", key=generate_key())
        memory = MemoryTokenCache()
        files.set(KEY, TOKEN)
        memory.set(KEY, TOKEN)
        rows = [
            ("get (hit)", _time_per_op(lambda: files.get(KEY), n, rounds)),
            ("get (miss)", _time_per_op(lambda: files.get("pingone:none"), n, rounds)),
            ("set", _time_per_op(lambda: files.set(KEY, TOKEN), n // 4, rounds)),
            ("fetch_lock", _time_per_op(lambda: _file_lock_cycle(files), n, rounds)),
            ("aget (hit)", asyncio.run(_aget_per_op(files, n, rounds))),
        ]
        memory_get = _time_per_op(lambda: memory.get(KEY), n * 10, rounds)
    print(f"{n} operations x {rounds} rounds; median microseconds per operation")
    print(f"{'operation':<14}{'file cache':>12}{'memory cache':>14}")
    for name, micros in rows:
        mem = f"{memory_get:>14.2f}" if name == "get (hit)" else f"{'-':>14}"
        print(f"{name:<14}{micros:>12.1f}{mem}")


if __name__ == "__main__":
    main()
