"""The README stays true: its first example runs, its commands exist, and every other Python
snippet runs against the emulator (the few that need a server of the reader's own say so)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from markdown_blocks import ROOT, Block, blocks

RUNNER = Path(__file__).with_name("docs_runner.py")

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


PROVISIONING = README.split("## Test your provisioning code offline", 1)[1].split("\n## ", 1)[0]
#: What the README's snippets call your worker app's values (see its "Configuration").
PRELUDE = (
    "import os\n"
    "client_id = os.environ['PINGONE_CLIENT_ID']\n"
    "client_secret = os.environ['PINGONE_CLIENT_SECRET']\n"
    "environment_id = os.environ['PINGONE_ENVIRONMENT_ID']\n"
)
#: Blocks that do not run, by a phrase of their reason: each needs a server of the reader's own.
NOT_RUN = ("an OIDC server of your own", "your Redis deployments")
ALL = blocks(ROOT / "README.md", "python")
# The first block has its own test; the provisioning section runs as a pytest suite above.
RUN = [b for b in ALL[1:] if not b.directive.startswith("no-run:") and b.code not in PROVISIONING]


def test_only_the_listed_blocks_are_not_run() -> None:
    """``no-run`` blocks are the known few; everything else is in ``RUN`` or tested above."""
    skipped = [b.directive for b in ALL if b.directive.startswith("no-run:")]
    assert len(skipped) == len(NOT_RUN)
    for phrase in NOT_RUN:
        assert any(phrase in d for d in skipped), phrase
    assert len(RUN) >= 9


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_readme_block_runs(block: Block, tmp_path: Path) -> None:
    """Each README snippet runs as written against the emulator (``docs_runner.py``), given
    only the worker app's values the README names (``client_id`` …)."""
    if block.directive == "needs: httpx2":
        pytest.importorskip("httpx2")
    else:
        assert block.directive in ("", "pytest"), f"{block.id}: unknown <!-- {block.directive} -->"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    if block.directive == "pytest":
        script = tmp_path / "test_example.py"
        script.write_text(block.code, encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    else:
        script = tmp_path / "example.py"
        script.write_text(PRELUDE + block.code, encoding="utf-8")
        argv = [sys.executable, str(RUNNER), str(script)]
    done = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{block.id}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


def test_docs_extra_mirrors_the_docs_group() -> None:
    """``pip install -e '.[docs]'`` (what README and CONTRIBUTING say) installs exactly the
    ``docs`` dependency group's tools, which ``tox -e docs`` uses."""
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["docs"]
    assert extra == pyproject["dependency-groups"]["docs"]
    assert "mkdocs>=1.6" in extra
    assert "pip install -e '.[docs]'" in (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert 'pip install -e ".[docs]"' in README
