"""The Redis token cache's value format: AES-256-GCM under an explicit key or a key
derived from the client secret with scrypt.

A value is ``hpw2:<base64url(nonce ‖ ciphertext)>``; the plaintext is the token as JSON and
the Redis key name is the associated data. ``cryptography`` is imported on first use.
`RedisCodec` holds one cache's keys (given, or bound from the auth's client secret, per cache
key or for every entry), seals and opens values, and says how long an entry lives (until its
token expires, never beyond the token's lifetime). A value that does not open is a miss,
logged once as a warning without its content.

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
import binascii
import hashlib
import hmac
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._logging import EventKind, get_logger, log_event
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token, token_document, token_from_document
from httpx_pingone_worker.credentials._credentials import ClientCredentials

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


__all__ = [
    "LEGACY_VALUE_PREFIX",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SCRYPT_SALT",
    "RedisCodec",
    "derive_encryption_key",
    "is_legacy_value",
    "secret_material",
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

_log = get_logger("cache.redis")


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


def secret_material(credentials: ClientCredentials | str | Secret) -> Secret:
    """What `RedisTokenCache.bind` derives a key from: the client secret (else the private
    key) of `ClientCredentials`, or the secret itself."""
    if isinstance(credentials, ClientCredentials):
        material = credentials.client_secret or credentials.private_key
    elif isinstance(credentials, (str, Secret)):
        material = Secret(credentials)
    else:
        raise ConfigurationError(
            "bind() takes ClientCredentials or the client secret (str or Secret), "
            f"not {type(credentials).__name__}"
        )
    if material is None:  # pragma: no cover - ClientCredentials requires one
        raise ConfigurationError("credentials carry neither a client secret nor a private key")
    return material


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


class RedisCodec:
    """One cache's encryption keys, and its values sealed and opened with them.

    The key is `encryption_key` (16/24/32 bytes, used as is) or derived with scrypt from
    `secret`; without either, `bind` adds keys derived from the client secret the auth uses
    (per cache key, or for every entry with `cache_key=None`). `clock` gives epoch seconds for
    the entries' time to live.
    """

    def __init__(
        self,
        encryption_key: bytes | None,
        secret: str | Secret | None,
        clock: Callable[[], float],
    ) -> None:
        self._explicit: AESGCM | None = None
        #: Where the key comes from, for the cache's repr.
        self.key_source = "unbound"
        self._init_encryption(encryption_key, secret)
        self._bound: dict[str | None, AESGCM] = {}
        self._bound_lock = threading.Lock()
        self._clock = clock
        fork_register(self)

    def _after_fork(self) -> None:
        """A fresh lock in a forked child (a parent thread may have held it)."""
        self._bound_lock = threading.Lock()

    def _init_encryption(self, encryption_key: bytes | None, secret: str | Secret | None) -> None:
        if encryption_key is not None and secret is not None:
            raise ConfigurationError(
                "pass encryption_key= or secret=, not both",
                hint="encryption_key is used as is; secret derives a key with scrypt",
            )
        if encryption_key is not None:
            if not isinstance(encryption_key, (bytes, bytearray)):
                raise ConfigurationError(
                    f"encryption_key must be bytes, not {type(encryption_key).__name__}",
                    hint="use os.urandom(32), or pass secret= to derive a key from a string",
                )
            if len(encryption_key) not in (16, 24, 32):
                raise ConfigurationError(
                    f"encryption_key must be 16, 24 or 32 bytes long, got {len(encryption_key)}",
                    hint="use os.urandom(32) (AES-256-GCM)",
                )
            self._explicit = _aead(bytes(encryption_key))
            self.key_source = "encryption_key"
        elif secret is not None:
            self._explicit = _aead(derive_encryption_key(secret))
            self.key_source = "secret"

    def bind(self, material: Secret, cache_key: str | None) -> None:
        """Derive the key for `cache_key` (None: every entry without a key of its own) from
        the client secret; a key given to the constructor always wins."""
        if self._explicit is not None:
            return
        aead = _aead(derive_encryption_key(material))
        with self._bound_lock:
            self._bound[cache_key] = aead
        if self.key_source == "unbound":
            self.key_source = "client secret"

    def cipher(self, key: str) -> AESGCM:
        """The cipher for cache key `key`; a `ConfigurationError` when there is none."""
        if self._explicit is not None:
            return self._explicit
        aead = self._bound.get(key) or self._bound.get(None)
        if aead is None:
            raise ConfigurationError(
                "RedisTokenCache has no encryption key",
                hint="pass encryption_key= or secret=, or give the cache to PingOneWorkerAuth "
                "(cache=...), which binds its client secret",
            )
        return aead

    def seal(self, key: str, rkey: str, token: Token) -> str:
        """`token` sealed for cache key `key`, stored under the Redis key `rkey`."""
        nonce = os.urandom(_NONCE_LEN)
        sealed = self.cipher(key).encrypt(nonce, _encode_token(token), rkey.encode())
        return _VALUE_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, key: str, rkey: str, raw: object) -> Token | None:
        """The token in the value `raw` read from `rkey`, or None (absent or unreadable)."""
        from cryptography.exceptions import InvalidTag

        aead = self.cipher(key)
        if raw is None:
            return None
        if is_legacy_value(raw):
            _log.debug("redis token entry %s is in the old hpw1 format; treated as a miss", rkey)
            return None
        try:
            blob = _unwrap(raw)
            plain = aead.decrypt(blob[:_NONCE_LEN], blob[_NONCE_LEN:], rkey.encode())
        except (ValueError, UnicodeError, binascii.Error, InvalidTag) as exc:
            log_event(
                EventKind.ERROR,
                "redis token entry unreadable (tampered, other key or garbage); treated as a miss",
                level=logging.WARNING,
                logger="cache.redis",
                type=type(exc).__name__,
                key=rkey,
            )
            return None
        token = _decode_token(plain)
        if token is None:
            log_event(
                EventKind.ERROR,
                "redis token entry has an unknown layout; treated as a miss",
                level=logging.WARNING,
                logger="cache.redis",
                key=rkey,
            )
        return token

    def holds(self, key: str, rkey: str, raw: object, token: Token) -> bool:
        """True when the value `raw` read from `rkey` holds `token`."""
        held = self.open(key, rkey, raw)
        return held is not None and held.access_token == token.access_token

    def ttl_ms(self, token: Token) -> int:
        """Milliseconds the entry lives: until the token expires, never beyond its lifetime."""
        left = token.expires_at - self._clock()
        if left > token.expires_in:  # clocks disagree (e.g. a test clock): trust the lifetime
            left = float(token.expires_in)
        return math.floor(left * 1000)
