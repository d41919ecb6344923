"""httpx2 stays optional: the package never imports it, the adapter explains a missing install."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    "statement",
    [
        "import httpx_pingone_worker",
        "from httpx_pingone_worker import PingOneWorkerAuth, PingOneClient, AsyncPingOneClient",
        "from httpx_pingone_worker.emulator import PingOneEmulator; PingOneEmulator().transport()",
    ],
)
def test_package_never_imports_httpx2(statement: str) -> None:
    """Importing the package and its httpx names leaves httpx2 unloaded."""
    result = _run(f"import sys\n{statement}\nprint('httpx2' in sys.modules)")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_probe_sees_httpx2_when_the_adapter_is_imported() -> None:
    """The probe above can fail: importing the adapter does load httpx2."""
    pytest.importorskip("httpx2", reason="httpx2 is not installed")
    result = _run("import sys\nimport httpx_pingone_worker.httpx2\nprint('httpx2' in sys.modules)")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "True"


def test_missing_httpx2_gives_the_pip_command() -> None:
    """Without httpx2, importing the adapter raises ImportError naming the extra to install."""
    code = (
        "import sys\n"
        "sys.modules['httpx2'] = None  # as if it were not installed\n"
        "try:\n"
        "    import httpx_pingone_worker.httpx2\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "else:\n"
        "    print('imported')\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr[-2000:]
    message = result.stdout.strip()
    assert 'pip install "httpx-pingone-worker[httpx2]"' in message
    assert "3.11" in message
