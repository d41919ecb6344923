"""`pingone-worker cache list` / `cache clear`: fingerprints and expiry only, never a token."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from cli_helpers import Cli

from canary import CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import EncryptedFileTokenCache, Secret, Token


def token(value: str, *, age: float = 0.0) -> Token:
    return Token(
        access_token=Secret(value),
        token_type="Bearer",
        expires_in=3600,
        obtained_at=time.time() - age,
        scopes=frozenset({"openid"}),
        requested_scopes=frozenset({"openid"}),
        scope_returned=True,
    )


def seeded(tmp_path: Path) -> tuple[Path, Token, Token]:
    """A cache dir (default key handling) with one live and one expired entry."""
    cache_dir = tmp_path / "tokens"
    cache = EncryptedFileTokenCache(cache_dir)
    live, dead = token(CANARY_TOKEN), token(CANARY_TOKEN + "-old", age=7200)
    cache.set("pingone:live", live)
    cache.set("pingone:dead", dead)  # expired, but kept: a write keeps what it just wrote
    return cache_dir, live, dead


def test_cache_list_shows_fingerprints_and_expiry(cli: Cli, tmp_path: Path) -> None:
    cache_dir, live, dead = seeded(tmp_path)
    result = cli("--cache-path", str(cache_dir), "--json", "cache", "list")
    assert result.code == 0, result.err
    doc = result.json()
    assert doc["command"] == "cache"
    assert doc["action"] == "list"
    by_fp = {e["fingerprint"]: e for e in doc["entries"]}
    assert set(by_fp) == {live.fingerprint, dead.fingerprint}
    assert by_fp[live.fingerprint]["state"] == "valid"
    assert by_fp[live.fingerprint]["expires_at"] == round(live.expires_at)
    assert by_fp[dead.fingerprint]["state"] == "expired"
    assert by_fp[dead.fingerprint]["remaining"] == 0
    text = cli("--cache-path", str(cache_dir), "cache", "list")
    assert text.code == 0
    assert live.fingerprint in text.out
    assert "expired" in text.out
    for run in (result, text):
        assert_no_canary(run.all)


def test_cache_clear_expired_then_all(cli: Cli, tmp_path: Path) -> None:
    cache_dir, live, _ = seeded(tmp_path)
    expired = cli("--cache-path", str(cache_dir), "--json", "cache", "clear", "--expired")
    assert expired.code == 0, expired.err
    assert expired.json()["removed"] == 1
    left = cli("--cache-path", str(cache_dir), "--json", "cache", "list").json()["entries"]
    assert [e["fingerprint"] for e in left] == [live.fingerprint]
    everything = cli("--cache-path", str(cache_dir), "--json", "cache", "clear")
    assert everything.json()["removed"] == 1
    assert cli("--cache-path", str(cache_dir), "--json", "cache", "list").json()["entries"] == []
    human = cli("--cache-path", str(cache_dir), "cache", "clear")
    assert "removed 0 token(s)" in human.out
    assert_no_canary(expired.all + everything.all + human.all)


def test_cache_list_of_a_missing_directory_creates_nothing(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = cli("--cache-path", str(missing), "--json", "cache", "list")
    assert result.code == 0
    assert result.json()["entries"] == []
    assert not missing.exists()


def test_cache_needs_an_action(cli: Cli) -> None:
    result: Any = cli("cache")
    assert result.code == 2
