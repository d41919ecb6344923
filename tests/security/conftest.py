"""Fixtures of the canary suite."""

from __future__ import annotations

import importlib

import pytest

# Inner runs keep file order and treat warnings as errors, like a real project.
INI = """
[pytest]
addopts = -p no:cacheprovider -p no:randomly
filterwarnings = error
"""


@pytest.fixture
def ptr(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester with a strict ini."""
    pytester.makeini(INI)
    return pytester


@pytest.fixture(scope="session", autouse=True)
def _import_heavy_modules_once() -> None:
    """Load the emulator and cryptography in the outer process before any inner run
    (pytester's in-process runs drop modules first imported inside them, and cryptography's
    bindings cannot be imported twice)."""
    for name in (
        "jose",
        "jose.jwt",
        "cryptography.hazmat.primitives.hashes",
        "cryptography.hazmat.primitives.hmac",
        "cryptography.hazmat.primitives.serialization",
        "cryptography.hazmat.primitives.asymmetric.rsa",
        "cryptography.hazmat.primitives.asymmetric.padding",
        "cryptography.hazmat.primitives.ciphers.aead",
        "httpx_pingone_worker.emulator",
        "httpx_pingone_worker._auth",
        "httpx_pingone_worker.tokens._introspection",
        "httpx_pingone_worker.management._sync",
    ):
        importlib.import_module(name)
    from httpx_pingone_worker.emulator import PingOneEmulator

    PingOneEmulator().issue_token()
