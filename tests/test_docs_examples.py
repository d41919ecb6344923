"""Every Python example of the documentation site runs, against the offline emulator.

A page cannot break silently: each fenced ``python`` block of ``docs/**/*.md`` runs in its own
interpreter through ``docs_runner.py`` (an emulator stands in for a real tenant, see there).
An HTML comment right before a block changes how it runs:

- ``<!-- pytest -->``: the block is a test module; it runs under pytest (with the bundled
  plugin, so its fixtures talk to the emulator) and must pass.
- ``<!-- pytest: conftest.py -->``: the block is the ``conftest.py`` of the next ``pytest``
  block of the page (it runs with that one).
- ``<!-- needs: redis -->``: a ``redis-server`` of the suite is started and the block's
  ``redis://127.0.0.1:6379/0`` points at it (skipped when redis-server is not installed).
- ``<!-- no-run: REASON -->``: not run. Kept to the few blocks listed in ``NOT_RUN``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from markdown_blocks import ROOT, Block, blocks

DOCS = ROOT / "docs"
RUNNER = Path(__file__).with_name("docs_runner.py")
REDIS_TESTS = Path(__file__).with_name("redis")
REDIS_URL = "redis://127.0.0.1:6379/0"

EXAMPLES = [b for page in sorted(DOCS.rglob("*.md")) for b in blocks(page, "python")]


def _kind(block: Block) -> str:
    directive = block.directive
    if not directive:
        return "run"
    if directive.startswith("no-run:"):
        return "no-run"
    if directive in ("pytest", "pytest: conftest.py", "needs: redis"):
        return directive
    raise AssertionError(f"{block.id}: unknown directive <!-- {directive} -->")


def _conftests() -> dict[Block, Block]:
    """``pytest`` block → the ``conftest.py`` block written just before it on its page."""
    pairs: dict[Block, Block] = {}
    pending: Block | None = None
    for block in EXAMPLES:
        if pending is not None and block.path != pending.path:
            raise AssertionError(f"{pending.id}: a conftest.py block needs a pytest block after it")
        if block.directive == "pytest: conftest.py":
            pending = block
        elif pending is not None:
            assert block.directive == "pytest", f"{block.id} must be a pytest block"
            pairs[block], pending = pending, None
    assert pending is None, f"{pending.id}: a conftest.py block needs a pytest block after it"
    return pairs


CONFTESTS = _conftests()
RUN = [b for b in EXAMPLES if _kind(b) not in ("no-run", "pytest: conftest.py")]

#: The blocks that do not run, by page and a phrase of their reason. A new one must be added
#: here on purpose: every other example is executed.
NOT_RUN = {
    ("docs/how-to/live-tenant-ci.md", "a live tenant"),
    ("docs/how-to/custom-oidc.md", "a real OIDC server"),
    ("docs/how-to/provisioning.md", "a real tenant"),
    ("docs/how-to/redis-fleet.md", "a Sentinel deployment"),
}


def test_there_are_examples_on_every_page_that_has_code() -> None:
    """The extraction finds the examples (a broken pattern would make every test vacuous)."""
    pages = {b.path.relative_to(DOCS).as_posix() for b in EXAMPLES}
    assert {"getting-started.md", "how-to/redis-fleet.md", "how-to/pytest-plugin.md"} <= pages
    assert len(EXAMPLES) >= 15


def test_every_python_fence_is_extracted() -> None:
    """No python block hides from the runner (indented in a list, or a fence it cannot parse)."""
    for page in sorted(DOCS.rglob("*.md")):
        fences = re.findall(r"^[ \t]*```+python", page.read_text(encoding="utf-8"), re.MULTILINE)
        assert len(fences) == len(blocks(page, "python")), f"{page}: indented or unparsed block"


def test_conftest_blocks_run_with_their_test() -> None:
    """Each conftest.py block is attached to a test block, so it runs too."""
    attached = set(CONFTESTS.values())
    assert attached == {b for b in EXAMPLES if b.directive == "pytest: conftest.py"}
    assert attached


def test_only_the_listed_blocks_are_not_run() -> None:
    """``no-run`` blocks are the known few, each with its reason."""
    skipped = {
        (b.path.relative_to(ROOT).as_posix(), b.directive.removeprefix("no-run:").strip())
        for b in EXAMPLES
        if _kind(b) == "no-run"
    }
    assert len(skipped) == len(NOT_RUN)
    for page, phrase in NOT_RUN:
        assert any(p == page and phrase in reason for p, reason in skipped), (page, phrase)


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh redis-server of the test's own (the Redis tests' helper)."""
    if str(REDIS_TESTS) not in sys.path:  # redis_support lives beside the Redis tests
        sys.path.append(str(REDIS_TESTS))
    from redis_support import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    tmp = request.getfixturevalue("tmp_path")
    server = RedisServer(REDIS_SERVER, tmp)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False
    )


@pytest.mark.parametrize("block", RUN, ids=lambda b: b.id)
def test_example_runs(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The example exits 0 (its own ``assert`` lines hold) against the emulator."""
    code = block.code
    kind = _kind(block)
    if kind == "needs: redis":
        assert REDIS_URL in code, f"{block.id}: a Redis example must use {REDIS_URL}"
        code = code.replace(REDIS_URL, request.getfixturevalue("redis_url"))
    if kind == "pytest":
        script = tmp_path / "test_example.py"
        script.write_text(code, encoding="utf-8")
        if block in CONFTESTS:
            (tmp_path / "conftest.py").write_text(CONFTESTS[block].code, encoding="utf-8")
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    else:
        script = tmp_path / "example.py"
        script.write_text(code, encoding="utf-8")
        argv = [sys.executable, str(RUNNER), str(script)]
    done = _run(argv, tmp_path)
    assert done.returncode == 0, f"{block.id} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
