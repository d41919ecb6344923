"""The plugin is cheap to import: heavy modules load only when a fixture needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("jose", "cryptography", "keyring", "respx", "httpx_pingone_worker.emulator")


def test_importing_the_plugin_loads_no_heavy_module() -> None:
    """`import pytest_pingone.plugin` in a fresh interpreter imports none of HEAVY."""
    code = (
        "import sys, json, pytest_pingone.plugin\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules "
        "if any(m == h or m.startswith(h + '.') for h in heavy))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(out.stdout) == []
    # The check itself can fail: the same probe sees a module that was imported.
    probe = code.replace("import sys, json, pytest_pingone.plugin", "import sys, json, respx")
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert "respx" in json.loads(out.stdout)
