"""The emulator's derived RSA keys: the shortcut table of known primes matches the derivation.

`_keys._KNOWN_OFFSETS` saves the prime search for the keys most sessions use (seed 0). These
tests derive those primes again the slow way and compare, so the table can never hand out a
key other than the one the seed names; and a key built through the table signs tokens that
verify under the public key the JWKS publishes.
"""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from httpx_pingone_worker.emulator import PingOneEmulator, _keys


def _label(seed: int, purpose: str, index: int) -> bytes:
    return f"httpx-pingone-worker emulator key:{seed}:{purpose}:{index}".encode()


@pytest.mark.parametrize("entry", sorted(_keys._KNOWN_OFFSETS), ids=str)
def test_known_offsets_match_the_search(entry: tuple[int, str, int]) -> None:
    """Each table entry names exactly the prime the sieve and Miller-Rabin find."""
    label = _label(*entry)
    for half, offset in zip((b":p", b":q"), _keys._KNOWN_OFFSETS[entry], strict=True):
        searched = _keys._derived_prime(label + half)
        assert _keys._known_prime(label + half, offset) == searched


def test_the_table_covers_the_default_emulators_keys() -> None:
    """The default emulator's signing key and first client key come from the table."""
    assert (0, "signing", 0) in _keys._KNOWN_OFFSETS
    assert (0, "client", 0) in _keys._KNOWN_OFFSETS


def test_a_wrong_offset_is_refused_not_turned_into_a_key() -> None:
    """An offset that does not land on the prime raises instead of making a broken key."""
    label = _label(0, "signing", 0) + b":p"
    good = _keys._KNOWN_OFFSETS[(0, "signing", 0)][0]
    with pytest.raises(AssertionError, match="known prime offset"):
        _keys._known_prime(label, good + 1)


@pytest.mark.parametrize("seed", [0, 7], ids=["table", "searched"])
def test_keys_sign_what_the_jwks_verifies(seed: int) -> None:
    """A token from the emulator verifies against its published JWKS, for a key from the
    table (seed 0) and one found by the search (seed 7)."""
    emu = PingOneEmulator(seed=seed, users=1)
    token = emu.issue_token().get_secret_value()
    header_b64, payload_b64, sig_b64 = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    jwk = next(k for k in emu.jwks["keys"] if k["kid"] == header["kid"])

    def as_int(text: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

    public = rsa.RSAPublicNumbers(as_int(jwk["e"]), as_int(jwk["n"])).public_key()
    signature = base64.urlsafe_b64decode(sig_b64 + "=" * (-len(sig_b64) % 4))
    public.verify(  # raises InvalidSignature on a mismatch
        signature, f"{header_b64}.{payload_b64}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    assert public.key_size == 2048
