"""Keys and token builders for the JWT tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

ISSUER = "https://auth.pingone.com/0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a/as"
JWKS_URL = f"{ISSUER}/jwks"
KID = "key-1"

#: verify_jwt, or averify_jwt run to completion on a fresh event loop (same signature).
Verify = Callable[..., dict[str, Any]]


def b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj: Any) -> str:
    """base64url of compact JSON."""
    return b64(json.dumps(obj, separators=(",", ":")).encode())


class Keys:
    """An RSA key pair in PEM and JWK form, plus an EC public JWK."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from jose import jwk

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._key = key
        self.private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self.public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.public_jwk = {
            **jwk.construct(self.public_pem, "RS256").to_dict(),
            "kid": KID,
            "use": "sig",
        }
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._other = other
        self.other_private_pem = other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        ec_key = ec.generate_private_key(ec.SECP256R1())
        ec_pub = (
            ec_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.ec_jwk = {**jwk.construct(ec_pub, "ES256").to_dict(), "kid": "ec-1"}

    def sign(self, claims: dict[str, Any], *, kid: str | None = KID, other: bool = False) -> str:
        """RS256-sign ``claims`` with cryptography directly (fast, independent of jose)."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
        if kid:
            header["kid"] = kid
        signing_input = f"{b64json(header)}.{b64json(claims)}"
        key = self._other if other else self._key
        sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64(sig)}"

    @property
    def jwks(self) -> dict[str, Any]:
        """A JWKS with the RSA public key."""
        return {"keys": [dict(self.public_jwk)]}


def default_claims(**overrides: Any) -> dict[str, Any]:
    """PingOne-shaped worker token claims."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "client_id": "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f",
        "iss": ISSUER,
        "aud": ["https://api.pingone.com"],
        "scope": "",
        "iat": now,
        "exp": now + 3600,
        "jti": "j1",
        "env": "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def forge_hmac(claims: dict[str, Any], secret: bytes, kid: str = KID, alg: str = "HS256") -> str:
    """An HMAC-signed token (the algorithm-confusion attack when secret is the public key)."""
    head = b64json({"alg": alg, "typ": "JWT", "kid": kid})
    body = b64json(claims)
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def forge_none(claims: dict[str, Any]) -> str:
    """An unsigned alg=none token."""
    return f"{b64json({'alg': 'none', 'typ': 'JWT', 'kid': KID})}.{b64json(claims)}."
