"""Print the versions a tox leg resolved (so a CI log says what was tested)."""

from __future__ import annotations

import importlib.util
from importlib.metadata import PackageNotFoundError, version

NAMES = (
    "httpx",
    "httpx2",
    "pluggy",
    "python-jose",
    "cryptography",
    "keyring",
    "filelock",
    "platformdirs",
    "anyio",
    "respx",
    "redis",
    "trustme",
    "pytest",
    "trio",
    "gunicorn",
    "uvicorn",
    "fastapi",
)


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    print(" | ".join(f"{name} {_version(name)}" for name in NAMES))
    print("httpx2 importable:", importlib.util.find_spec("httpx2") is not None)
