"""Encrypted credential store: round trip, keys, permissions, damage, atomicity, canary."""

from __future__ import annotations

import logging
import os
import pickle
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import ClassVar

import keyring
import keyring.errors
import pytest
from keyring.backends import chainer, fail
from storage_helpers import all_bytes_under
from storage_support import MemoryKeyring

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    ConfigurationError,
    Region,
    Secret,
    StorageError,
)
from httpx_pingone_worker.credentials import _crypto
from httpx_pingone_worker.credentials._crypto import (
    KEY_BACKEND_ENV,
    KEYRING_SERVICE,
    KeyringFallbackWarning,
    key_file_path,
)
from httpx_pingone_worker.credentials._settings import resolve_settings
from httpx_pingone_worker.credentials._store import (
    DATA_DIR_ENV,
    scan_store,
    secure_delete,
    secure_list,
    secure_retrieve,
    secure_store,
    stored_credentials_lookup,
)

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and signals")


def creds(client_id: str = CANARY_CLIENT_ID, secret: str = CANARY_SECRET) -> ClientCredentials:
    """Credentials with every field set."""
    return ClientCredentials(
        client_id, secret, CANARY_ENV_ID, region="EU", scopes="p1:read:user p1:update:user"
    )


def test_round_trip_keeps_every_field(store_dir: Path) -> None:
    """What is stored comes back field for field, secret included."""
    path = secure_store(creds(), directory=store_dir)
    got = secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert path == store_dir / f"{CANARY_CLIENT_ID}.cred"
    assert got.client_id == CANARY_CLIENT_ID
    assert got.client_secret is not None
    assert got.client_secret.get_secret_value() == CANARY_SECRET
    assert got.environment_id == CANARY_ENV_ID
    assert got.region is Region.EU
    assert got.scopes == frozenset({"p1:read:user", "p1:update:user"})
    assert got.auth_method == "client_secret_basic"


def test_round_trip_private_key_jwt(store_dir: Path) -> None:
    """A private_key_jwt app's PEM and key id survive the round trip."""
    pem = "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n"
    original = ClientCredentials(
        "app-1", None, CANARY_ENV_ID, auth_method="private_key_jwt", private_key=pem, key_id="k1"
    )
    secure_store(original, directory=store_dir)
    got = secure_retrieve("app-1", directory=store_dir)
    assert got.client_secret is None
    assert got.private_key is not None
    assert got.private_key.get_secret_value() == pem
    assert (got.auth_method, got.key_id) == ("private_key_jwt", "k1")


def test_store_again_replaces_the_secret(store_dir: Path) -> None:
    """Storing the same client id again replaces the entry (one file per client id)."""
    secure_store(creds(secret="first-secret-value"), directory=store_dir)
    secure_store(creds(secret="second-secret-value"), directory=store_dir)
    got = secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert got.client_secret is not None
    assert got.client_secret.get_secret_value() == "second-secret-value"
    assert [p.name for p in store_dir.glob("*.cred")] == [f"{CANARY_CLIENT_ID}.cred"]


@posix_only
def test_files_are_0600_and_directory_0700(store_dir: Path) -> None:
    """The store directory is 0700 and every file in it 0600."""
    secure_store(creds(), directory=store_dir)
    assert stat.S_IMODE(store_dir.stat().st_mode) == 0o700
    files = [p for p in store_dir.iterdir() if p.is_file()]
    assert files
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


@posix_only
def test_loose_existing_directory_is_tightened(store_dir: Path) -> None:
    """A store directory that others can read is tightened to 0700."""
    loose = 0o755
    store_dir.mkdir()
    os.chmod(store_dir, loose)
    secure_store(creds(), directory=store_dir)
    assert stat.S_IMODE(store_dir.stat().st_mode) == 0o700


def test_key_lives_in_the_keyring(store_dir: Path, memory_keyring: MemoryKeyring) -> None:
    """With a working keyring the key is a keyring entry and no key file is written."""
    secure_store(creds(), directory=store_dir)
    assert (KEYRING_SERVICE, "credentials-key") in memory_keyring.passwords
    assert not key_file_path(store_dir, "credentials").exists()


def test_list_and_delete(store_dir: Path) -> None:
    """secure_list shows stored ids sorted; secure_delete removes one and reports absence."""
    secure_store(creds("b-app"), directory=store_dir)
    secure_store(creds("a-app"), directory=store_dir)
    assert secure_list(directory=store_dir) == ["a-app", "b-app"]
    assert secure_delete("b-app", directory=store_dir) is True
    assert secure_delete("b-app", directory=store_dir) is False
    assert secure_list(directory=store_dir) == ["a-app"]
    with pytest.raises(StorageError, match="no stored credentials"):
        secure_retrieve("b-app", directory=store_dir)


def test_list_of_missing_store_is_empty(store_dir: Path) -> None:
    """Listing a store that does not exist yet gives nothing and creates nothing."""
    assert secure_list(directory=store_dir) == []
    assert not store_dir.exists()


def test_unusual_client_id_gets_a_hashed_file_name(store_dir: Path) -> None:
    """A client id that is not file-name safe is stored under a hash and still listed."""
    odd = "../weird id/with:chars"
    path = secure_store(creds(odd), directory=store_dir)
    assert path.parent == store_dir
    assert path.name.startswith("id-")
    assert secure_list(directory=store_dir) == [odd]
    assert secure_retrieve(odd, directory=store_dir).client_id == odd


def test_missing_entry_error_names_the_file(store_dir: Path) -> None:
    """Retrieving an unknown client id says which file was looked for and how to fix it."""
    with pytest.raises(StorageError) as info:
        secure_retrieve("nope", directory=store_dir)
    assert info.value.path == str(store_dir / "nope.cred")
    assert "secure_store" in str(info.value)


def test_bad_arguments_are_rejected(store_dir: Path) -> None:
    """Non-credentials and empty client ids give a StorageError saying what to pass."""
    with pytest.raises(StorageError, match="takes ClientCredentials"):
        secure_store({"client_id": "x"}, directory=store_dir)  # type: ignore[arg-type]
    with pytest.raises(StorageError, match="non-empty str"):
        secure_retrieve("  ", directory=store_dir)


# --- damage -----------------------------------------------------------------------------


def test_tampered_entry_is_a_storage_error_naming_the_file(store_dir: Path) -> None:
    """One flipped ciphertext byte fails the integrity check with the file named."""
    path = secure_store(creds(), directory=store_dir)
    data = bytearray(path.read_bytes())
    data[-5] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match="integrity check") as info:
        secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    assert_no_canary(str(info.value) + repr(info.value))


@pytest.mark.parametrize(
    ("keep", "message"),
    [(0, "is empty"), (3, "is not an httpx-pingone-worker"), (25, "truncated"), (-1, "integrity")],
)
def test_truncated_entry_is_a_storage_error(store_dir: Path, keep: int, message: str) -> None:
    """A file cut short at any point gives a clear StorageError naming it."""
    path = secure_store(creds(), directory=store_dir)
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    with pytest.raises(StorageError, match=message) as info:
        secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert info.value.path == str(path)


def test_wrong_key_is_reported_as_such(store_dir: Path, memory_keyring: MemoryKeyring) -> None:
    """After the keyring key changes, reading says "different key", not "tampered"."""
    secure_store(creds(), directory=store_dir)
    memory_keyring.passwords[(KEYRING_SERVICE, "credentials-key")] = _crypto.generate_key()
    with pytest.raises(StorageError, match="different key") as info:
        secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert info.value.hint is not None


def test_lost_key_is_not_silently_recreated(store_dir: Path, memory_keyring: MemoryKeyring) -> None:
    """Reading with no key anywhere raises instead of inventing a key that cannot work."""
    secure_store(creds(), directory=store_dir)
    memory_keyring.passwords.clear()
    with pytest.raises(StorageError, match="no credentials key found"):
        secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert memory_keyring.passwords == {}


def test_renamed_entry_fails_integrity(store_dir: Path) -> None:
    """A file copied under another client id's name does not authenticate there."""
    path = secure_store(creds("app-a"), directory=store_dir)
    (store_dir / "app-b.cred").write_bytes(path.read_bytes())
    with pytest.raises(StorageError, match="integrity"):
        secure_retrieve("app-b", directory=store_dir)


def test_unreadable_entry_does_not_hide_readable_ones(
    store_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A damaged entry is reported by name while the good ones stay listed and readable."""
    secure_store(creds("good-app"), directory=store_dir)
    bad = secure_store(creds("bad-app"), directory=store_dir)
    bad.write_bytes(bad.read_bytes()[:-3])
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        assert secure_list(directory=store_dir) == ["good-app"]
    assert str(bad) in caplog.text
    entries = {e.path.name: e for e in scan_store(directory=store_dir)}
    assert entries["good-app.cred"].client_id == "good-app"
    assert entries["bad-app.cred"].client_id is None
    assert isinstance(entries["bad-app.cred"].error, StorageError)
    assert secure_retrieve("good-app", directory=store_dir).client_id == "good-app"


def test_storing_over_unreadable_entry_keeps_it_aside(store_dir: Path) -> None:
    """An unreadable entry is renamed aside, byte for byte, before the new one is written."""
    path = secure_store(creds(), directory=store_dir)
    damaged = path.read_bytes()[:-1]
    path.write_bytes(damaged)
    secure_store(creds(secret="replacement-secret"), directory=store_dir)
    aside = list(store_dir.glob(f"{path.name}.unreadable-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == damaged
    got = secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert got.client_secret is not None
    assert got.client_secret.get_secret_value() == "replacement-secret"
    assert secure_list(directory=store_dir) == [CANARY_CLIENT_ID]


def test_unreadable_entry_that_cannot_be_moved_aside_is_left_alone(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the damaged entry cannot be renamed aside, storing fails with a StorageError naming
    it, and the damaged bytes stay where they were (nothing overwritten)."""
    path = secure_store(creds(), directory=store_dir)
    damaged = path.read_bytes()[:-1]
    path.write_bytes(damaged)

    def broken_replace(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StorageError, match="could not keep the unreadable") as info:
        secure_store(creds(secret="replacement-secret"), directory=store_dir)
    monkeypatch.undo()
    assert info.value.path == str(path)
    assert path.read_bytes() == damaged
    assert list(store_dir.glob("*.unreadable-*")) == []


def test_storage_error_pickles_with_its_path() -> None:
    """StorageError keeps path and hint across pickling (xdist, multiprocessing)."""
    data = pickle.dumps(StorageError("x", path="/a/b", hint="h"))
    err = pickle.loads(data)  # noqa: S301 - our own bytes
    assert (err.path, err.hint, type(err)) == ("/a/b", "h", StorageError)


# --- atomicity --------------------------------------------------------------------------


def test_failed_rename_leaves_old_file_intact(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the old entry is untouched and no temp file is left."""
    path = secure_store(creds(secret="old-secret-value"), directory=store_dir)
    before = path.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StorageError, match="previous content is unchanged") as info:
        secure_store(creds(secret="new-secret-value"), directory=store_dir)
    monkeypatch.undo()
    assert info.value.path == str(path)
    assert path.read_bytes() == before
    assert [p.name for p in store_dir.iterdir() if p.name.endswith(".tmp")] == []


@posix_only
def test_writer_killed_before_rename_leaves_old_file_intact(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process SIGKILLed between writing the new file and renaming it changes nothing."""
    # The child cannot see our in-memory keyring: parent and child share a key file.
    monkeypatch.setenv(KEY_BACKEND_ENV, "file")
    secure_store(creds(secret="old-secret-value"), directory=store_dir)
    script = textwrap.dedent(
        f"""
        import os, signal
        from httpx_pingone_worker import ClientCredentials
        from httpx_pingone_worker.credentials import _store
        def die(src, dst):
            os.kill(os.getpid(), signal.SIGKILL)
        os.replace = die
        _store.secure_store(
            ClientCredentials({CANARY_CLIENT_ID!r}, "new-secret-value", {CANARY_ENV_ID!r}),
            directory={str(store_dir)!r},
        )
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60, check=False)
    assert proc.returncode == -9
    assert list(store_dir.glob("*.tmp")), "the child should have died after writing"
    got = secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert got.client_secret is not None
    assert got.client_secret.get_secret_value() == "old-secret-value"
    assert secure_list(directory=store_dir) == [CANARY_CLIENT_ID]


# --- keyring and fallback ---------------------------------------------------------------


def test_fail_backend_falls_back_to_key_file_with_one_warning(store_dir: Path) -> None:
    """With keyring's fail backend the key goes to a 0600 key file, announced once."""
    keyring.set_keyring(fail.Keyring())
    with pytest.warns(KeyringFallbackWarning, match="not in the OS keyring"):
        secure_store(creds(), directory=store_dir)
    key_file = key_file_path(store_dir, "credentials")
    assert key_file.is_file()
    if os.name == "posix":
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # A second warning would fail this test: filterwarnings=error.
    secure_store(creds("other-app"), directory=store_dir)
    assert secure_list(directory=store_dir) == [CANARY_CLIENT_ID, "other-app"]


class _BrokenKeyring(MemoryKeyring):
    """A backend that exists but errors, like a locked desktop keyring over D-Bus."""

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")


class _EmptyChainer(chainer.ChainerBackend):
    backends: ClassVar[list[object]] = []  # no backend to chain


class _ForgetfulKeyring(MemoryKeyring):
    """A backend that accepts a password and keeps nothing (like keyring's null backend)."""

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (_BrokenKeyring(), "KeyringLocked"),
        (_EmptyChainer(), "chainer has no backends"),
        (_ForgetfulKeyring(), "did not keep the key"),
    ],
)
def test_unusable_keyrings_fall_back(store_dir: Path, backend: object, reason: str) -> None:
    """Erroring, empty and forgetful keyrings all lead to the key file, with the reason."""
    keyring.set_keyring(backend)  # type: ignore[arg-type]
    with pytest.warns(KeyringFallbackWarning, match=reason):
        secure_store(creds(), directory=store_dir)
    assert key_file_path(store_dir, "credentials").is_file()
    assert secure_retrieve(CANARY_CLIENT_ID, directory=store_dir).client_id == CANARY_CLIENT_ID


def test_key_file_on_purpose_does_not_warn(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    """PINGONE_WORKER_KEY_BACKEND=file uses the key file without a warning or keyring use."""
    monkeypatch.setenv(KEY_BACKEND_ENV, "file")
    secure_store(creds(), directory=store_dir)
    assert key_file_path(store_dir, "credentials").is_file()
    assert memory_keyring.calls == 0


def test_invalid_key_backend_setting_is_rejected(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unknown PINGONE_WORKER_KEY_BACKEND value is a clear error."""
    monkeypatch.setenv(KEY_BACKEND_ENV, "vault")
    with pytest.raises(StorageError, match="'keyring' or 'file'"):
        secure_store(creds(), directory=store_dir)


def test_store_made_headless_stays_readable_with_a_keyring(store_dir: Path) -> None:
    """A key file from a keyring-less run keeps working once a keyring appears."""
    keyring.set_keyring(fail.Keyring())
    with pytest.warns(KeyringFallbackWarning):
        secure_store(creds(), directory=store_dir)
    keyring.set_keyring(MemoryKeyring())
    assert secure_retrieve(CANARY_CLIENT_ID, directory=store_dir).client_id == CANARY_CLIENT_ID


def test_damaged_key_file_is_a_storage_error(store_dir: Path) -> None:
    """A key file that does not hold a key is named in the error and not overwritten."""
    keyring.set_keyring(fail.Keyring())
    with pytest.warns(KeyringFallbackWarning):
        secure_store(creds(), directory=store_dir)
    key_file = key_file_path(store_dir, "credentials")
    key_file.write_text("garbage\n", encoding="ascii")
    with pytest.raises(StorageError, match="not a 256-bit key") as info:
        secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert str(key_file) in str(info.value)
    assert key_file.read_text(encoding="ascii") == "garbage\n"


# --- config seam ------------------------------------------------------------------------


def test_lookup_on_empty_store_touches_nothing(
    store_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    """The config source on an empty store creates no directory and asks no keyring."""
    assert stored_credentials_lookup("any-id", directory=store_dir) is None
    assert stored_credentials_lookup(None, directory=store_dir) is None
    assert not store_dir.exists()
    assert memory_keyring.calls == 0


def test_lookup_finds_by_id_or_the_only_entry(store_dir: Path) -> None:
    """By client id it returns that entry; without one, the single entry if only one exists."""
    secure_store(creds("only-app"), directory=store_dir)
    by_id = stored_credentials_lookup("only-app", directory=store_dir)
    assert by_id is not None
    assert by_id.client_id == "only-app"
    only = stored_credentials_lookup(None, directory=store_dir)
    assert only is not None
    assert only.client_id == "only-app"
    secure_store(creds("second-app"), directory=store_dir)
    assert stored_credentials_lookup(None, directory=store_dir) is None


def test_lookup_raises_for_an_unreadable_entry(store_dir: Path) -> None:
    """An entry that exists but cannot be read is an error, never silently skipped."""
    path = secure_store(creds("app-x"), directory=store_dir)
    path.write_bytes(b"junk")
    with pytest.raises(StorageError, match=r"app-x\.cred"):
        stored_credentials_lookup("app-x", directory=store_dir)


def test_store_is_the_last_configuration_source(store_dir: Path) -> None:
    """resolve_settings over the real store: environment values win, the store fills the rest."""
    secure_store(creds(), directory=store_dir)

    def lookup(client_id: str | None) -> ClientCredentials | None:
        return stored_credentials_lookup(client_id, directory=store_dir)

    env = {"PINGONE_CLIENT_ID": CANARY_CLIENT_ID, "PINGONE_REGION": "CA"}
    resolved = resolve_settings(env=env, stored=lookup)
    assert resolved.credentials is not None
    assert resolved.credentials.client_secret == Secret(CANARY_SECRET)
    assert resolved.region is Region.CA  # the environment beats the stored EU
    assert resolved.sources["client_id"] == "env:PINGONE_CLIENT_ID"
    assert resolved.sources["region"] == "env:PINGONE_REGION"
    assert resolved.sources["client_secret"] == "store"
    assert resolved.sources["environment_id"] == "store"
    # Another app's id never borrows the stored app's secret.
    other = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(ConfigurationError, match="client_secret"):
        resolve_settings(env={"PINGONE_CLIENT_ID": other}, stored=lookup)


def test_default_directory_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PINGONE_WORKER_DATA_DIR moves the default store."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "elsewhere"))
    secure_store(creds())
    assert (tmp_path / "elsewhere" / f"{CANARY_CLIENT_ID}.cred").is_file()
    assert secure_list() == [CANARY_CLIENT_ID]


# --- canary -----------------------------------------------------------------------------


@pytest.mark.parametrize("key_backend", ["keyring", "file"])
def test_no_secret_in_any_file_or_log(
    store_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
    key_backend: str,
) -> None:
    """After storing, listing and reading, the canary secret is in no file and no log line."""
    monkeypatch.setenv(KEY_BACKEND_ENV, key_backend)
    secure_store(creds(), directory=store_dir)
    secure_list(directory=store_dir)
    got = secure_retrieve(CANARY_CLIENT_ID, directory=store_dir)
    assert_no_canary(all_bytes_under(store_dir))
    assert_no_canary(debug_logs.text)
    assert_no_canary(repr(got) + repr(scan_store(directory=store_dir)))


@pytest.mark.parametrize("key_backend", ["keyring", "file"])
def test_no_secret_or_token_under_any_storage_directory(
    store_dir: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug_logs: pytest.LogCaptureFixture,
    key_backend: str,
) -> None:
    """Store, build from the store, fetch and cache a token: neither canary is in any file of the
    credential store or the token cache (key files included), nor in a log line."""
    import httpx

    from httpx_pingone_worker import EncryptedFileTokenCache, PingOneWorkerAuth

    monkeypatch.setenv(KEY_BACKEND_ENV, key_backend)
    secure_store(creds(), directory=store_dir)
    served = {"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": 3600}
    transport = httpx.MockTransport(lambda _request: httpx.Response(200, json=served))
    with httpx.Client(transport=transport) as client:
        auth = PingOneWorkerAuth.from_store(
            CANARY_CLIENT_ID,
            directory=str(store_dir),
            cache=EncryptedFileTokenCache(cache_dir),
            http_client=client,
        )
        token = auth.get_token()
        again = PingOneWorkerAuth.from_store(
            CANARY_CLIENT_ID,
            directory=str(store_dir),
            cache=EncryptedFileTokenCache(cache_dir),
            http_client=client,
        ).get_token()
    assert token.access_token.get_secret_value() == CANARY_TOKEN
    assert again.access_token == token.access_token  # really read back from the file cache
    assert list(cache_dir.glob("*.token")), "the token should be cached on disk"
    assert_no_canary(all_bytes_under(store_dir, cache_dir))
    assert_no_canary(debug_logs.text)
