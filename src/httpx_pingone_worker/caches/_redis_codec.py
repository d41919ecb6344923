"""The Redis token cache's value format: AES-256-GCM under an explicit key or a key
derived from the client secret with scrypt.

A value is ``hpw2:<base64url(nonce ‖ ciphertext)>``; the plaintext is the token as JSON and
the Redis key name is the associated data. ``cryptography`` is imported on first use.

Why scrypt: whoever reads one value from Redis can test guesses of the client secret
offline (decrypting with each candidate's key). A fast KDF (HKDF, the ``hpw1:`` format of
earlier versions) allows ~150,000 guesses per second per core: harmless for PingOne's long
random secrets, not for a human-chosen secret on another OIDC server. scrypt (N=2**15, r=8,
p=1: 32 MiB and about 0.1-0.3 s per derivation) makes each guess cost that much; the key is
derived once per process per secret and kept in memory. ``encryption_key=`` (32 random
bytes) skips the derivation and protects values however weak the secret is. Values in the
old ``hpw1:`` format are a cache miss (the next fetch replaces them), never an error.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token, token_document, token_from_document

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


__all__ = [
    "LEGACY_VALUE_PREFIX",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SCRYPT_SALT",
    "derive_encryption_key",
    "is_legacy_value",
]


#: scrypt salt for keys derived from a secret (fixed and public: every process of a fleet
#: must derive the same key from the same secret, with or without a cache key; it separates
#: this use from any other).
SCRYPT_SALT = b"httpx-pingone-worker/redis-token-cache/v2/scrypt"
#: scrypt cost: N (CPU/memory), r (block size), p (parallelism): 128 * N * r bytes = 32 MiB.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1

_VALUE_PREFIX = "hpw2:"
#: Values written by earlier versions (HKDF-derived key): read as a miss.
LEGACY_VALUE_PREFIX = "hpw1:"

# Derived keys, once per process per secret. Indexed by an HMAC of the secret under a
# random per-process key (not the secret itself, not a plain hash), bounded.
_DERIVED: OrderedDict[bytes, bytes] = OrderedDict()
_DERIVED_MAX = 64
_DERIVED_LOCK = threading.Lock()
_INDEX_KEY = os.urandom(32)
_NONCE_LEN = 12


def derive_encryption_key(secret: str | Secret) -> bytes:
    """The 32-byte AES key ``RedisTokenCache`` derives from a client secret: scrypt
    (``SCRYPT_N``, ``SCRYPT_R``, ``SCRYPT_P``, ``SCRYPT_SALT``), computed once
    per process per secret."""
    raw = secret.get_secret_value() if isinstance(secret, Secret) else secret
    if not isinstance(raw, str) or not raw:
        raise ConfigurationError(
            "cannot derive a Redis cache encryption key from an empty secret",
            hint="pass the client secret (str or Secret), or encryption_key= with 32 random bytes",
        )
    material = raw.encode()
    index = hmac.new(_INDEX_KEY, material, hashlib.sha256).digest()
    with _DERIVED_LOCK:
        key = _DERIVED.get(index)
        if key is not None:
            _DERIVED.move_to_end(index)
            return key
        # Derived under the lock: two threads binding one secret at once pay once.
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        key = Scrypt(salt=SCRYPT_SALT, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
            material
        )
        _DERIVED[index] = key
        while len(_DERIVED) > _DERIVED_MAX:
            _DERIVED.popitem(last=False)
        return key


def is_legacy_value(raw: object) -> bool:
    """True for a value in the format of earlier versions (``hpw1:``, HKDF key)."""
    if isinstance(raw, bytes):
        return raw.startswith(LEGACY_VALUE_PREFIX.encode())
    return isinstance(raw, str) and raw.startswith(LEGACY_VALUE_PREFIX)


def _aead(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _encode_token(token: Token) -> bytes:
    return json.dumps(token_document(token), separators=(",", ":")).encode()


def _decode_token(data: bytes) -> Token | None:
    try:
        doc = parse_json(data)
    except BadJSON:
        return None
    return token_from_document(doc)


def _unwrap(raw: object) -> bytes:
    """``hpw1:<base64url>`` → nonce ‖ ciphertext; ValueError for anything else."""
    text = raw.decode("ascii") if isinstance(raw, bytes) else raw
    if not isinstance(text, str) or not text.startswith(_VALUE_PREFIX):
        raise ValueError("unknown value format")
    blob = base64.urlsafe_b64decode(text[len(_VALUE_PREFIX) :].encode("ascii"))
    if len(blob) < _NONCE_LEN + 16:
        raise ValueError("value too short")
    return blob
