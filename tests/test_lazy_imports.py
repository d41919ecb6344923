"""Importing the package (and its common names) does not load heavy dependencies."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("jose", "cryptography", "keyring", "redis")
EMULATOR = "httpx_pingone_worker.emulator"

PROBE = """
import json, sys
{statement}
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(statement: str) -> list[str]:
    """Modules loaded in a fresh interpreter after running ``statement``."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    modules: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modules


def heavy_in(modules: list[str]) -> list[str]:
    return sorted(
        m
        for m in modules
        if m.split(".")[0] in HEAVY or m == EMULATOR or m.startswith(EMULATOR + ".")
    )


def test_probe_detects_heavy_imports() -> None:
    """The probe itself sees a heavy import when one happens (so the tests can fail)."""
    assert "jose" in heavy_in(loaded_after("import httpx_pingone_worker; import jose"))


def test_plain_import_is_light() -> None:
    """`import httpx_pingone_worker` loads none of jose, cryptography, keyring, redis, emulator."""
    modules = loaded_after("import httpx_pingone_worker")
    assert "httpx_pingone_worker" in modules
    assert heavy_in(modules) == []


@pytest.mark.parametrize(
    "names",
    [
        "PingOneWorkerAuth, MemoryTokenCache, Secret, Region, ClientCredentials",
        "resolve_settings, resolve_credentials, validate_credential_format",
        "request_client_credentials_token, PingOneClient, AsyncPingOneClient",
    ],
)
def test_common_names_stay_light(names: str) -> None:
    """Resolving the everyday names does not load the heavy dependencies either."""
    modules = loaded_after(
        f"import importlib.util\n"
        f"import httpx_pingone_worker as h\n"
        f"for n in [s.strip() for s in {names!r}.split(',')]:\n"
        f"    rel = h._LAZY.get(n)\n"
        f"    if rel is None or importlib.util.find_spec('httpx_pingone_worker' + rel):\n"
        f"        getattr(h, n)\n"
    )
    assert heavy_in(modules) == []


# --- the import cost of the everyday entry points ------------------------------------------

#: Modules the sync hot path must not import (DESIGN.md principle 7), unless httpx itself does.
HOT_PATH_FORBIDDEN = (
    "asyncio",
    "anyio",
    "trio",
    "urllib.request",
    "email",
    "inspect",
    "uuid",
    "pluggy",
    "jose",
    "cryptography",
    "keyring",
    "redis",
    EMULATOR,
)


def forbidden_in(modules: list[str], baseline: set[str]) -> list[str]:
    """Modules of ``modules`` that are (inside) a forbidden one and that httpx did not load."""
    return sorted(
        m
        for m in set(modules) - baseline
        if any(m == f or m.startswith(f + ".") for f in HOT_PATH_FORBIDDEN)
    )


@pytest.fixture(scope="module")
def httpx_baseline() -> set[str]:
    """What ``import httpx`` alone loads in this interpreter (httpx may need some of the list)."""
    return set(loaded_after("import httpx"))


def test_forbidden_check_can_fail() -> None:
    """A forbidden import is reported, except where the httpx baseline already has it."""
    flagged = forbidden_in(loaded_after("import httpx_pingone_worker; import asyncio, uuid"), set())
    assert {"asyncio", "uuid"} <= set(flagged)
    assert forbidden_in(["email", "email.utils", "asyncio"], {"email", "email.utils"}) == [
        "asyncio"
    ]


@pytest.mark.parametrize(
    "statement",
    [
        "import httpx_pingone_worker",
        "from httpx_pingone_worker import PingOneWorkerAuth",
        "from httpx_pingone_worker import PingOneWorkerAuth, MemoryTokenCache, Token, Secret",
        "from httpx_pingone_worker.cli import main",
    ],
)
def test_hot_path_imports_nothing_heavy(statement: str, httpx_baseline: set[str]) -> None:
    """The everyday imports load no async library, pluggy, urllib.request, email, inspect …

    beyond what ``import httpx`` loads by itself in the same environment.
    """
    assert forbidden_in(loaded_after(statement), httpx_baseline) == []


HELP = (
    "import sys; sys.argv = ['pingone-worker', {args}]\n"
    "from httpx_pingone_worker.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
)


@pytest.mark.parametrize("args", ["'--help'", "'token', '--help'", "'check', '--help'"])
def test_console_help_does_not_load_httpx(args: str) -> None:
    """`pingone-worker --help` (and a command's --help) loads neither httpx nor ssl nor getpass.

    httpx (and with it ssl, httpcore, anyio, certifi) is imported only by a command that sends
    a request, so the console's help costs less than ``import httpx`` itself.
    """
    modules = loaded_after(HELP.format(args=args))
    assert "httpx_pingone_worker.cli" in modules
    assert [m for m in modules if m.split(".")[0] in ("httpx", "httpcore", "ssl", "getpass")] == []


def test_console_help_probe_sees_httpx() -> None:
    """The same check reports httpx when the statement loads it through the library."""
    modules = loaded_after(
        HELP.format(args="'--help'") + "from httpx_pingone_worker import PingOneWorkerAuth\n"
    )
    assert "httpx" in modules


ENGINE = ("httpx_pingone_worker._engine", "httpx_pingone_worker.oauth")


def engine_in(modules: list[str]) -> list[str]:
    return sorted(m for m in modules if any(m == e or m.startswith(e + ".") for e in ENGINE))


def test_auth_import_does_not_load_the_engine() -> None:
    """Importing PingOneWorkerAuth loads neither the token engine nor oauth/ (DESIGN.md 7)."""
    assert engine_in(loaded_after("from httpx_pingone_worker import PingOneWorkerAuth")) == []


def test_first_auth_loads_the_engine() -> None:
    """The engine loads when the first auth is built (so the check above can fail)."""
    modules = loaded_after(
        "from httpx_pingone_worker import PingOneWorkerAuth\n"
        "PingOneWorkerAuth('client', 'secret', 'environment')\n"
    )
    assert "httpx_pingone_worker._engine._engine" in engine_in(modules)
    assert "httpx_pingone_worker.oauth._token_request" in engine_in(modules)
