"""Importing the package, even the storage modules, loads no heavy dependency."""

from __future__ import annotations

import subprocess
import sys


def test_storage_modules_import_no_heavy_dependency() -> None:
    """cryptography, keyring, filelock and platformdirs load only when storage is used."""
    code = (
        "import sys, httpx_pingone_worker as h\n"
        "import httpx_pingone_worker.credentials._crypto, httpx_pingone_worker.credentials._store\n"
        "import httpx_pingone_worker.caches._file\n"
        "h.EncryptedFileTokenCache, h.secure_store\n"
        "heavy = ('cryptography', 'keyring', 'filelock', 'platformdirs')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
