"""Client authentication for the token and introspection endpoints (sans-IO).

``client_auth`` returns the headers and form fields that authenticate a client with
one of the four methods PingOne supports for a worker app:

- ``client_secret_basic`` (default): ``Authorization: Basic base64(urlenc(id):urlenc(secret))``
  (RFC 6749 §2.3.1: form-url-encode each part *before* base64);
- ``client_secret_post``: ``client_id`` and ``client_secret`` in the form body;
- ``client_secret_jwt``: an HS256 client assertion signed with the secret;
- ``private_key_jwt``: an RS256 client assertion signed with the private key (``kid`` when
  given).

Assertion claims as PingOne documents them: ``iss`` = ``sub`` = client id, ``aud`` = the
endpoint URL, a fresh ``jti``, ``iat`` and a short ``exp`` (60 s by default; PingOne rejects
more than an hour ahead).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._known import basic_credential
from httpx_pingone_worker._core._secrets import Secret, sealed_frames
from httpx_pingone_worker.credentials._credentials import AuthMethod, parse_auth_method

__all__ = ["ASSERTION_TYPE", "ClientAuthParts", "client_auth", "make_client_assertion"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT_ASSERTION_LIFETIME = 60


@dataclass(frozen=True, slots=True)
class ClientAuthParts:
    """Headers and form fields to add to a request (values may be sensitive)."""

    headers: dict[str, str]
    form: dict[str, str]

    def __repr__(self) -> str:
        return f"ClientAuthParts(headers={sorted(self.headers)!r}, form={sorted(self.form)!r})"


def _raw(value: str | Secret | None) -> str | None:
    if value is None:
        return None
    return value.get_secret_value() if isinstance(value, Secret) else value


_KEYS_LOCK = threading.Lock()
_KEYS: OrderedDict[tuple[str, str], Any] = OrderedDict()
_KEYS_MAX = 16


def _rsa_key(pem: str, algorithm: str) -> Any:
    """The parsed signing key for ``pem``, parsed once per process (bounded LRU).

    python-jose re-parses and re-validates a PEM on every signature (~90 ms for RSA 2048),
    which would put that cost on every ``private_key_jwt`` token request. The cache is keyed
    by a hash of the PEM, and holds only what the caller's auth object holds already.
    """
    from jose import jwk

    ident = (hashlib.sha256(pem.encode()).hexdigest(), algorithm)
    with _KEYS_LOCK:
        key = _KEYS.get(ident)
        if key is not None:
            _KEYS.move_to_end(ident)
            return key
    key = jwk.construct(pem, algorithm)
    with _KEYS_LOCK:
        _KEYS[ident] = key
        while len(_KEYS) > _KEYS_MAX:
            _KEYS.popitem(last=False)
    return key


def make_client_assertion(
    *,
    client_id: str,
    audience: str,
    algorithm: str,
    key: str,
    key_id: str | None = None,
    now: float,
    lifetime: int = DEFAULT_ASSERTION_LIFETIME,
    jti: str | None = None,
) -> str:
    """Sign a client assertion JWT with python-jose (imported lazily)."""
    from jose import jwt as jose_jwt

    if not 0 < lifetime <= 3600:
        raise ConfigurationError(
            f"client assertion lifetime {lifetime}s is out of range",
            hint="PingOne accepts an exp at most one hour ahead; use 1..3600 seconds",
        )
    issued = int(now)
    import uuid  # JWT client auth only: not on the client_secret_basic hot path

    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + lifetime,
        "jti": jti or uuid.uuid4().hex,
    }
    headers = {"kid": key_id} if key_id else None
    try:
        signing_key: Any = _rsa_key(key, algorithm) if algorithm.startswith("RS") else key
        return jose_jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)
    except Exception as exc:  # noqa: BLE001 - jose raises assorted key errors
        # jose's messages can include key material details; keep only the type.
        raise ConfigurationError(
            f"could not sign the {algorithm} client assertion ({type(exc).__name__})",
            hint="private_key must be a PEM RSA private key"
            if algorithm.startswith("RS")
            else "check the client secret",
        ) from None


@sealed_frames  # its locals (and make_client_assertion's) hold the raw secret or PEM key
def client_auth(
    method: AuthMethod | str,
    *,
    client_id: str,
    client_secret: str | Secret | None,
    audience: str,
    now: Callable[[], float] | float,
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    assertion_lifetime: int = DEFAULT_ASSERTION_LIFETIME,
) -> ClientAuthParts:
    """Build the client-authentication parts of a request to ``audience``."""
    m = parse_auth_method(method)
    ts = now() if callable(now) else now
    secret = _raw(client_secret)
    if m == "client_secret_basic":
        if not secret:
            raise ConfigurationError("client_secret_basic needs a client secret")
        return ClientAuthParts(
            headers={"Authorization": "Basic " + basic_credential(client_id, secret)},
            form={},
        )
    if m == "client_secret_post":
        if not secret:
            raise ConfigurationError("client_secret_post needs a client secret")
        return ClientAuthParts(headers={}, form={"client_id": client_id, "client_secret": secret})
    if m == "client_secret_jwt":
        if not secret:
            raise ConfigurationError("client_secret_jwt needs a client secret")
        assertion = make_client_assertion(
            client_id=client_id,
            audience=audience,
            algorithm="HS256",
            key=secret,
            now=ts,
            lifetime=assertion_lifetime,
        )
    else:
        pem = private_key.decode() if isinstance(private_key, bytes) else _raw(private_key)
        if not pem:
            raise ConfigurationError(
                "private_key_jwt needs a private key",
                hint="pass private_key= with a PEM-encoded RSA private key",
            )
        assertion = make_client_assertion(
            client_id=client_id,
            audience=audience,
            algorithm="RS256",
            key=pem,
            key_id=key_id,
            now=ts,
            lifetime=assertion_lifetime,
        )
    return ClientAuthParts(
        headers={},
        form={
            "client_id": client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )
