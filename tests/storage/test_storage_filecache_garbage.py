"""A sealed token-cache entry holding garbage is skipped and reported, never a crash.

The entry decrypts with the cache's key (written by a bug, a foreign writer holding the key,
or corruption before sealing), but its JSON is not a token: ``{"v":1,"key":""}``, nesting a
thousand levels deep, wrong types. ``get`` misses, ``entries`` lists it as unreadable,
``sweep``/``set``/``clear`` carry on, and ``pingone-worker cache list`` / ``cache clear
--expired`` exit 0.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpx_pingone_worker import EncryptedFileTokenCache, Secret, Token
from httpx_pingone_worker.credentials._crypto import generate_key, seal

KEY = generate_key()
GOOD_KEY = "pingone:good"


def token(value: str, *, age: float = 0.0) -> Token:
    return Token(Secret(value), "Bearer", 3600, obtained_at=time.time() - age)


def plant(cache: EncryptedFileTokenCache, name_key: str, plaintext: bytes, *, age: float) -> Path:
    """Seal ``plaintext`` with the cache's own key into the file of ``name_key``."""
    path = cache.token_path(name_key)
    key: bytes = cache._key  # the key the cache reads with
    path.write_bytes(seal(key, b"HPWT1", path.name, plaintext))
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def _exercise(cache: EncryptedFileTokenCache, planted_key: str, *, garbage: bool = True) -> None:
    """Every operation works with the planted entry present; a garbage one is a miss and an
    unreadable row (``garbage=False``: the entry may happen to be a valid token)."""
    got_planted = cache.get(planted_key)
    listed = cache.entries()
    if garbage:
        assert got_planted is None
        assert any(not e.readable for e in listed)
    cache.sweep()
    cache.set(GOOD_KEY, token("good-token-value"))
    got = cache.get(GOOD_KEY)
    assert got is not None
    assert got.access_token.get_secret_value() == "good-token-value"
    cache.clear(expired_only=True)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "v",
    "key",
    "access_token",
    "token_type",
    "expires_in",
    "obtained_at",
    "scopes",
    "requested_scopes",
    "scope_returned",
]


@st.composite
def garbage_docs(draw: Any) -> tuple[str, bytes, bool]:
    """(the cache key whose file holds it, the plaintext, whether it is surely garbage: a
    mutated near-token may still be a valid token, e.g. another access token string)."""
    kind = draw(st.sampled_from(["near-token", "any-json", "deep", "bytes"]))
    name_key = draw(st.sampled_from(["pingone:x", "", "k"]))
    file_key = name_key or "pingone:x"
    if kind == "near-token":
        doc: dict[str, Any] = {
            "v": 1,
            "key": name_key,
            "access_token": "tok-abcdef",
            "token_type": "Bearer",
            "expires_in": 3600,
            "obtained_at": time.time(),
            "scopes": ["openid"],
        }
        for field in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=3)):
            if draw(st.booleans()):
                doc.pop(field, None)
            else:
                doc[field] = draw(json_values)
        if doc.get("key") == file_key and all(
            doc.get(f) == v for f, v in (("v", 1), ("access_token", "tok-abcdef"))
        ):
            doc["scopes"] = [{"not": "a string"}]  # keep it garbage
        return file_key, json.dumps(doc).encode(), False
    if kind == "any-json":
        return file_key, json.dumps(draw(json_values)).encode(), True
    if kind == "deep":
        depth = draw(st.integers(min_value=100, max_value=50_000))
        opener = draw(st.sampled_from(["[", '{"key":']))
        return file_key, (opener * depth).encode(), True
    return file_key, draw(st.binary(max_size=64)), True


@pytest.mark.parametrize(
    "plaintext",
    [
        b'{"v":1,"key":""}',
        b'{"v":1,"key":"pingone:x","access_token":"t-abcdef","token_type":"Bearer",'
        b'"expires_in":3600,"obtained_at":1,"scopes":[1,2]}',
        b"[" * 100_000,
        b'{"key":' * 20_000,
    ],
    ids=["empty-key", "int-scopes", "deep-list", "deep-object"],
)
@pytest.mark.parametrize("age", [0.0, 7200.0], ids=["fresh-file", "old-file"])
def test_known_garbage_entries_are_skipped(tmp_path: Path, plaintext: bytes, age: float) -> None:
    cache = EncryptedFileTokenCache(tmp_path / "tokens", key=KEY, lock_timeout=5)
    plant(cache, "pingone:x", plaintext, age=age)
    _exercise(cache, "pingone:x")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(garbage=garbage_docs(), age=st.sampled_from([0.0, 7200.0]))
def test_any_garbage_entry_is_skipped(
    tmp_path_factory: Any, garbage: tuple[str, bytes, bool], age: float
) -> None:
    cache = EncryptedFileTokenCache(tmp_path_factory.mktemp("tokens"), key=KEY, lock_timeout=5)
    file_key, plaintext, surely_garbage = garbage
    plant(cache, file_key, plaintext, age=age)
    _exercise(cache, file_key, garbage=surely_garbage)


def _console(*args: str) -> tuple[int, str]:
    from httpx_pingone_worker.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("plaintext", [b'{"v":1,"key":""}', b"[" * 100_000])
def test_console_cache_list_and_clear_report_a_garbage_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plaintext: bytes
) -> None:
    monkeypatch.setenv("PINGONE_WORKER_KEY_BACKEND", "file")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    cache_dir = tmp_path / "tokens"
    cache = EncryptedFileTokenCache(cache_dir)  # the console's own key handling
    cache.set(GOOD_KEY, token("good-token-value"))
    plant(cache, "pingone:x", plaintext, age=7200)
    code, output = _console("--cache-path", str(cache_dir), "--json", "cache", "list")
    assert code == 0, output
    states = sorted(e["state"] for e in json.loads(output)["entries"])
    assert states == ["unreadable", "valid"]
    code, output = _console("--cache-path", str(cache_dir), "cache", "clear", "--expired")
    assert code == 0, output
