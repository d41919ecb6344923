"""The Redis token cache's value format: AES-256-GCM with a key derived by HKDF-SHA256.

A value is ``hpw1:<base64url(nonce ‖ ciphertext)>``; the plaintext is the token as JSON.
``cryptography`` is imported on first use.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token, restorable_times

if TYPE_CHECKING:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM


__all__ = ["HKDF_INFO", "HKDF_SALT", "derive_encryption_key"]


#: HKDF salt for keys derived from a secret (fixed and public: it separates this use).
HKDF_SALT = b"httpx-pingone-worker/redis-token-cache/v1"
#: HKDF info for keys derived from a secret.
HKDF_INFO = b"aes-256-gcm token encryption key"

_VALUE_PREFIX = "hpw1:"
_NONCE_LEN = 12


def derive_encryption_key(secret: str | Secret) -> bytes:
    """The 32-byte AES key :class:`RedisTokenCache` derives from a client secret (HKDF-SHA256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    raw = secret.get_secret_value() if isinstance(secret, Secret) else secret
    if not isinstance(raw, str) or not raw:
        raise ConfigurationError(
            "cannot derive a Redis cache encryption key from an empty secret",
            hint="pass the client secret (str or Secret), or encryption_key= with 32 random bytes",
        )
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO)
    return hkdf.derive(raw.encode())


def _aead(key: bytes) -> AESGCM:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key)


def _encode_token(token: Token) -> bytes:
    doc = {
        "access_token": token.access_token.get_secret_value(),
        "token_type": token.token_type,
        "expires_in": token.expires_in,
        "obtained_at": token.obtained_at,
        "scopes": sorted(token.scopes),
        "requested_scopes": sorted(token.requested_scopes),
        "scope_returned": token.scope_returned,
    }
    return json.dumps(doc, separators=(",", ":")).encode()


def _decode_token(data: bytes) -> Token | None:
    try:
        doc = parse_json(data)
    except BadJSON:
        return None
    if not isinstance(doc, dict):
        return None
    access = doc.get("access_token")
    token_type = doc.get("token_type")
    expires_in = doc.get("expires_in")
    obtained_at = doc.get("obtained_at")
    scopes = doc.get("scopes", [])
    requested = doc.get("requested_scopes", [])
    returned = doc.get("scope_returned", True)
    if not (
        isinstance(access, str)
        and access
        and isinstance(token_type, str)
        and isinstance(scopes, list)
        and all(isinstance(s, str) for s in scopes)
        and isinstance(requested, list)
        and all(isinstance(s, str) for s in requested)
        and isinstance(returned, bool)
    ):
        return None
    times = restorable_times(expires_in, obtained_at)
    if times is None:  # NaN/inf/huge times would make the entry fresh forever
        return None
    return Token(
        access_token=Secret(access),
        token_type=token_type,
        expires_in=times[0],
        obtained_at=times[1],
        scopes=frozenset(scopes),
        requested_scopes=frozenset(requested),
        scope_returned=returned,
    )


def _unwrap(raw: object) -> bytes:
    """``hpw1:<base64url>`` → nonce ‖ ciphertext; ValueError for anything else."""
    text = raw.decode("ascii") if isinstance(raw, bytes) else raw
    if not isinstance(text, str) or not text.startswith(_VALUE_PREFIX):
        raise ValueError("unknown value format")
    blob = base64.urlsafe_b64decode(text[len(_VALUE_PREFIX) :].encode("ascii"))
    if len(blob) < _NONCE_LEN + 16:
        raise ValueError("value too short")
    return blob
