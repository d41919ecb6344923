"""Every command against the in-process emulator (``--emulator``, ``demo``): output, JSON, leaks."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import Cli, CliResult, assert_no_leak


def _clean(result: CliResult, emu: Any, *, skip_stdout: bool = False) -> None:
    secrets = [emu.credentials.client_secret.get_secret_value(), *emu.recorded]
    text = result.err if skip_stdout else result.all
    assert_no_leak(text, secrets, emu.credentials.client_id)


def _fp(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def test_demo_walks_through_seven_numbered_steps(cli: Cli, emulator: Any) -> None:
    """`demo` prints every numbered step, ends with Done, exits 0 and leaks nothing."""
    result = cli("demo")
    assert result.code == 0, result.err
    for number, title in enumerate(
        [
            "Configure the worker app",
            "Get a worker token",
            "Decode and verify the token",
            "Introspect the token",
            "Discover the worker app",
            "Probe Management API access",
            "Explore the Management API",
        ],
        start=1,
    ):
        assert f"[{number}/7] {title}" in result.out
    assert "Done: 7 steps" in result.out
    assert emulator.credentials.client_id in result.out
    assert _fp(emulator.recorded[0]) in result.out
    assert "signature, issuer and expiry verified" in result.out
    assert result.err == ""
    _clean(result, emulator)


def test_demo_json_lists_steps_with_data(cli: Cli, emulator: Any) -> None:
    """`demo --json` is one document with seven ok steps and their data."""
    result = cli("demo", "--json")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["command"] == "demo"
    assert doc["ok"] is True
    assert [s["number"] for s in doc["steps"]] == list(range(1, 8))
    assert all(s["ok"] for s in doc["steps"])
    token = doc["steps"][1]["data"]
    assert token["fingerprint"] == _fp(emulator.recorded[0])
    assert token["cached_reuse"] is True
    assert doc["steps"][3]["data"]["active"] is True
    assert doc["steps"][4]["data"]["enabled"] is True
    assert all(p["allowed"] for p in doc["steps"][5]["data"]["probes"])
    assert len(doc["steps"][6]["data"]["users"]["items"]) == 5
    _clean(result, emulator)


def test_token_shows_fingerprint_not_the_token(cli: Cli, emulator: Any) -> None:
    """`token` prints metadata and the fingerprint of the token it got, never the token."""
    result = cli("--emulator", "token")
    assert result.code == 0, result.err
    assert len(emulator.recorded) == 1
    assert _fp(emulator.recorded[0]) in result.out
    assert "token --raw" in result.out
    _clean(result, emulator)


def test_token_json_shape(cli: Cli, emulator: Any) -> None:
    """`token --json` has the documented keys."""
    doc = cli("--emulator", "--json", "token").json()
    assert doc["command"] == "token"
    assert doc["ok"] is True
    assert doc["client_id"] == emulator.credentials.client_id
    assert doc["environment_id"] == emulator.environment_id
    assert doc["region"] == "NA"
    assert set(doc["token"]) == {
        "fingerprint",
        "token_type",
        "expires_in",
        "obtained_at",
        "expires_at",
        "remaining",
        "scopes",
    }
    assert 3500 < doc["token"]["remaining"] <= 3600


def test_token_raw_prints_only_the_token_on_stdout(cli: Cli, emulator: Any) -> None:
    """`token --raw` writes exactly the token and a newline to stdout, nothing to stderr."""
    result = cli("--emulator", "token", "--raw")
    assert result.code == 0
    assert result.out == emulator.recorded[0] + "\n"
    _clean(result, emulator, skip_stdout=True)


@pytest.mark.parametrize("how", ["fetched", "argument", "at-file", "file-flag", "stdin"])
def test_decode_reads_the_token_from_every_source(
    cli: Cli, emulator: Any, tmp_path: Path, how: str
) -> None:
    """`decode` takes a token from the worker app, an argument, @file, --file or stdin."""
    raw = emulator.issue_token().get_secret_value()
    path = tmp_path / "token.txt"
    path.write_text(raw + "\n")
    args: dict[str, tuple[tuple[str, ...], str]] = {
        "fetched": ((), ""),
        "argument": ((raw,), ""),
        "at-file": ((f"@{path}",), ""),
        "file-flag": (("--file", str(path)), ""),
        "stdin": (("-",), raw + "\n"),
    }
    extra, stdin = args[how]
    result = cli("--emulator", "--json", "decode", *extra, stdin=stdin)
    assert result.code == 0, result.err
    doc = result.json()
    expected_source = {"at-file": "file", "file-flag": "file"}.get(how, how)
    assert doc["source"] == expected_source
    assert doc["claims"]["client_id"] == emulator.credentials.client_id
    assert doc["header"]["alg"] == "RS256"
    assert doc["verified"] is False
    if how != "fetched":
        assert doc["fingerprint"] == _fp(raw)
    human = cli("--emulator", "decode", *extra, stdin=stdin)
    assert "signature NOT checked" in human.out
    for res in (result, human):
        assert_no_leak(res.all, [raw, *emulator.recorded], emulator.credentials.client_id)


def test_decode_of_an_opaque_token_fails_cleanly(cli: Cli, emulator: Any) -> None:
    """A non-JWT token is bad input (exit 2) with a console hint that does not echo it."""
    from canary import CANARY_TOKEN, assert_no_canary

    result = cli("--emulator", "decode", CANARY_TOKEN)
    assert result.code == 2
    assert result.err.startswith("error: ")
    assert "pingone-worker introspect" in result.err  # a console hint, not a Python call
    assert "introspect_token()" not in result.err
    assert "Traceback" not in result.err
    assert_no_canary(result.all)


def test_verify_accepts_an_emulator_token(cli: Cli, emulator: Any) -> None:
    """`verify` checks the signature against the JWKS and reports the claims."""
    result = cli("--emulator", "--json", "verify")
    assert result.code == 0, result.out + result.err
    doc = result.json()
    assert doc["verified"] is True
    assert doc["claims"]["client_id"] == emulator.credentials.client_id
    assert doc["jwks_url"].endswith("/as/jwks")
    human = cli("--emulator", "verify")
    assert "verified" in human.out
    _clean(human, emulator)


def test_verify_rejects_a_tampered_token(cli: Cli, emulator: Any) -> None:
    """A token whose signature does not match fails with exit 1 and verified=false."""
    raw = emulator.issue_token().get_secret_value()
    header, payload, signature = raw.split(".")
    flipped = "A" if signature[5] != "A" else "B"
    tampered = f"{header}.{payload}.{signature[:5]}{flipped}{signature[6:]}"
    result = cli("--emulator", "--json", "verify", tampered)
    assert result.code == 1
    doc = result.json()
    assert doc["ok"] is False
    assert doc["verified"] is False
    human = cli("--emulator", "verify", tampered)
    assert human.code == 1
    assert "did NOT verify" in human.err
    assert_no_leak(result.all + human.all, [raw, tampered], emulator.credentials.client_id)


def test_introspect_active_then_inactive(cli: Cli, emulator: Any) -> None:
    """`introspect` exits 0 for an active token and 1 once the emulator expired it."""
    raw = emulator.issue_token().get_secret_value()
    active = cli("--emulator", "--json", "introspect", raw)
    assert active.code == 0, active.err
    doc = active.json()
    assert doc["active"] is True
    assert doc["introspection"]["client_id"] == emulator.credentials.client_id
    emulator.expire_tokens()
    inactive = cli("--emulator", "introspect", raw)
    assert inactive.code == 1
    assert "INACTIVE" in inactive.out
    assert_no_leak(active.all + inactive.all, [raw, *emulator.recorded])


def test_status_panel_and_json(cli: Cli, emulator: Any) -> None:
    """`status` shows environment, region, app, roles, token fingerprint, expiry and cache."""
    result = cli("--emulator", "status")
    assert result.code == 0, result.err
    for text in ("Environment", "Worker app", "Environment Admin", "MemoryTokenCache", "NA"):
        assert text in result.out
    assert _fp(emulator.recorded[0]) in result.out
    doc = cli("--emulator", "--json", "status").json()
    assert doc["command"] == "status"
    assert doc["environment"]["id"] == emulator.environment_id
    assert doc["application"]["enabled"] is True
    assert doc["application"]["roles"][0]["name"] == "Environment Admin"
    assert set(doc["application"]["roles"][0]) == {"name", "role_id", "scope_type", "scope_id"}
    assert doc["cache"] == {"backend": "MemoryTokenCache", "location": "this process only"}
    assert set(doc["endpoints"]) == {"issuer", "token", "api"}
    assert doc["token"]["fingerprint"] == _fp(emulator.recorded[-1])
    _clean(result, emulator)


def test_check_passes_against_the_emulator(cli: Cli, emulator: Any) -> None:
    """`check` runs five checks, all pass, exit 0; sources say 'emulator'."""
    result = cli("--emulator", "--json", "check")
    assert result.code == 0, result.out
    doc = result.json()
    assert doc["ok"] is True
    assert [c["name"] for c in doc["checks"]] == [
        "configuration",
        "credential format",
        "connection",
        "app discovery",
        "api access",
    ]
    assert all(c["passed"] for c in doc["checks"])
    assert doc["settings"]["client_secret"] == {"value": "********", "source": "emulator"}
    assert {p["endpoint"] for p in doc["probes"]} >= {"users", "groups", "applications"}
    human = cli("--emulator", "check")
    assert "All checks passed." in human.out
    _clean(human, emulator)


def test_check_fails_on_a_forbidden_probe(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """An app whose roles do not cover users fails `check` with exit 1 and names the probe."""
    from httpx_pingone_worker.cli import _session
    from httpx_pingone_worker.emulator import PingOneEmulator

    emu = PingOneEmulator(users=3, roles=("Client Application Developer",))
    monkeypatch.setattr(_session, "emulator_factory", lambda _region: emu)
    result = cli("--emulator", "--json", "check")
    assert result.code == 1
    doc = result.json()
    assert doc["ok"] is False
    by_name = {c["name"]: c for c in doc["checks"]}
    assert by_name["connection"]["passed"] is True
    assert by_name["api access"]["passed"] is False
    assert "users" in by_name["api access"]["detail"]
    denied = {p["endpoint"] for p in doc["probes"] if not p["allowed"]}
    assert "users" in denied
    assert all(p["status_code"] == 403 for p in doc["probes"] if not p["allowed"])
    human = cli("--emulator", "check")
    assert human.code == 1
    assert "Some checks failed." in human.out


def test_api_preset_lists_users(cli: Cli, emulator: Any) -> None:
    """`api users` expands the preset and shows a table of users."""
    result = cli("--emulator", "api", "users", "--param", "limit=5")
    assert result.code == 0, result.err
    assert f"GET /environments/{emulator.environment_id}/users" in result.out
    doc = cli("--emulator", "--json", "api", "GET", "users", "-p", "limit=5").json()
    assert doc["method"] == "GET"
    items = doc["data"]["_embedded"]["users"]
    assert len(items) == 5
    header = result.out.splitlines()[2].split()
    assert header == ["ID", "NAME", "DETAIL", "ENABLED"]
    for item in items:
        assert item["id"] in result.out
        assert item["username"] in result.out
    _clean(result, emulator)


def test_api_all_pages_with_progress(cli: Cli, emulator: Any) -> None:
    """`api users --all` follows every page, reports progress on stderr, counts all users."""
    result = cli("--emulator", "--json", "api", "users", "--all", "-p", "limit=7")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["count"] == 30
    assert len({u["id"] for u in doc["items"]}) == 30
    assert "page 1, 7 items" in result.err
    assert "30 items in 5 pages, done." in result.err


def test_api_resource_and_errors(cli: Cli, emulator: Any) -> None:
    """A single resource prints as JSON; a 404 exits 4 with PingOne's message; bad input exits 2."""
    env = cli("--emulator", "--json", "api", "GET", "/environments/{env}").json()
    assert env["data"]["id"] == emulator.environment_id
    missing = cli("--emulator", "api", "GET", "/environments/{env}/users/nope")
    assert missing.code == 4
    assert missing.err.startswith("error: ")
    assert cli("--emulator", "api", "GET", "users", "--param", "novalue").code == 2
    assert cli("--emulator", "api", "POST", "users", "--data", "{not json").code == 2
    assert cli("--emulator", "api", "FETCH", "users").code == 2
    body_on_get = cli("--emulator", "api", "users", "--data", '{"a": 1}')
    assert body_on_get.code == 2
    assert "GET sends none" in body_on_get.err
    assert cli("--emulator", "api", "userz").code == 2
    unrouted = cli("--emulator", "api", "GET", "/environments/{env}/flows")
    assert unrouted.code == 4
    assert "/flows is not emulated" in unrouted.err  # PingOne's own message is shown


def test_verbose_shows_emoji_log_lines_without_secrets(cli: Cli, emulator: Any) -> None:
    """--verbose puts the library's emoji lines on stderr, still redacted."""
    result = cli("--emulator", "--verbose", "token")
    assert result.code == 0
    assert "[✅ TOKEN]" in result.err or "[🎯 WORKER]" in result.err
    _clean(result, emulator)


def test_file_cache_shares_the_token_between_runs(cli: Cli, emulator: Any, tmp_path: Path) -> None:
    """With --cache file, a second command reuses the first one's token (one token request)."""
    cache_dir = tmp_path / "tokens"
    first = cli("--emulator", "--cache", "file", "--cache-path", str(cache_dir), "--json", "token")
    second = cli("--emulator", "--cache", "file", "--cache-path", str(cache_dir), "--json", "token")
    assert first.code == second.code == 0, first.err + second.err
    assert len(emulator.recorded) == 1
    assert first.json()["token"]["fingerprint"] == second.json()["token"]["fingerprint"]
    status = cli(
        "--emulator", "--cache", "file", "--cache-path", str(cache_dir), "--json", "status"
    )
    assert status.code == 0, status.err
    assert status.json()["cache"] == {
        "backend": "EncryptedFileTokenCache",
        "location": str(cache_dir),
    }
    assert len(emulator.recorded) == 1
    for path in cache_dir.rglob("*"):
        if path.is_file():
            assert_no_leak(path.read_bytes().decode("latin-1"), emulator.recorded)


def test_emulator_command_delegates_to_the_emulator_main(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pingone-worker emulator ARGS` runs the emulator's own main with ARGS untouched."""
    import threading

    from httpx_pingone_worker.emulator import PingOneEmulator
    from httpx_pingone_worker.emulator import __main__ as emu_main

    original = emu_main.main
    stop = threading.Event()
    stop.set()  # serve, print the banner, return at once
    seen: list[list[str]] = []

    def run_once(argv: list[str]) -> int:
        seen.append(list(argv))
        return original(argv, stop=stop)

    monkeypatch.setattr(emu_main, "main", run_once)
    result = cli("emulator", "--seed", "5", "--users", "2", "--port", "0")
    assert result.code == 0, result.err
    assert seen == [["--seed", "5", "--users", "2", "--port", "0"]]
    assert "PingOne emulator running" in result.out
    assert PingOneEmulator(seed=5, users=2).credentials.client_id in result.out
    helped = cli("emulator", "--help")
    assert helped.code == 0
    assert seen[-1] == ["--help"]


def test_region_flag_picks_the_emulator_region(cli: Cli) -> None:
    """`--emulator --region EU` runs against an EU emulator and reports EU hosts."""
    doc = cli("--emulator", "--region", "eu", "--json", "status").json()
    assert doc["region"] == "EU"
    assert doc["endpoints"]["issuer"].startswith("https://auth.pingone.eu/")
    assert doc["endpoints"]["api"] == "https://api.pingone.eu/v1"
    bad = cli("--emulator", "--region", "mars", "status")
    assert bad.code == 2
    assert "NA" in bad.err  # the hint lists the valid codes


def test_interrupt_exits_130(cli: Cli, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C during a command is a one-line message and exit status 130."""
    from httpx_pingone_worker.cli import _tokens

    def interrupted(*args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(_tokens, "cmd_token", interrupted)
    result = cli("--emulator", "token")
    assert result.code == 130
    assert result.err.strip() == "error: interrupted"


def test_store_prompts_with_getpass_on_a_terminal(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal `store` reads the secret through a hidden getpass prompt."""
    import getpass
    import sys

    from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
    from httpx_pingone_worker import secure_retrieve

    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return CANARY_SECRET

    monkeypatch.setattr(getpass, "getpass", fake_getpass)

    class Tty:
        def isatty(self) -> bool:
            return True

    import httpx_pingone_worker.cli._store as store_mod

    monkeypatch.setattr(store_mod, "sys", type("S", (), {"stdin": Tty()})())
    result = cli("store", "--client-id", CANARY_CLIENT_ID, "--environment-id", CANARY_ENV_ID)
    assert result.code == 0, result.err
    assert prompts == [f"Client secret for {CANARY_CLIENT_ID} (input hidden): "]
    assert secure_retrieve(CANARY_CLIENT_ID).client_secret.get_secret_value() == CANARY_SECRET
    assert_no_canary(result.all)
    assert sys.stdin is not None


def test_api_all_stops_at_limit(cli: Cli, emulator: Any) -> None:
    """`--all --limit N` stops paging once N items arrived and reports N."""
    result = cli("--emulator", "--json", "api", "users", "--all", "--limit", "9", "-p", "limit=4")
    assert result.code == 0, result.err
    assert result.json()["count"] == 9
    assert "9 items in 3 pages, done." in result.err


@pytest.mark.parametrize(
    ("preset", "embedded"),
    [
        ("sign-on-policies", "signOnPolicies"),
        ("password-policies", "passwordPolicies"),
        ("resources", "resources"),
        ("licenses", "licenses"),
    ],
)
def test_api_configuration_presets(cli: Cli, emulator: Any, preset: str, embedded: str) -> None:
    """The configuration presets list the emulator's seeded policies, resources, licenses."""
    doc = cli("--emulator", "--json", "api", preset).json()
    assert doc["data"]["_embedded"][embedded]
    if preset == "licenses":
        assert doc["path"] == f"/organizations/{emulator.organization_id}/licenses"


def test_api_writes_against_the_emulator(cli: Cli, emulator: Any) -> None:
    """POST, PATCH, PUT and DELETE through `api` change the emulator and report its errors."""
    created = cli(
        "--emulator",
        "--json",
        "api",
        "POST",
        "users",
        "--data",
        '{"username": "cli.user", "email": "cli@example.com"}',
    )
    assert created.code == 0, created.err
    uid = created.json()["data"]["id"]
    path = f"/environments/{{env}}/users/{uid}"
    patched = cli("--emulator", "--json", "api", "PATCH", path, "-d", '{"title": "CLI"}').json()
    assert patched["data"]["title"] == "CLI"
    enabled = cli(
        "--emulator", "--json", "api", "PUT", path + "/enabled", "-d", '{"enabled": false}'
    )
    assert enabled.json()["data"]["enabled"] is False
    dup = cli(
        "--emulator",
        "api",
        "POST",
        "users",
        "--data",
        '{"username": "CLI.USER", "email": "x@example.com"}',
    )
    assert dup.code == 4
    assert "UNIQUENESS_VIOLATION" in dup.err
    deleted = cli("--emulator", "api", "DELETE", path)
    assert deleted.code == 0, deleted.err
    assert "(no content)" in deleted.out
    assert cli("--emulator", "api", "GET", path).code == 4


def test_file_cache_never_serves_another_emulators_token(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each run with a NEW emulator (a new process, as from a shell) uses a token that
    emulator issued. A token cached by the previous emulator (same seed, client id and
    endpoint) is unknown to this one: it introspects as inactive, and with per-run signing
    keys it failed with "JWT signature is invalid"."""
    from httpx_pingone_worker.cli import _session
    from httpx_pingone_worker.emulator import PingOneEmulator

    made: list[PingOneEmulator] = []

    def fresh(_region: str | None) -> PingOneEmulator:
        made.append(PingOneEmulator(users=0))
        return made[-1]

    monkeypatch.setattr(_session, "emulator_factory", fresh)
    cache_dir = tmp_path / "tokens"
    args = ("--emulator", "--cache", "file", "--cache-path", str(cache_dir), "--json")
    first = cli(*args, "token")
    assert first.code == 0, first.err
    second = cli(*args, "introspect")
    assert second.code == 0, second.err
    assert len(made) == 2
    assert second.json()["active"] is True, second.out
    assert made[1].token_requests == 1  # the second emulator issued the token it was shown
    status = cli(*args, "status")
    assert status.json()["cache"]["backend"] == "EncryptedFileTokenCache"
