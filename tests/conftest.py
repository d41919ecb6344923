"""Suite-wide fixtures. Area-specific fixtures live in each test folder's conftest."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolate_pingone_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test sees the developer's real PINGONE_* settings, credential store or token cache."""
    import os

    for name in list(os.environ):
        if name.startswith("PINGONE_"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("pingone-home")
    monkeypatch.setenv("PINGONE_WORKER_DATA_DIR", str(home / "store"))
    monkeypatch.setenv("PINGONE_WORKER_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("PINGONE_WORKER_KEY_BACKEND", "file")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every library log record at DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="httpx_pingone_worker"):
        yield caplog
