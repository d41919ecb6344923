"""RSA signing keys and compact JWS signing for the emulator (uses ``cryptography``).

RSA-2048 generation costs 50-100 ms, so keys are generated once per process per
``(seed, purpose, index)`` and reused by every emulator built with that seed: tests that
build many emulators stay fast. The key material is random (``cryptography`` cannot derive an
RSA key from a seed); only the key ids are derived from the seed.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = ["SigningKey", "b64url", "b64url_decode", "signing_key"]

_lock = threading.Lock()


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of :func:`b64url`; raises ``ValueError`` on bad input."""
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An RSA key pair with its ``kid``; :meth:`sign` makes compact RS256 JWTs."""

    kid: str
    key: RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK (``kty``, ``kid``, ``use``, ``alg``, ``n``, ``e``)."""
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": _int_b64(numbers.n),
            "e": _int_b64(numbers.e),
        }

    def private_pem(self) -> str:
        """PKCS#8 PEM of the private key (for a worker app's ``private_key_jwt``)."""
        from cryptography.hazmat.primitives import serialization

        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")

    def sign(self, claims: dict[str, Any], *, typ: str = "at+jwt") -> str:
        """Compact RS256 JWS of ``claims`` with ``kid`` and ``typ`` in the header."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header = {"alg": "RS256", "typ": typ, "kid": self.kid}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


@functools.lru_cache(maxsize=64)
def _generate(seed: int, purpose: str, index: int) -> RSAPrivateKey:  # noqa: ARG001 - cache key
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def signing_key(seed: int, purpose: str, index: int = 0) -> SigningKey:
    """The cached key for ``(seed, purpose, index)``, with a ``kid`` derived from them."""
    with _lock:  # one generation per key even when threads race
        key = _generate(seed, purpose, index)
    kid = hashlib.sha256(f"{seed}:{purpose}:{index}".encode()).hexdigest()[:16]
    return SigningKey(kid=kid, key=key)
