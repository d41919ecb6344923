"""The documentation site, built once per test session (``mkdocs build --strict``).

The docs tools are the ``docs`` dependency group: ``tox -e docs`` installs them and runs these
tests; a test environment without them skips this folder, saying so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from markdown_blocks import ROOT

TOOLS = ROOT / "tools"
if str(TOOLS) not in sys.path:
    sys.path.append(str(TOOLS))


def _mkdocs_missing() -> bool:
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError:
        return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip this folder when the docs tools are not installed (tox -e docs installs them)."""
    if not _mkdocs_missing():
        return
    if os.environ.get("PINGONE_DOCS_REQUIRED"):
        raise pytest.UsageError("PINGONE_DOCS_REQUIRED is set but mkdocs is not installed")
    skip = pytest.mark.skip(reason="the docs group is not installed: run `tox -e docs`")
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `tox -e docs` builds it: ``mkdocs build --strict`` into a temporary dir."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        # Not --quiet: quiet mode drops the warnings that --strict counts, and the build passes.
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-5000:]}"
    assert "WARNING" not in done.stderr, done.stderr[-5000:]
    assert (out / "index.html").is_file()
    return out
