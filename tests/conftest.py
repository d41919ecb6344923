"""Suite-wide fixtures. Area-specific fixtures live in each test folder's conftest."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _isolate_pingone_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's real PINGONE_* settings."""
    import os

    for name in list(os.environ):
        if name.startswith("PINGONE_"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every library log record at DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="httpx_pingone_worker"):
        yield caplog
