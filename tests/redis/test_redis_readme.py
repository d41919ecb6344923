"""The README's "Sharing tokens across hosts" example runs and makes one token request."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from redis_support import RedisServer

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_readme_sharing_example_makes_one_token_request(redis_server: RedisServer) -> None:
    """Three workers with their own auth and RedisTokenCache share one token."""
    block = next(
        b
        for b in re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
        if "token requests:" in b and "RedisTokenCache(" in b
    )
    code = block.replace("redis://127.0.0.1:6379/0", redis_server.url)
    assert code != block, "the example's Redis URL changed; update this test"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "token requests: 1"
    fingerprints = {line.split()[1] for line in lines[:-1]}
    assert len(lines) == 4
    assert len(fingerprints) == 1
