"""RedisTokenCache: construction, validation and key derivation (no server needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from redis_support import KEY, credentials

from canary import CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import ConfigurationError, RedisTokenCache, Secret, cache_key
from httpx_pingone_worker.caches._redis_codec import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    SCRYPT_SALT,
    derive_encryption_key,
)

URL = "redis://127.0.0.1:1/0"


def test_import_does_not_load_redis_or_cryptography() -> None:
    """Importing the package leaves redis-py and cryptography unloaded until the cache is used."""
    code = (
        "import sys, httpx_pingone_worker as h;"
        "assert 'redis' not in sys.modules, 'redis';"
        "assert 'httpx_pingone_worker.caches._redis' not in sys.modules;"
        "h.RedisTokenCache;"
        "assert 'cryptography.hazmat.primitives.ciphers.aead' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (("",), {}, "URL is empty"),
        (("http://127.0.0.1:6379",), {}, "unsupported Redis URL scheme"),
        ((42,), {}, "not int"),
        ((), {}, "needs a Redis URL or client"),
        ((URL,), {"key_prefix": ""}, "key_prefix"),
        ((URL,), {"lock_ttl": 0}, "lock_ttl must be a positive"),
        ((URL,), {"lock_timeout": -1}, "lock_timeout must be a positive"),
        ((URL,), {"socket_timeout": True}, "socket_timeout must be a positive"),
        ((URL,), {"retry_interval": -1}, "retry_interval must be a finite number >= 0"),
        ((URL,), {"encryption_key": b"short"}, "16, 24 or 32 bytes"),
        ((URL,), {"encryption_key": "x" * 32}, "must be bytes"),
        ((URL,), {"encryption_key": os.urandom(32), "secret": "s"}, "not both"),
        ((URL,), {"async_client": object()}, "async_client must be a redis.asyncio.Redis"),
        ((URL,), {"secret": ""}, "empty secret"),
    ],
)
def test_bad_arguments_are_rejected_with_a_reason(
    args: tuple[object, ...], kwargs: dict[str, object], fragment: str
) -> None:
    """Each bad argument raises ConfigurationError that names what is wrong."""
    with pytest.raises(ConfigurationError, match=fragment):
        RedisTokenCache(*args, **kwargs)


def test_key_derivation_is_scrypt_with_the_documented_parameters() -> None:
    """The derived key equals scrypt(secret, documented salt, N, r, p), per secret: a slow,
    memory-hard KDF (32 MiB), so a stolen value is no fast test of secret guesses."""
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    assert SCRYPT_N >= 2**15
    assert 128 * SCRYPT_N * SCRYPT_R >= 32 * 1024 * 1024
    expected = Scrypt(salt=SCRYPT_SALT, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        CANARY_SECRET.encode()
    )
    assert derive_encryption_key(CANARY_SECRET) == expected
    assert derive_encryption_key(Secret(CANARY_SECRET)) == expected
    assert derive_encryption_key("another-secret") != expected


def test_key_derivation_runs_once_per_process_per_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deriving again for the same secret (another cache, another bind) costs nothing."""
    from cryptography.hazmat.primitives.kdf import scrypt

    calls: list[int] = []
    real = scrypt.Scrypt

    def counting(**kwargs: Any) -> Any:
        calls.append(1)
        return real(**kwargs)

    monkeypatch.setattr(scrypt, "Scrypt", counting)
    secret = f"a-secret-only-this-run-uses-{os.urandom(8).hex()}"
    first = derive_encryption_key(secret)
    for _ in range(5):
        assert derive_encryption_key(Secret(secret)) == first
        RedisTokenCache("redis://127.0.0.1:1/0", secret=secret).close()
    assert len(calls) == 1


def test_unbound_cache_says_how_to_supply_a_key() -> None:
    """A cache with no key and no bound credentials refuses to read, explaining the fix."""
    cache = RedisTokenCache(URL)
    with pytest.raises(ConfigurationError, match="no encryption key") as info:
        cache.get(KEY)
    assert "encryption_key=" in str(info.value)
    cache.close()


def test_repr_hides_password_and_secret() -> None:
    """repr shows the target without credentials and never the secret."""
    cache = RedisTokenCache(f"redis://user:{CANARY_SECRET}@127.0.0.1:1/0")
    cache.bind(credentials())
    text = repr(cache)
    assert "127.0.0.1:1/0" in text
    assert "client secret" in text
    assert_no_canary(text)
    cache.close()


def test_key_names_are_documented_shape() -> None:
    """Token, lock and channel names are prefix + kind + the hashed cache key as a hash tag."""
    cache = RedisTokenCache(URL, key_prefix="app:")
    digest = KEY.removeprefix("pingone:")
    assert cache.token_key(KEY) == f"app:token:{{{digest}}}"
    assert cache.lock_key(KEY) == f"app:lock:{{{digest}}}"
    assert cache.notify_channel(KEY) == f"app:notify:{{{digest}}}"
    with pytest.raises(TypeError):
        cache.token_key("")
    cache.close()


def test_one_entry_hashes_to_one_cluster_slot() -> None:
    """A token, its lock and its channel share one slot (hash tag); other entries spread."""
    from redis.crc import key_slot

    cache = RedisTokenCache(URL, key_prefix="app:")
    slots = set()
    for scope in ("a", "b", "c", "d"):
        key = cache_key("https://auth.pingone.com/env/as/token", "client", [scope])
        names = (cache.token_key(key), cache.lock_key(key), cache.notify_channel(key))
        entry_slots = {key_slot(name.encode()) for name in names}
        assert len(entry_slots) == 1, names
        slots |= entry_slots
    assert len(slots) == 4  # the tag is the entry id, not the shared prefix
    cache.close()


def test_bind_accepts_a_secret_and_rejects_other_types() -> None:
    """bind() takes credentials or a raw/wrapped secret; anything else is a clear error."""
    from canary import CANARY_SECRET as secret

    for value in (secret, Secret(secret), credentials()):
        cache = RedisTokenCache(URL)
        cache.bind(value, cache_key=KEY)
        assert cache._codec.cipher(KEY) is not None
        cache.close()
    cache = RedisTokenCache(URL)
    with pytest.raises(ConfigurationError, match="bind\\(\\) takes"):
        cache.bind(42)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="empty secret"):
        cache.bind("")
    cache.close()
