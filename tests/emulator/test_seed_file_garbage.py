"""A seed file that is not UTF-8 JSON, or nests too deep, is a clear EmulatorError: the
library raises no UnicodeDecodeError/RecursionError, the runners exit 2 with a message."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout, suppress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpx_pingone_worker import EmulatorError
from httpx_pingone_worker.emulator import PingOneEmulator

BAD_FILES = {
    "latin-1": '{"users": [{"username": "j\u00fcrgen"}]}'.encode("latin-1"),
    "deep-list": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"users":' * 50_000 + b"1" + b"}" * 50_000,
    "nan": b'{"users": [{"username": "a", "x": NaN}]}',
}


@pytest.mark.parametrize("content", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_seed_file_is_an_emulator_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "seed.json"
    path.write_bytes(content)
    with pytest.raises(EmulatorError, match="not valid JSON") as info:
        PingOneEmulator(users=0, seed_file=path)
    assert str(path) in str(info.value)
    assert info.value.__context__ is None or isinstance(info.value.__context__, EmulatorError)


def test_seed_file_path_with_a_nul_byte(tmp_path: Path) -> None:
    with pytest.raises(EmulatorError, match="NUL"):
        PingOneEmulator(users=0, seed_file=str(tmp_path / "a\0b.json"))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    content=st.one_of(
        st.binary(max_size=64),
        st.builds(lambda n, o: o * n, st.integers(50, 5000), st.sampled_from([b"[", b'{"a":'])),
        st.text(max_size=40).map(lambda t: t.encode("utf-16")),
    )
)
def test_any_seed_file_bytes_build_or_raise_emulator_error(
    tmp_path_factory: Any, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("seed") / "seed.json"
    path.write_bytes(content)
    with suppress(EmulatorError):
        PingOneEmulator(users=0, seed_file=path)


def test_console_emulator_state_exits_2_with_a_message(tmp_path: Path) -> None:
    from httpx_pingone_worker.cli import main

    path = tmp_path / "seed.json"
    path.write_bytes(BAD_FILES["latin-1"])
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["emulator", "--state", str(path)])
    assert code == 2, out.getvalue() + err.getvalue()
    assert "not valid JSON" in err.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()


def test_module_runner_prints_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_bytes(BAD_FILES["deep-list"])
    run = subprocess.run(
        [sys.executable, "-m", "httpx_pingone_worker.emulator", "--state", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert "not valid JSON" in run.stderr
    assert "nest" in run.stderr or "deep" in run.stderr
