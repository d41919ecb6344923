"""Redis values are sealed under a scrypt key (or encryption_key=), not a fast HKDF of the
secret; values an older version wrote (``hpw1:``, HKDF key) are a quiet miss, never an error."""

from __future__ import annotations

import base64
import json
import logging
import os

import pytest
from redis_support import KEY, RedisServer, bound_cache, make_token

import redis
from canary import CANARY_SECRET

# What versions before scrypt used (the derivation a stolen value could be tested against at
# ~150k guesses per second per core).
OLD_SALT = b"httpx-pingone-worker/redis-token-cache/v1"
OLD_INFO = b"aes-256-gcm token encryption key"


def _old_key(secret: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=OLD_SALT, info=OLD_INFO).derive(
        secret.encode()
    )


def _old_value(secret: str, redis_key: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    token = make_token()
    doc = {
        "access_token": token.access_token.get_secret_value(),
        "token_type": "Bearer",
        "expires_in": token.expires_in,
        "obtained_at": token.obtained_at,
        "scopes": [],
        "requested_scopes": [],
        "scope_returned": True,
    }
    nonce = os.urandom(12)
    sealed = AESGCM(_old_key(secret)).encrypt(nonce, json.dumps(doc).encode(), redis_key.encode())
    return "hpw1:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def test_a_stored_value_does_not_open_with_the_fast_hkdf_key(redis_server: RedisServer) -> None:
    """The value is not sealed under HKDF(secret) any more: that key opens nothing."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cache = bound_cache(redis_server.url)
    cache.set(KEY, make_token())
    client = redis.Redis.from_url(redis_server.url)
    raw = client.get(cache.token_key(KEY)).decode("ascii")
    assert raw.startswith("hpw2:")
    blob = base64.urlsafe_b64decode(raw[len("hpw2:") :])
    with pytest.raises(InvalidTag):
        AESGCM(_old_key(CANARY_SECRET)).decrypt(blob[:12], blob[12:], cache.token_key(KEY).encode())
    assert cache.get(KEY) is not None
    client.close()
    cache.close()


def test_an_old_format_value_is_a_quiet_miss_then_replaced(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    cache = bound_cache(redis_server.url)
    client = redis.Redis.from_url(redis_server.url)
    rkey = cache.token_key(KEY)
    client.set(rkey, _old_value(CANARY_SECRET, rkey), px=600_000)
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        assert cache.get(KEY) is None
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    cache.set(KEY, make_token())
    assert client.get(rkey).startswith(b"hpw2:")
    assert cache.get(KEY) is not None
    client.close()
    cache.close()
