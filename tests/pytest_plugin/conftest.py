"""Helpers for driving the pingone plugin through pytester."""

from __future__ import annotations

import pytest

# Inner runs keep file order (some inner files check what the previous test left behind),
# even when a test-order randomiser such as pytest-randomly is installed.
INI = """
[pytest]
addopts = -p no:cacheprovider -p no:randomly
filterwarnings = error
"""


@pytest.fixture
def ptr(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytester with a strict ini (warnings are errors), like a real project."""
    pytester.makeini(INI)
    return pytester


@pytest.fixture(scope="session", autouse=True)
def _import_heavy_modules_once() -> None:
    """Load the emulator, jose and cryptography in the outer process before any inner run.

    pytester's in-process runs drop every module first imported inside them; the Rust
    bindings of cryptography cannot be imported twice, so a second inner run would see
    half-reloaded classes ("Expected instance of hashes.HashAlgorithm").
    """
    for name in (
        "respx",
        "anyio",
        "jose",
        "jose.jwt",
        "cryptography.hazmat.primitives.hashes",
        "cryptography.hazmat.primitives.hmac",
        "cryptography.hazmat.primitives.serialization",
        "cryptography.hazmat.primitives.asymmetric.rsa",
        "cryptography.hazmat.primitives.asymmetric.padding",
        "cryptography.hazmat.primitives.ciphers.aead",
        "cryptography.x509",
        "trustme",
        "httpx_pingone_worker.emulator",
        "httpx_pingone_worker._auth",
        "httpx_pingone_worker.tokens._jwt_verify",
        "httpx_pingone_worker.management._sync",
        "httpx_pingone_worker.management._async",
        "httpx_pingone_worker.tokens._introspection",
        "httpx_pingone_worker.management._validation",
        "httpx_pingone_worker.caches._file",
    ):
        _try_import(name)
    try:
        from httpx_pingone_worker.emulator import PingOneEmulator
    except ImportError:
        return
    # Key generation and JWT signing import the rest of cryptography lazily.
    emulator = PingOneEmulator(auth_method="private_key_jwt")
    emulator.issue_token()


def _try_import(name: str) -> None:
    import importlib

    try:
        importlib.import_module(name)
    except ImportError:  # a layer not installed or not written yet
        return
