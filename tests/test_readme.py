"""The README's first screen must stay true: its example runs and its commands exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from markdown_blocks import ROOT, blocks

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return [b.code for b in blocks(ROOT / "README.md", lang)]


def test_first_example_runs_against_the_emulator() -> None:
    """The pitch example prints the emulated environment's name, with no network."""
    code = _blocks("python")[0]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "Emulator Sandbox"


def test_first_screen_commands_exist() -> None:
    """The two commands (demo and tests) name a real console script and the tox config."""
    commands = _blocks("bash")[0]
    assert "pingone-worker demo" in commands
    assert re.search(r"^pip install tox && tox\b", commands, flags=re.MULTILINE)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'pingone-worker = "httpx_pingone_worker.cli:main"' in pyproject
    assert (ROOT / "tox.ini").is_file()
    # .ci/run must run exactly the README's test command.
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^tox\s*$", ci, flags=re.MULTILINE)


def test_provisioning_section_runs_as_a_pytest_suite(tmp_path: Path) -> None:
    """ "Test your provisioning code offline": its module and its tests pass under pytest."""
    section = README.split("## Test your provisioning code offline", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 2
    for block in blocks:
        name = block.splitlines()[0].removeprefix("# ").strip()
        assert name.endswith(".py")
        (tmp_path / name).write_text(block, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "2 passed" in done.stdout
