"""decode_jwt, verify_jwt and averify_jwt: attacks rejected, checks named, JWKS fetched sparingly.

Every verification test runs twice, through ``verify_jwt`` and through ``averify_jwt``
(the ``verify`` fixture).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import respx
from jwt_support import (
    ISSUER,
    JWKS_URL,
    KID,
    Keys,
    Verify,
    b64json,
    default_claims,
    forge_hmac,
    forge_none,
)

from canary import CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import JWKSCache, JWTError, Secret, decode_jwt

Sign = Callable[..., str]


@pytest.fixture
def jwks_route(keys: Keys) -> Iterator[respx.Route]:
    """The JWKS endpoint of the test issuer, counting requests."""
    with respx.mock(assert_all_called=False) as router:
        yield router.get(JWKS_URL).respond(200, json=keys.jwks)


def test_decode_labels_unverified(sign: Sign) -> None:
    """decode_jwt returns header and claims, marked unverified, repr without the token."""
    token = sign()
    decoded = decode_jwt(token)
    assert decoded.verified is False
    assert decoded.kid == KID
    assert decoded.alg == "RS256"
    assert decoded.issuer == ISSUER
    assert decoded.audience == ("https://api.pingone.com",)
    assert "UNVERIFIED" in repr(decoded)
    assert token not in repr(decoded)


def test_decode_opaque_token_friendly() -> None:
    """An opaque token gets a not_a_jwt error that points at introspection."""
    with pytest.raises(JWTError) as info:
        decode_jwt(CANARY_TOKEN)
    assert info.value.error == "not_a_jwt"
    assert "introspect" in (info.value.hint or "")
    assert_no_canary(str(info.value))


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("a.b.c.d.e", "encrypted"),
        ("!!!.###.sig", "not_a_jwt"),
        (f"{b64json([1, 2])}.{b64json({})}.x", "not_a_jwt"),
        (f"{b64json({'alg': 'RS256'})}.!!!.x", "malformed"),
        (f"{b64json({'alg': 'RS256'})}.{b64json('claims')}.x", "malformed"),
    ],
)
def test_decode_errors(token: str, error: str) -> None:
    """JWE, a non-JWT header, and a broken payload are each named."""
    with pytest.raises(JWTError) as info:
        decode_jwt(token)
    assert info.value.error == error


def test_decode_accepts_secret(sign: Sign) -> None:
    """decode_jwt takes a Secret too."""
    assert decode_jwt(Secret(sign())).kid == KID


def test_verify_valid_token(sign: Sign, keys: Keys, verify: Verify) -> None:
    """A correctly signed, current token with the right iss/aud verifies and returns claims."""
    claims = verify(sign(), jwks=keys.jwks, issuer=ISSUER, audience="https://api.pingone.com")
    assert claims["client_id"] == "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"


def test_alg_none_rejected(keys: Keys, verify: Verify) -> None:
    """alg=none is refused before any key lookup."""
    with pytest.raises(JWTError) as info:
        verify(forge_none(default_claims()), jwks=keys.jwks)
    assert info.value.error == "alg_not_allowed"


def test_hs256_with_public_key_rejected(keys: Keys, verify: Verify) -> None:
    """HS256 'signed' with the RSA public key (algorithm confusion) is refused."""
    token = forge_hmac(default_claims(), keys.public_pem.encode())
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks)
    assert info.value.error == "alg_not_allowed"


def test_hs256_cannot_be_allowed_explicitly(keys: Keys, verify: Verify) -> None:
    """Even listing HS256 in algorithms does not enable HMAC."""
    token = forge_hmac(default_claims(), keys.public_pem.encode())
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks, algorithms=["HS256", "RS256"])
    assert info.value.error == "alg_not_allowed"


def test_wrong_kid_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """A kid that is not in a static JWKS is refused."""
    with pytest.raises(JWTError) as info:
        verify(sign(kid="other"), jwks=keys.jwks)
    assert info.value.error == "unknown_kid"


def test_signed_by_other_key_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """A token signed by another RSA key under our kid fails the signature check."""
    with pytest.raises(JWTError) as info:
        verify(sign(other=True), jwks=keys.jwks)
    assert info.value.error == "invalid_signature"


def test_tampered_payload_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """Changing the payload after signing breaks the signature."""
    head, _, sig = sign().split(".")
    forged = f"{head}.{b64json(default_claims(scope='p1:update:env'))}.{sig}"
    with pytest.raises(JWTError) as info:
        verify(forged, jwks=keys.jwks)
    assert info.value.error == "invalid_signature"


def test_alg_key_type_mismatch(sign: Sign, keys: Keys, verify: Verify) -> None:
    """An RS256 token whose kid names an EC key is refused as a key/alg mismatch."""
    ec = {**keys.ec_jwk, "kid": KID}
    with pytest.raises(JWTError) as info:
        verify(sign(), jwks={"keys": [ec]})
    assert info.value.error == "alg_key_mismatch"


def test_key_alg_must_match(sign: Sign, keys: Keys, verify: Verify) -> None:
    """A JWK declared for RS512 does not verify an RS256 token."""
    jwk = {**keys.public_jwk, "alg": "RS512"}
    with pytest.raises(JWTError) as info:
        verify(sign(), jwks=[jwk])
    assert info.value.error == "alg_key_mismatch"


def test_expired_rejected_with_leeway(sign: Sign, keys: Keys, verify: Verify) -> None:
    """exp in the past beyond the leeway fails as expired; within the leeway it passes."""
    now = time.time()
    token = sign(default_claims(exp=int(now) - 20))
    assert verify(token, jwks=keys.jwks, leeway=30, now=now)
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks, leeway=5, now=now)
    assert info.value.error == "expired"


def test_nbf_in_future_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """nbf beyond the leeway fails as not_yet_valid."""
    now = time.time()
    with pytest.raises(JWTError) as info:
        verify(sign(default_claims(nbf=int(now) + 600)), jwks=keys.jwks, now=now)
    assert info.value.error == "not_yet_valid"


def test_missing_exp_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """exp is required by default."""
    claims = default_claims()
    del claims["exp"]
    with pytest.raises(JWTError) as info:
        verify(sign(claims), jwks=keys.jwks)
    assert info.value.error == "missing_claim"


def test_wrong_issuer_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """An iss from another environment fails as invalid_issuer."""
    with pytest.raises(JWTError) as info:
        verify(sign(), jwks=keys.jwks, issuer="https://auth.pingone.eu/other/as")
    assert info.value.error == "invalid_issuer"


def test_wrong_audience_rejected(sign: Sign, keys: Keys, verify: Verify) -> None:
    """An aud that does not include ours fails as invalid_audience."""
    with pytest.raises(JWTError) as info:
        verify(sign(), jwks=keys.jwks, audience="https://my-api.example.com")
    assert info.value.error == "invalid_audience"


def test_jwks_fetched_once_and_cached(sign: Sign, jwks_route: respx.Route, verify: Verify) -> None:
    """verify_jwt with a JWKSCache fetches the JWKS once for many tokens."""
    cache = JWKSCache(JWKS_URL)
    for _ in range(5):
        verify(sign(), jwks=cache, issuer=ISSUER)
    assert jwks_route.call_count == 1


def test_unknown_kid_flood_is_rate_limited(
    sign: Sign, jwks_route: respx.Route, verify: Verify
) -> None:
    """200 tokens with unknown kids cause one refetch, not 200 (counted requests)."""
    now = [0.0]
    cache = JWKSCache(JWKS_URL, min_refresh_interval=60, clock=lambda: now[0])
    verify(sign(), jwks=cache)
    assert jwks_route.call_count == 1
    errors = []
    for i in range(200):
        with pytest.raises(JWTError) as info:
            verify(sign(kid=f"bad-{i}"), jwks=cache)
        errors.append(info.value.error)
    assert set(errors) == {"unknown_kid"}
    assert jwks_route.call_count == 1  # fetched < 60 s ago: no refetch at all
    now[0] = 61.0
    for i in range(200):
        with pytest.raises(JWTError):
            verify(sign(kid=f"bad2-{i}"), jwks=cache)
    assert jwks_route.call_count == 2  # exactly one refetch per interval


def test_unknown_kid_flood_threads_single_fetch(sign: Sign, keys: Keys, verify: Verify) -> None:
    """16 threads with unknown kids after the interval cause exactly one refetch."""
    now = [0.0]
    calls = []
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            calls.append(1)
        time.sleep(0.01)  # widen the race window a little
        return httpx.Response(200, json=keys.jwks)

    cache = JWKSCache(
        JWKS_URL,
        transport=httpx.MockTransport(handler),
        min_refresh_interval=60,
        clock=lambda: now[0],
    )
    cache.keys()
    now[0] = 100.0
    tokens = [sign(kid=f"x{i}") for i in range(16)]
    barrier = threading.Barrier(16)
    outcomes: list[str | None] = []

    def worker(tok: str) -> None:
        barrier.wait()
        try:
            verify(tok, jwks=cache)
        except JWTError as exc:
            with lock:
                outcomes.append(exc.error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert outcomes == ["unknown_kid"] * 16
    assert len(calls) == 2


def test_key_rotation_picked_up(sign: Sign, keys: Keys, verify: Verify) -> None:
    """A new kid that appears in the JWKS is found by the one allowed refetch."""
    now = [0.0]
    served = [{"keys": []}]
    route_keys = {"keys": [keys.public_jwk]}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=served[0])

    cache = JWKSCache(JWKS_URL, transport=httpx.MockTransport(handler), clock=lambda: now[0])
    cache.keys()
    served[0] = route_keys
    now[0] = 120.0
    assert verify(sign(), jwks=cache)["iss"] == ISSUER
    assert cache.fetch_count == 2


def test_jwks_from_issuer_discovery(sign: Sign, keys: Keys, verify: Verify) -> None:
    """issuer= alone discovers jwks_uri from the OIDC discovery document."""
    with respx.mock() as router:
        disc = router.get(f"{ISSUER}/.well-known/openid-configuration").respond(
            200, json={"issuer": ISSUER, "jwks_uri": JWKS_URL, "token_endpoint": f"{ISSUER}/token"}
        )
        jw = router.get(JWKS_URL).respond(200, json=keys.jwks)
        cache = JWKSCache(issuer=ISSUER)
        assert verify(sign(), jwks=cache, issuer=ISSUER)["iss"] == ISSUER
    assert disc.call_count == 1
    assert jw.call_count == 1


def test_jwks_unavailable(sign: Sign, verify: Verify) -> None:
    """A JWKS endpoint answering 500 gives jwks_unavailable."""
    with respx.mock() as router:
        router.get(JWKS_URL).respond(500)
        with pytest.raises(JWTError) as info:
            verify(sign(), jwks=JWKSCache(JWKS_URL))
    assert info.value.error == "jwks_unavailable"


def test_verify_needs_keys(sign: Sign, verify: Verify) -> None:
    """Without jwks/jwks_url/issuer the error says what to pass."""
    with pytest.raises(JWTError, match="jwks="):
        verify(sign())


def test_errors_do_not_contain_token(sign: Sign, keys: Keys, verify: Verify) -> None:
    """No verification error message or repr contains the token or its signature."""
    token = sign(kid="nope")
    with pytest.raises(JWTError) as info:
        verify(token, jwks=keys.jwks)
    for text in (str(info.value), repr(info.value)):
        assert token not in text
        assert token.split(".")[2][:16] not in text


# --- a failed JWKS fetch backs off briefly and says "JWKS unavailable" --------------------


def _flaky_jwks(keys: Keys, failures: int) -> tuple[httpx.MockTransport, list[int]]:
    """A JWKS endpoint that answers 503 ``failures`` times, then the JWKS; counts requests."""
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) <= failures:
            return httpx.Response(503)
        return httpx.Response(200, json=keys.jwks)

    return httpx.MockTransport(handler), calls


def test_first_jwks_fetch_failing_once_is_retried_after_a_short_backoff(
    sign: Sign, keys: Keys, verify: Verify
) -> None:
    """The first fetch fails once: callers get jwks_unavailable (never unknown_kid), a flood
    of them inside the 1 s backoff makes no request, and after it the valid token verifies
    (it used to fail as "unknown kid … refetch suppressed" for the whole 60 s interval)."""
    now = [0.0]
    transport, calls = _flaky_jwks(keys, failures=1)
    cache = JWKSCache(JWKS_URL, transport=transport, clock=lambda: now[0])
    errors = []
    for _ in range(50):
        with pytest.raises(JWTError) as info:
            verify(sign(), jwks=cache, issuer=ISSUER)
        errors.append(info.value)
    assert {e.error for e in errors} == {"jwks_unavailable"}
    assert "JWKS unavailable" in str(errors[0])
    assert len(calls) == 1  # backing off: one request for 50 verifications
    now[0] = 1.0
    assert verify(sign(), jwks=cache, issuer=ISSUER)["iss"] == ISSUER
    assert len(calls) == 2


def test_failed_refetch_reports_unavailable_and_backs_off(
    sign: Sign, keys: Keys, verify: Verify
) -> None:
    """Keys cached, then the JWKS endpoint goes down: a known kid still verifies from the
    cache, an unknown kid is reported as jwks_unavailable (we could not look), the retry
    backs off 1 s, 2 s … and the next successful fetch clears it."""
    now = [0.0]
    state = {"down": False}
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if state["down"]:
            return httpx.Response(503)
        return httpx.Response(200, json=keys.jwks)

    cache = JWKSCache(JWKS_URL, transport=httpx.MockTransport(handler), clock=lambda: now[0])
    assert verify(sign(), jwks=cache, issuer=ISSUER)["iss"] == ISSUER
    state["down"] = True
    now[0] = 100.0  # past min_refresh_interval: an unknown kid may refetch
    for _ in range(20):
        with pytest.raises(JWTError) as info:
            verify(sign(kid="rotated"), jwks=cache)
        assert info.value.error == "jwks_unavailable"
    assert len(calls) == 2  # one failed refetch; the rest wait for its backoff
    assert verify(sign(), jwks=cache, issuer=ISSUER)["iss"] == ISSUER  # cached kid: fine
    now[0] = 101.0
    with pytest.raises(JWTError, match="JWKS unavailable"):
        verify(sign(kid="rotated"), jwks=cache)
    assert len(calls) == 3  # second failure: next try in 2 s
    now[0] = 102.5
    with pytest.raises(JWTError, match="JWKS unavailable"):
        verify(sign(kid="rotated"), jwks=cache)
    assert len(calls) == 3
    state["down"] = False
    now[0] = 103.0
    with pytest.raises(JWTError) as info:
        verify(sign(kid="rotated"), jwks=cache)
    assert info.value.error == "unknown_kid"  # the JWKS answered: the kid really is unknown
    assert len(calls) == 4
