"""Console plumbing: parser, output layer, error reporting, exit statuses (no emulator needed)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from cli_helpers import Cli

from canary import CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ConfigurationError,
    ManagementApiError,
    TokenEndpointUnreachableError,
    TokenRequestError,
)
from httpx_pingone_worker.cli import EXIT_CODES, _exit_code_for, build_parser, main
from httpx_pingone_worker.cli._api import expand_path
from httpx_pingone_worker.cli._output import Output, Progress, format_duration, scrub

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"


def test_scrub_masks_sensitive_keys_and_known_secrets() -> None:
    """scrub() blanks secret-named keys at any depth and redacts JWT-looking strings."""
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    data = {
        "name": "app",
        "secret": CANARY_SECRET,
        "nested": [{"client_secret": CANARY_SECRET, "access_token": CANARY_TOKEN}],
        "note": f"Bearer {jwt}",
        "count": 3,
        "enabled": True,
    }
    clean = scrub(data)
    assert clean["name"] == "app"
    assert clean["secret"] == "<redacted>"
    assert clean["nested"][0] == {"client_secret": "<redacted>", "access_token": "<redacted>"}
    assert jwt not in clean["note"]
    assert clean["count"] == 3
    assert clean["enabled"] is True
    assert_no_canary(json.dumps(clean))


def test_scrub_keeps_empty_sensitive_values_and_lookalike_keys() -> None:
    """Keys that only contain a sensitive word (tokenEndpointAuthMethod) are left alone."""
    clean = scrub({"tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "secret": None})
    assert clean == {"tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "secret": None}


def test_format_duration_covers_hours_minutes_seconds_and_expired() -> None:
    """Durations read like a countdown; negative ones say how long ago."""
    assert format_duration(3725) == "1h 02m 05s"
    assert format_duration(125) == "2m 05s"
    assert format_duration(9) == "9s"
    assert format_duration(-12) == "expired 12s ago"


def test_table_aligns_columns_and_marks_empty() -> None:
    """Tables pad every column to its widest cell and show (none) when empty."""
    buf = io.StringIO()
    out = Output(stdout=buf, stderr=io.StringIO())
    out.table(["id", "name"], [["1", "alice"], ["22", None]])
    out.table(["id"], [])
    lines = buf.getvalue().splitlines()
    assert lines[0].split() == ["ID", "NAME"]
    assert lines[2].index("alice") == lines[0].index("NAME")
    assert lines[3].split() == ["22", "-"]
    assert "(none)" in lines[-1]


def test_json_mode_prints_nothing_human() -> None:
    """In JSON mode write() is silent and emit_json prints one scrubbed document."""
    buf = io.StringIO()
    out = Output(json_mode=True, stdout=buf, stderr=io.StringIO())
    out.write("hello")
    out.panel([("a", 1)])
    out.emit_json({"command": "x", "ok": True, "secret": CANARY_SECRET})
    assert json.loads(buf.getvalue()) == {"command": "x", "ok": True, "secret": "<redacted>"}


def test_progress_reports_pages_on_a_pipe() -> None:
    """Without a terminal, progress writes one line per page and a final count."""
    err = io.StringIO()
    progress = Progress(err, "GET /users")
    progress.update(100, pages=1)
    progress.update(150, pages=1)
    progress.done()
    lines = err.getvalue().splitlines()
    assert lines == [
        "GET /users: page 1, 100 items…",
        "GET /users: page 2, 150 items…",
        "GET /users: 150 items in 2 pages, done.",
    ]


def test_global_options_work_before_and_after_the_command() -> None:
    """--json and --region are accepted on either side of the command name."""
    parser = build_parser()
    before = parser.parse_args(["--json", "--region", "EU", "status"])
    after = parser.parse_args(["status", "--json", "--region", "EU"])
    for args in (before, after):
        assert args.json is True
        assert args.region == "EU"
        assert args.command == "status"


def test_no_command_prints_help_and_exits_2(cli: Cli) -> None:
    """Running without a command shows the commands and fails as a usage error."""
    result = cli()
    assert result.code == 2
    assert "demo" in result.out
    assert "api" in result.out


def test_unknown_option_is_a_usage_error(cli: Cli) -> None:
    """argparse errors exit 2 with a usage line on stderr."""
    result = cli("status", "--no-such-flag")
    assert result.code == 2
    assert "usage:" in result.err


def test_client_secret_is_not_accepted_on_the_command_line(cli: Cli) -> None:
    """There is no --client-secret flag: secrets never travel through argv."""
    result = cli("status", "--client-secret", CANARY_SECRET)
    assert result.code == 2
    assert_no_canary(result.all)


def test_missing_settings_give_one_sentence_and_hint(cli: Cli) -> None:
    """Without configuration a command names what is missing, hints, and exits 2."""
    result = cli("token")
    assert result.code == 2
    assert result.err.startswith("error: ")
    assert "PINGONE_CLIENT_ID" in result.err or "client_id" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


def test_missing_settings_in_json_mode(cli: Cli) -> None:
    """--json errors are one JSON object on stdout with type, message and exit code."""
    result = cli("--json", "token")
    assert result.code == 2
    doc = result.json()
    assert doc["ok"] is False
    assert doc["command"] == "token"
    assert doc["exit_code"] == 2
    assert doc["error"]["type"] == "ConfigurationError"
    assert set(doc["error"]) >= {"type", "message", "hint", "status_code", "code"}


def test_internal_errors_hide_the_traceback_unless_verbose(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception is one sentence (exit 70); --verbose adds a redacted traceback."""
    from httpx_pingone_worker.cli import _status

    monkeypatch.setenv("PINGONE_CLIENT_ID", CLIENT)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", CANARY_SECRET)
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", ENV)

    def boom(args: object, session: object, out: object) -> int:
        creds = session.credentials  # type: ignore[attr-defined]  # registers the secret
        raise RuntimeError(f"kaboom {creds.client_secret.get_secret_value()}")

    monkeypatch.setattr(_status, "cmd_status", boom)
    quiet = cli("status")
    assert quiet.code == 70
    assert "internal error (RuntimeError)" in quiet.err
    assert "Traceback" not in quiet.err
    loud = cli("--verbose", "status")
    assert loud.code == 70
    assert "Traceback" in loud.err
    assert_no_canary(quiet.all + loud.all)


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (ConfigurationError("x"), 2),
        (TokenRequestError("x", error="invalid_client", status_code=401), 3),
        (TokenEndpointUnreachableError("x"), 5),
        (ManagementApiError("x", status_code=403, code="ACCESS_FAILED"), 4),
        (ManagementApiError("x", status_code=401, code="ACCESS_FAILED"), 3),
        (ManagementApiError("x could not be completed: ConnectError"), 5),
        (RuntimeError("x"), 70),
    ],
)
def test_exit_status_per_error_kind(exc: BaseException, code: int) -> None:
    """Each error family maps to its documented exit status."""
    assert _exit_code_for(exc) == code
    assert code in EXIT_CODES


def test_expand_path_presets_and_templates() -> None:
    """Presets expand to environment paths; {env} is substituted; full URLs are refused."""
    from httpx_pingone_worker.cli import CommandError

    assert expand_path("users", ENV, CLIENT) == f"/environments/{ENV}/users"
    assert expand_path("roles", ENV, CLIENT) == "/roles"
    assert expand_path("/environments/{env}/groups/1", ENV, CLIENT) == (
        f"/environments/{ENV}/groups/1"
    )
    with pytest.raises(CommandError, match="full URL"):
        expand_path("https://evil.example/v1/x", ENV, CLIENT)
    with pytest.raises(CommandError, match="unknown preset"):
        expand_path("userz", ENV, CLIENT)


def test_verbose_handler_is_removed_after_the_run(cli: Cli) -> None:
    """--verbose attaches a stderr handler for one run only and restores the level."""
    logger = logging.getLogger("httpx_pingone_worker")
    handlers, level = list(logger.handlers), logger.level
    cli("--verbose", "token")
    assert logger.handlers == handlers
    assert logger.level == level


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the package version and exits 0."""
    from httpx_pingone_worker import __version__

    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


def test_check_lists_found_and_missing_settings(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a partial setup `check` shows each setting's source, marks the missing, exits 2."""
    monkeypatch.setenv("PINGONE_CLIENT_ID", CLIENT)
    result = cli("--json", "--region", "EU", "check")
    assert result.code == 2
    doc = result.json()
    assert doc["settings"]["client_id"] == {"value": CLIENT, "source": "env:PINGONE_CLIENT_ID"}
    assert doc["settings"]["region"] == {"value": "EU", "source": "argument"}
    assert doc["settings"]["client_secret"] == {"value": None, "source": "MISSING"}
    assert doc["settings"]["environment_id"]["source"] == "MISSING"
    checks = {c["name"]: c["passed"] for c in doc["checks"]}
    assert checks["configuration"] is False
    assert checks["connection"] is None


def test_coloured_cells_stay_aligned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Colour codes do not count toward column widths (columns line up on a terminal)."""
    import re

    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    buf = io.StringIO()
    out = Output(stdout=buf, stderr=io.StringIO())
    assert out.color
    out.table(["access", "status"], [[f"{out.mark(True)} allowed", 200], ["plain", 403]])
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in buf.getvalue().splitlines()]
    assert "\x1b[" in buf.getvalue()
    column = plain[0].index("STATUS")
    assert plain[2].index("200") == column
    assert plain[3].index("403") == column


def test_building_the_parser_imports_nothing_heavy() -> None:
    """`pingone-worker --help` stays fast: no jose, cryptography, keyring or emulator import."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from httpx_pingone_worker.cli import build_parser\n"
        "build_parser()\n"
        "heavy = ('jose', 'cryptography', 'keyring', 'redis', 'trustme', 'respx',"
        " 'httpx_pingone_worker.emulator')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == ""
