"""RSA signing keys and compact JWS signing for the emulator (uses ``cryptography``).

Every key is derived from ``(seed, purpose, index)``, its ``kid`` too: an emulator restarted
with the same seed serves the same key under the same ``kid``, so a client that cached the JWKS
of an earlier run still verifies the new run's tokens (and a ``kid`` never names two different
keys). ``cryptography`` cannot derive an RSA key from a seed, so the two primes are found here:
candidates come from SHAKE-256 of the seed, each is sieved by small primes and tested with
Miller-Rabin. That costs about as much as ``cryptography``'s own generation (tens of
milliseconds), and each key is built once per process and reused by every emulator with that
seed, so tests that build many emulators stay fast. Anyone who knows the seed can rebuild the
private keys: they are test keys, like the emulator's throwaway secrets.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

__all__ = ["SigningKey", "b64url", "b64url_decode", "signing_key"]

_lock = threading.Lock()
#: Compact JWS by ``(kid, signing input)``, newest last (see ``SigningKey.sign``).
_SIGNED: dict[tuple[str, str], str] = {}
_SIGNED_MAX = 256


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of ``b64url``; raises ``ValueError`` on bad input."""
    pad = "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(text + pad)


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An RSA key pair with its ``kid``; ``sign`` makes compact RS256 JWTs."""

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
        # RS256 (PKCS#1 v1.5) is deterministic: the same input always has the same signature,
        # so a token signed again (a test restored to the same state within the same second)
        # is looked up instead of paying for an RSA operation.
        cache_key = (self.kid, signing_input)
        token = _SIGNED.get(cache_key)
        if token is None:
            signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
            token = f"{signing_input}.{b64url(signature)}"
            with _lock:
                if len(_SIGNED) >= _SIGNED_MAX:
                    _SIGNED.pop(next(iter(_SIGNED)))  # the oldest
                _SIGNED[cache_key] = token
        return token

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


_E = 65537
_PRIME_BITS = 1024  # two of them: an RSA-2048 modulus
_SIEVE_LIMIT = 1 << 14
_SIEVE_WINDOW = 4096  # odd candidates per sieve pass
_SMALL_PRIMES: tuple[int, ...] = ()
# Miller-Rabin rounds on a pseudo-random 1024-bit candidate: 5 keep the error below 2**-100
# (FIPS 186-5 B.3, table B.1); composites nearly always fail the first round.
_MR_BASES = (2, 3, 5, 7, 11)


def _small_primes() -> tuple[int, ...]:
    global _SMALL_PRIMES  # noqa: PLW0603 - built once, on first key
    if not _SMALL_PRIMES:
        flags = bytearray([1]) * _SIEVE_LIMIT
        flags[0:2] = b"\x00\x00"
        for i in range(2, int(_SIEVE_LIMIT**0.5) + 1):
            if flags[i]:
                flags[i * i :: i] = bytes(len(range(i * i, _SIEVE_LIMIT, i)))
        _SMALL_PRIMES = tuple(i for i in range(3, _SIEVE_LIMIT) if flags[i])
    return _SMALL_PRIMES


def _probably_prime(n: int) -> bool:
    d, r = n - 1, 0
    while not d & 1:
        d, r = d >> 1, r + 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


#: Where the primes of the keys most sessions use lie (seed 0: the signing key and its first
#: two rotations, the first four client keys): ``label -> (p, q)`` steps of 2 from the derived
#: start. Sieving for them costs 0.1-0.3 s of CPU per key at the start of every test session
#: and emulator run; ``tests/emulator/test_keys.py`` derives them again and compares.
_KNOWN_OFFSETS: dict[tuple[int, str, int], tuple[int, int]] = {
    (0, "signing", 0): (155, 37),
    (0, "signing", 1): (1653, 34),
    (0, "signing", 2): (2185, 1024),
    (0, "client", 0): (304, 376),
    (0, "client", 1): (23, 86),
    (0, "client", 2): (153, 207),
    (0, "client", 3): (70, 300),
}


def _derived_start(label: bytes) -> int:
    """The odd SHAKE-256-derived start of a prime search (top two bits set, so two primes
    found from such starts multiply to a full-size modulus)."""
    start = int.from_bytes(hashlib.shake_256(label).digest(_PRIME_BITS // 8), "big")
    return start | (0b11 << (_PRIME_BITS - 2)) | 1


def _known_prime(label: bytes, offset: int) -> int:
    """``_derived_prime(label)`` when it is known to lie ``offset`` steps of 2 from the start
    (checked cheaply: a wrong table entry raises instead of making a bad key)."""
    n = _derived_start(label) + 2 * offset
    if not (n - 1) % _E or pow(2, n - 1, n) != 1:  # pragma: no cover - the table is tested
        raise AssertionError(f"the known prime offset of {label!r} is wrong")
    return n


def _derived_prime(label: bytes) -> int:
    """The first prime at or after a SHAKE-256-derived odd start (``_derived_start``) with
    ``p - 1`` coprime to ``e``.

    Odd candidates are sieved a window at a time (one ``start % p`` per small prime, then
    strides through a bytearray), so Miller-Rabin runs only on the few that survive.
    """
    base = _derived_start(label)
    primes = _small_primes()
    while True:
        # alive[i] stands for base + 2 * i
        alive = bytearray([1]) * _SIEVE_WINDOW
        for p in primes:
            # first i with (base + 2i) % p == 0: i = (-base) * inverse(2) mod p
            i = (-base * ((p + 1) // 2)) % p
            alive[i::p] = bytes(len(range(i, _SIEVE_WINDOW, p)))
        for i in range(_SIEVE_WINDOW):
            if alive[i]:
                n = base + 2 * i
                if (n - 1) % _E and _probably_prime(n):
                    return n
        base += 2 * _SIEVE_WINDOW


@functools.lru_cache(maxsize=256)
def _generate(seed: int, purpose: str, index: int) -> RSAPrivateKey:
    """The RSA-2048 key of ``(seed, purpose, index)``: the same key on every run."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    label = f"httpx-pingone-worker emulator key:{seed}:{purpose}:{index}".encode()
    known = _KNOWN_OFFSETS.get((seed, purpose, index))
    if known is not None:
        p, q = _known_prime(label + b":p", known[0]), _known_prime(label + b":q", known[1])
    else:
        p, q = _derived_prime(label + b":p"), _derived_prime(label + b":q")
    if p == q:  # pragma: no cover - two SHAKE outputs leading to one prime: 2**-1000
        raise AssertionError("derived the same prime twice")
    if p < q:
        p, q = q, p
    lam = (p - 1) * (q - 1) // math.gcd(p - 1, q - 1)
    d = pow(_E, -1, lam)
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(_E, p * q),
    )
    # The primes are tested above (or in the test suite, for the known ones) and d is
    # computed from them: OpenSSL's own check of the key (tens of ms) adds nothing.
    return numbers.private_key(unsafe_skip_rsa_key_validation=True)


def signing_key(seed: int, purpose: str, index: int = 0) -> SigningKey:
    """The cached key for ``(seed, purpose, index)``, with a ``kid`` derived from them."""
    with _lock:  # one generation per key even when threads race
        key = _generate(seed, purpose, index)
    kid = hashlib.sha256(f"{seed}:{purpose}:{index}".encode()).hexdigest()[:16]
    return SigningKey(kid=kid, key=key)
