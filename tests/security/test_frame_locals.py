"""Failing constructors and settings resolution keep the secret out of frame locals.

Each case fails on purpose with a canary secret (and key) configured, then renders the
error as ``TracebackException(capture_locals=True)`` does (what ``pytest -l``,
``--junitxml`` and rich-style tracebacks print): the canary is in no frame's locals, no
exception of the chain and no repr, and rendering never crashes on a half-built object.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from leak_support import assert_failure_hides_canary

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN
from httpx_pingone_worker import (
    AsyncPingOneClient,
    ClientCredentials,
    ConfigurationError,
    CredentialFormatError,
    EncryptedFileTokenCache,
    JWKSCache,
    MemoryTokenCache,
    PingOneClient,
    PingOneWorkerAuth,
    RateLimiter,
    RedisTokenCache,
    Secret,
    arequest_client_credentials_token,
    create_pingone_client,
    request_client_credentials_token,
    resolve_settings,
    secure_retrieve,
    secure_store,
    validate_credential_format,
)
from httpx_pingone_worker.emulator import PingOneEmulator

# A fake PEM body: private_key_jwt's key is a secret like the client secret.
CANARY_KEY = f"-----BEGIN PRIVATE KEY-----\n{CANARY_SECRET}\n-----END PRIVATE KEY-----\n"

BAD_ARGUMENTS: dict[str, dict[str, Any]] = {
    "region": {"region": "XX"},
    "auth_base_url http": {"auth_base_url": "http://example.com"},
    "auth_base_url not a URL": {"auth_base_url": "no url"},
    "api_base_url": {"api_base_url": "ftp://example.com"},
    "auth_method": {"auth_method": "client_secret_magic"},
    "refresh_ratio": {"refresh_ratio": 7},
    "expiry_margin": {"expiry_margin": -1},
    "scopes": {"scopes": 5},
    "token_endpoint and issuer": {
        "token_endpoint": "https://idp.example/token",
        "issuer": "https://idp.example",
    },
    "token_endpoint http": {"token_endpoint": "http://idp.example/token"},
    "issuer http": {"issuer": "http://idp.example"},
    "custom_domain": {"custom_domain": "http://auth.example"},
    "wait_timeout": {"wait_timeout": 0},
    "client_id": {"client_id": " "},
}


@pytest.mark.parametrize("bad", sorted(BAD_ARGUMENTS))
@pytest.mark.parametrize("secret_type", [str, Secret])
def test_auth_constructor_failure_hides_the_secret(bad: str, secret_type: type) -> None:
    """`PingOneWorkerAuth(...)` with one bad argument: no canary in the locals, repr ok."""
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth(
            **{
                "client_id": CANARY_CLIENT_ID,
                "client_secret": secret_type(CANARY_SECRET),
                "environment_id": CANARY_ENV_ID,
                **BAD_ARGUMENTS[bad],
            }
        )
    )


@pytest.mark.parametrize("key_type", [str, bytes, Secret])
@pytest.mark.parametrize("bad", ["region", "auth_base_url http", "refresh_ratio"])
def test_private_key_constructor_failure_hides_the_key(bad: str, key_type: type) -> None:
    """A private_key_jwt auth failing to build shows its PEM key nowhere."""
    key: Callable[[], Any] = {
        str: lambda: CANARY_KEY,
        bytes: CANARY_KEY.encode,
        Secret: lambda: Secret(CANARY_KEY),
    }[key_type]
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            None,
            CANARY_ENV_ID,
            auth_method="private_key_jwt",
            private_key=key(),
            **BAD_ARGUMENTS[bad],
        )
    )


def test_secret_provider_value_is_wrapped_before_a_failure() -> None:
    """What `secret_provider` returns is wrapped at once: a later failure does not show it."""
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            None,
            CANARY_ENV_ID,
            secret_provider=lambda: CANARY_SECRET,
            region="XX",
        )
    )


def test_wrong_typed_secret_is_not_echoed() -> None:
    """A secret of the wrong type (bytes) is refused without being shown."""
    exc = assert_failure_hides_canary(
        lambda: PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET.encode(), CANARY_ENV_ID)
    )
    assert isinstance(exc, ConfigurationError)
    assert "bytes" in str(exc)


@pytest.mark.parametrize(
    "bad",
    [
        {"region": "XX"},
        {"auth_method": "nope"},
        {"scopes": 5},
        {"environment_id": "  "},
    ],
    ids=["region", "auth_method", "scopes", "blank environment"],
)
def test_client_credentials_failure_hides_the_secret(bad: dict[str, Any]) -> None:
    """`ClientCredentials(...)` failing after the secret was given: no canary, repr ok."""
    args: dict[str, Any] = {"environment_id": CANARY_ENV_ID, **bad}
    assert_failure_hides_canary(lambda: ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, **args))
    assert_failure_hides_canary(
        lambda: ClientCredentials(
            CANARY_CLIENT_ID,
            None,
            auth_method="private_key_jwt",
            private_key=CANARY_KEY.encode(),
            **args,
        )
    )


# --- each settings source ---------------------------------------------------------------

FULL_ENV = {
    "PINGONE_CLIENT_ID": CANARY_CLIENT_ID,
    "PINGONE_CLIENT_SECRET": CANARY_SECRET,
    "PINGONE_ENVIRONMENT_ID": CANARY_ENV_ID,
}
BAD_ENV = {
    "region": {"PINGONE_REGION": "XX"},
    "auth_base_url": {"PINGONE_AUTH_BASE_URL": "http://example.com"},
    "api_base_url": {"PINGONE_API_BASE_URL": "http://example.com/v1"},
    "go hostnames": {"PINGONE_AUTH_SERVICE_HOSTNAME": "auth.example.com"},
}


@pytest.mark.parametrize("bad", sorted(BAD_ENV))
def test_environment_source_failure_hides_the_secret(
    bad: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Secret in os.environ, another variable bad: `from_env()` and `resolve_settings()`."""
    for name, value in {**FULL_ENV, **BAD_ENV[bad]}.items():
        monkeypatch.setenv(name, value)
    assert_failure_hides_canary(lambda: PingOneWorkerAuth.from_env(stored=None))
    assert_failure_hides_canary(lambda: resolve_settings(stored=None))


@pytest.mark.parametrize("bad", sorted(BAD_ENV))
def test_env_mapping_argument_failure_hides_the_secret(bad: str) -> None:
    """Secret in an `env=` mapping, another value bad."""
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_env(env={**FULL_ENV, **BAD_ENV[bad]}, stored=None)
    )
    assert_failure_hides_canary(lambda: resolve_settings(env={**FULL_ENV, **BAD_ENV[bad]}))


def test_argument_source_failure_hides_the_secret() -> None:
    """The secret as an argument of `from_env()` / `resolve_settings()`, a bad region."""
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_env(
            client_id=CANARY_CLIENT_ID,
            client_secret=CANARY_SECRET,
            environment_id=CANARY_ENV_ID,
            region="XX",
            env={},
            stored=None,
        )
    )
    assert_failure_hides_canary(
        lambda: resolve_settings(
            client_id=CANARY_CLIENT_ID,
            client_secret=CANARY_SECRET,
            environment_id=CANARY_ENV_ID,
            auth_base_url="http://example.com",
            env={},
        )
    )
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_env(env=FULL_ENV, stored=None, refresh_ratio=3)
    )


ENV_FILES = {
    "region": f"PINGONE_CLIENT_SECRET={CANARY_SECRET}\nPINGONE_REGION=XX\n",
    "malformed line": f"PINGONE_CLIENT_SECRET={CANARY_SECRET}\nthis is not a setting\n",
    "unterminated quote": f"PINGONE_CLIENT_SECRET='{CANARY_SECRET}\n",
    "auth_base_url": f"PINGONE_CLIENT_SECRET={CANARY_SECRET}\n"
    "PINGONE_AUTH_BASE_URL=http://example.com\n",
}


@pytest.mark.parametrize("bad", sorted(ENV_FILES))
def test_env_file_failure_hides_the_secret(bad: str, tmp_path: Path) -> None:
    """A .env file holding the secret, something else in it wrong."""
    path = tmp_path / ".env"
    path.write_text(
        f"PINGONE_CLIENT_ID={CANARY_CLIENT_ID}\nPINGONE_ENVIRONMENT_ID={CANARY_ENV_ID}\n"
        + ENV_FILES[bad],
        encoding="utf-8",
    )
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_env(env={}, env_file=path, stored=None)
    )
    assert_failure_hides_canary(lambda: resolve_settings(env={}, env_file=path))


def test_env_file_not_utf8_hides_the_secret(tmp_path: Path) -> None:
    """A .env file that is not UTF-8: the decode error's copy of the bytes is not chained."""
    path = tmp_path / ".env"
    path.write_bytes(f"PINGONE_CLIENT_SECRET={CANARY_SECRET}\n".encode() + b"\xff\xfe\n")
    assert_failure_hides_canary(lambda: resolve_settings(env={}, env_file=path))


@pytest.mark.parametrize(
    "text",
    [
        json.dumps({"pingone": {"workerToken": {"clientSecret": CANARY_SECRET}}}),
        json.dumps(
            {"pingone": {"workerToken": {"clientId": CANARY_CLIENT_ID, "x": CANARY_SECRET}}}
        ),
        '{"pingone": {"workerToken": {"clientId": "' + CANARY_SECRET + '", }}}',
    ],
    ids=["secret key refused", "unknown key", "bad JSON"],
)
def test_settings_file_failure_hides_the_secret(text: str, tmp_path: Path) -> None:
    """A settings.json with a secret in it, refused: its content is in no frame or chain."""
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    assert_failure_hides_canary(
        lambda: resolve_settings(env=FULL_ENV, settings_file=path, stored=None)
    )


def test_stored_credentials_failure_hides_the_secret(tmp_path: Path) -> None:
    """Credentials from the store, an environment override wrong."""
    secure_store(
        ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID), directory=tmp_path
    )
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_store(
            CANARY_CLIENT_ID, directory=tmp_path, auth_base_url="http://example.com"
        )
    )
    stored = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    assert_failure_hides_canary(
        lambda: resolve_settings(env={"PINGONE_REGION": "XX"}, stored=lambda _id: stored)
    )


# --- half-built objects -----------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: PingOneWorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, region="XX"),
        lambda: ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, region="XX"),
        lambda: RedisTokenCache("redis://127.0.0.1:6379/0", lock_ttl=-1),
        lambda: EncryptedFileTokenCache(lock_timeout=-1),
        lambda: PingOneClient(object()),  # type: ignore[arg-type]
        lambda: RateLimiter(rate=-1),
        lambda: JWKSCache("http://example.com/jwks"),
        lambda: PingOneEmulator(region="XX"),
    ],
    ids=[
        "PingOneWorkerAuth",
        "ClientCredentials",
        "RedisTokenCache",
        "file cache",
        "client",
        "RateLimiter",
        "JWKSCache",
        "PingOneEmulator",
    ],
)
def test_half_built_objects_repr_without_crashing(build: Callable[[], object]) -> None:
    """A constructor raising leaves `self` half-built in its frame: rendering its locals
    (and so its repr) works and says nothing secret."""
    assert_failure_hides_canary(build)


@pytest.mark.parametrize(
    "bad",
    [
        {"endpoint": "http://example.com/as/token"},
        {"auth_method": "client_secret_magic"},
        {"auth_method": "private_key_jwt", "private_key": "<CANARY_KEY>"},
    ],
    ids=["http endpoint", "auth_method", "key not a PEM"],
)
def test_standalone_request_failure_hides_the_secret(bad: dict[str, Any]) -> None:
    """`request_client_credentials_token` refusing its arguments (before any I/O)."""
    args: dict[str, Any] = {
        "endpoint": f"https://auth.pingone.com/{CANARY_ENV_ID}/as/token",
        "client_id": CANARY_CLIENT_ID,
        **bad,
    }
    # The secret (a global) goes in inline: the lambdas' own locals must not hold it.
    assert_failure_hides_canary(
        lambda: request_client_credentials_token(client_secret=CANARY_SECRET, **_keyed(args))
    )
    assert_failure_hides_canary(
        lambda: asyncio.run(
            arequest_client_credentials_token(client_secret=CANARY_SECRET, **_keyed(args))
        )
    )


def _keyed(args: dict[str, Any]) -> dict[str, Any]:
    """``args`` with the canary key put in (so the calling lambda's locals never hold it)."""
    return {k: CANARY_KEY if v == "<CANARY_KEY>" else v for k, v in args.items()}


@pytest.mark.parametrize("key_type", [str, bytes])
def test_unusable_private_key_fails_without_showing_it(key_type: type) -> None:
    """A key that is no PEM fails the first token request, sync and async; the key (which the
    signing code must hold raw) is in no frame of the failure and in no chained error."""

    def never(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request is sent with a key that cannot sign")

    def auth() -> PingOneWorkerAuth:
        return PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            None,
            CANARY_ENV_ID,
            auth_method="private_key_jwt",
            private_key=CANARY_KEY.encode() if key_type is bytes else CANARY_KEY,
            http_client=httpx.Client(transport=httpx.MockTransport(never)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(never)),
        )

    exc = assert_failure_hides_canary(lambda: auth().get_token())
    assert isinstance(exc, ConfigurationError)
    assert_failure_hides_canary(lambda: asyncio.run(auth().aget_token()))


@pytest.mark.parametrize(
    "build",
    [
        lambda: PingOneClient(token=CANARY_TOKEN, region="XX"),
        lambda: PingOneClient(token=CANARY_TOKEN, api_base_url="http://example.com/v1"),
        lambda: AsyncPingOneClient(token=CANARY_TOKEN, region="XX"),
        lambda: create_pingone_client(CANARY_TOKEN, region="XX"),
    ],
    ids=[
        "PingOneClient region",
        "PingOneClient http",
        "AsyncPingOneClient",
        "create_pingone_client",
    ],
)
def test_management_client_constructor_failure_hides_the_token(
    build: Callable[[], object],
) -> None:
    """A Management API client given a raw token, refusing another argument."""
    assert_failure_hides_canary(build)


@pytest.mark.parametrize(
    "build",
    [
        lambda: EncryptedFileTokenCache(key=CANARY_SECRET.encode(), lock_timeout=-1),
        lambda: EncryptedFileTokenCache(key=CANARY_SECRET.encode()),  # not a 256-bit key
        lambda: EncryptedFileTokenCache(key=f"hpw-key-v1:{CANARY_SECRET}"),
        lambda: RedisTokenCache("redis://127.0.0.1:6379/0", secret=CANARY_SECRET, lock_ttl=-1),
        lambda: RedisTokenCache(
            "redis://127.0.0.1:6379/0", encryption_key=CANARY_SECRET.encode(), lock_ttl=-1
        ),
        lambda: RedisTokenCache(f"redis://:{CANARY_SECRET}@127.0.0.1:abc/0"),
    ],
    ids=[
        "file cache key",
        "file cache damaged key",
        "file cache damaged key text",
        "redis secret",
        "redis encryption_key",
        "redis URL password",
    ],
)
def test_cache_constructor_failure_hides_its_secret(build: Callable[[], object]) -> None:
    """A shared cache given a secret, a key or a password, refusing another argument."""
    assert_failure_hides_canary(build)


def test_secret_of_the_wrong_type_is_not_kept_in_its_frame() -> None:
    """`Secret(b"...")` refuses bytes without keeping them in the failing frame."""
    exc = assert_failure_hides_canary(lambda: Secret(CANARY_SECRET.encode()))  # type: ignore[arg-type]
    assert isinstance(exc, TypeError)


def test_credential_format_error_hides_the_secret() -> None:
    """`validate_credential_format(..., raise_on_error=True)` with a damaged secret."""
    exc = assert_failure_hides_canary(
        lambda: validate_credential_format(
            CANARY_CLIENT_ID, f" {CANARY_SECRET}\\n", "not-a-uuid", raise_on_error=True
        )
    )
    assert isinstance(exc, CredentialFormatError)


def test_unusable_stored_entry_hides_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry that decrypts but is unusable (a newer version wrote it): reading it fails
    without the decrypted secret or the store key in any frame."""
    from httpx_pingone_worker.credentials import _store

    original = _store._serialise

    def newer(credentials: ClientCredentials) -> bytes:
        return original(credentials).replace(b'"v":1', b'"v":2', 1)

    monkeypatch.setattr(_store, "_serialise", newer)
    secure_store(
        ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID), directory=tmp_path
    )
    exc = assert_failure_hides_canary(lambda: secure_retrieve(CANARY_CLIENT_ID, directory=tmp_path))
    assert "no usable credentials" in str(exc)
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_store(CANARY_CLIENT_ID, directory=tmp_path)
    )


def test_rotate_secret_failure_hides_the_new_secret() -> None:
    """`rotate_secret()` whose cache refuses the new secret (a cache's `bind` raising)."""

    class Refusing(MemoryTokenCache):
        calls = 0

        def bind(self, secret: Secret, *, cache_key: str) -> None:
            Refusing.calls += 1
            if Refusing.calls > 1:
                raise RuntimeError("this cache takes no new secret")

    auth = PingOneWorkerAuth(
        CANARY_CLIENT_ID, "the-first-secret-0123456789", CANARY_ENV_ID, cache=Refusing()
    )
    assert_failure_hides_canary(lambda: auth.rotate_secret(CANARY_SECRET))
    with pytest.raises(ConfigurationError, match="non-empty"):
        auth.rotate_secret("   ")


@pytest.mark.parametrize(
    "bad",
    [{"region": "XX"}, {"auth_base_url": "http://example.com"}, {"refresh_ratio": 5}],
    ids=["region", "http auth host", "refresh_ratio"],
)
def test_from_credentials_failure_hides_the_secret(bad: dict[str, Any]) -> None:
    """`from_credentials(creds, **overrides)` with a bad override, and with a raw
    `client_secret=` override: no canary in the locals."""
    creds = ClientCredentials(CANARY_CLIENT_ID, "the-first-secret-0123456789", CANARY_ENV_ID)
    assert_failure_hides_canary(
        lambda: PingOneWorkerAuth.from_credentials(creds, client_secret=CANARY_SECRET, **bad)
    )


@pytest.mark.parametrize(
    "content",
    [f"hpw-key-v1:{CANARY_SECRET}\n", f"{CANARY_SECRET}\u00e9\n"],
    ids=["not a 256-bit key", "not ascii"],
)
def test_a_damaged_key_file_is_refused_without_its_content_in_frames(
    tmp_path: Path, content: str
) -> None:
    """A key file that holds something else than a key (damaged, or a secret pasted in the
    wrong place) is a `StorageError` naming the file; its content is in no frame's locals
    and no exception of the chain (a decode error carries the bytes it failed on)."""
    (tmp_path / ".tokens.key").write_text(content, encoding="utf-8")
    exc = assert_failure_hides_canary(lambda: EncryptedFileTokenCache(tmp_path))
    assert ".tokens.key" in str(exc)
