"""Fixtures for the ``pingone-worker`` console tests: run ``main()`` in-process, capture output."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest
from cli_helpers import Cli, CliResult, TokenRecorder


@pytest.fixture(autouse=True)
def _cli_isolation(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Keep the console away from the developer's store, keyring, colours and CA settings."""
    monkeypatch.setenv("PINGONE_WORKER_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.setenv("PINGONE_WORKER_KEY_BACKEND", "file")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run ``pingone-worker ARGS`` in-process; ``stdin=`` feeds standard input."""
    from httpx_pingone_worker.cli import main

    def run(*args: str, stdin: str = "") -> CliResult:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The emulator ``--emulator``/``demo`` will use (small), with a token recorder attached.

    ``emulator.recorded`` lists every access token the console obtained through it.
    """
    from httpx_pingone_worker.cli import _session
    from httpx_pingone_worker.emulator import PingOneEmulator

    emu = PingOneEmulator(users=30)
    recorded: list[str] = []
    original = emu.transport

    def recording_transport() -> TokenRecorder:
        return TokenRecorder(original(), recorded)

    monkeypatch.setattr(emu, "transport", recording_transport, raising=False)
    monkeypatch.setattr(_session, "emulator_factory", lambda _region: emu)
    emu.recorded = recorded
    return emu
