"""introspect_token (sync): RFC 7662 over respx, all four client auth methods."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    Introspection,
    IntrospectionError,
    introspect_token,
)

URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/introspect"


def creds(method: str = "client_secret_basic", **kw: object) -> ClientCredentials:
    """Canary credentials with the given auth method."""
    return ClientCredentials(
        CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method=method, **kw
    )  # type: ignore[arg-type]


def form_of(request: httpx.Request) -> dict[str, str]:
    """The request's form body as a dict."""
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


ACTIVE = {
    "active": True,
    "client_id": CANARY_CLIENT_ID,
    "scope": "p1:read:user openid",
    "exp": 2000000000,
    "iat": 1999996400,
    "iss": f"https://auth.pingone.com/{CANARY_ENV_ID}/as",
    "aud": ["https://api.pingone.com"],
    "token_type": "Bearer",
    "env": CANARY_ENV_ID,
}


@pytest.fixture
def introspect() -> Iterator[respx.Route]:
    """The introspection endpoint answering an active token."""
    with respx.mock(assert_all_called=False) as router:
        yield router.post(URL).respond(200, json=ACTIVE)


def test_active_token(introspect: respx.Route) -> None:
    """An active token's fields are parsed; the token is posted as form field 'token'."""
    result = introspect_token(URL, CANARY_TOKEN, creds())
    assert isinstance(result, Introspection)
    assert result.active is True
    assert result.client_id == CANARY_CLIENT_ID
    assert result.scopes == {"p1:read:user", "openid"}
    assert result.aud == ("https://api.pingone.com",)
    assert result.exp == 2000000000
    assert result.expires_in(now=1999999000) == 1000
    sent = introspect.calls.last.request
    assert form_of(sent)["token"] == CANARY_TOKEN
    assert form_of(sent)["token_type_hint"] == "access_token"


def test_inactive_token() -> None:
    """{"active": false} yields active=False with nothing else."""
    with respx.mock() as router:
        router.post(URL).respond(200, json={"active": False})
        result = introspect_token(URL, CANARY_TOKEN, creds())
    assert result.active is False
    assert result.scopes == frozenset()
    assert result.client_id is None


def test_requested_vs_granted_scopes(introspect: respx.Route) -> None:
    """Requested scopes are compared with the granted ones."""
    result = introspect_token(
        URL, CANARY_TOKEN, creds(), requested_scopes="p1:read:user p1:update:user"
    )
    assert result.missing_scopes == {"p1:update:user"}
    assert result.extra_scopes == {"openid"}
    assert not result.scopes_match
    assert "missing: p1:update:user" in result.scope_summary()


def test_requested_scopes_default_to_credentials(introspect: respx.Route) -> None:
    """Without requested_scopes the credentials' scopes are compared."""
    result = introspect_token(URL, CANARY_TOKEN, creds(scopes="openid"))
    assert result.requested_scopes == {"openid"}
    assert result.scopes_match


def test_client_secret_basic(introspect: respx.Route) -> None:
    """client_secret_basic sends an Authorization: Basic header and no secret in the form."""
    introspect_token(URL, CANARY_TOKEN, creds("client_secret_basic"))
    sent = introspect.calls.last.request
    scheme, value = sent.headers["Authorization"].split(" ", 1)
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == f"{CANARY_CLIENT_ID}:{CANARY_SECRET}"
    assert "client_secret" not in form_of(sent)


def test_client_secret_post(introspect: respx.Route) -> None:
    """client_secret_post puts client_id and client_secret in the form."""
    introspect_token(URL, CANARY_TOKEN, creds("client_secret_post"))
    form = form_of(introspect.calls.last.request)
    assert form["client_id"] == CANARY_CLIENT_ID
    assert form["client_secret"] == CANARY_SECRET
    assert "Authorization" not in introspect.calls.last.request.headers


def test_client_secret_jwt(introspect: respx.Route) -> None:
    """client_secret_jwt sends an HS256 assertion whose aud is the introspection URL."""
    from jose import jwt

    introspect_token(URL, CANARY_TOKEN, creds("client_secret_jwt"))
    form = form_of(introspect.calls.last.request)
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    claims = jwt.decode(form["client_assertion"], CANARY_SECRET, algorithms=["HS256"], audience=URL)
    assert claims["iss"] == claims["sub"] == CANARY_CLIENT_ID


def test_private_key_jwt(introspect: respx.Route) -> None:
    """private_key_jwt sends an RS256 assertion with the kid, verifiable with the public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jose import jwt

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pub = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    c = ClientCredentials(
        CANARY_CLIENT_ID,
        None,
        CANARY_ENV_ID,
        auth_method="private_key_jwt",
        private_key=pem,
        key_id="k1",
    )
    introspect_token(URL, CANARY_TOKEN, c)
    form = form_of(introspect.calls.last.request)
    assert jwt.get_unverified_header(form["client_assertion"])["kid"] == "k1"
    claims = jwt.decode(form["client_assertion"], pub, algorithms=["RS256"], audience=URL)
    assert claims["sub"] == CANARY_CLIENT_ID


def test_url_derived_from_credentials(introspect: respx.Route) -> None:
    """url=None uses PingOne's /as/introspect of the credentials' environment and region."""
    assert introspect_token(None, CANARY_TOKEN, creds()).active
    assert introspect.called


def test_invalid_client_error() -> None:
    """401 invalid_client raises IntrospectionError with the OAuth error and a hint."""
    with respx.mock() as router:
        router.post(URL).respond(
            401,
            json={
                "error": "invalid_client",
                "error_description": "Unsupported authentication method",
            },
            headers={"Correlation-Id": "corr-9"},
        )
        with pytest.raises(IntrospectionError) as info:
            introspect_token(URL, CANARY_TOKEN, creds())
    err = info.value
    assert err.error == "invalid_client"
    assert err.status_code == 401
    assert err.correlation_id == "corr-9"
    assert "auth_method" in (err.hint or "")


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, b"<html>not json</html>"), (200, b'{"scope": "x"}'), (200, b"[1]")],
)
def test_malformed_responses(status: int, body: bytes) -> None:
    """A non-JSON body, a missing 'active' and a non-object are IntrospectionErrors."""
    with respx.mock() as router:
        router.post(URL).respond(status, content=body)
        with pytest.raises(IntrospectionError):
            introspect_token(URL, CANARY_TOKEN, creds())


def test_network_error() -> None:
    """A connect error becomes IntrospectionError naming the type only."""
    with respx.mock() as router:
        router.post(URL).mock(side_effect=httpx.ConnectError("boom"))
        with pytest.raises(IntrospectionError, match="ConnectError"):
            introspect_token(URL, CANARY_TOKEN, creds())


def test_insecure_url_rejected() -> None:
    """An http:// introspection URL for a public host is refused before sending."""
    with pytest.raises(Exception, match="plain http"):
        introspect_token("http://auth.example.com/as/introspect", CANARY_TOKEN, creds())


def test_canary(introspect: respx.Route, debug_logs: pytest.LogCaptureFixture) -> None:
    """No secret or token appears in logs, results, reprs or errors."""
    result = introspect_token(URL, CANARY_TOKEN, creds("client_secret_post"))
    texts = [repr(result), str(result)]
    introspect.respond(400, json={"error": "invalid_request", "error_description": CANARY_TOKEN})
    with pytest.raises(IntrospectionError) as info:
        introspect_token(URL, CANARY_TOKEN, creds())
    texts.append(info.value.error_description or "")
    texts += [str(info.value), repr(info.value)]
    texts += [r.getMessage() for r in debug_logs.records]
    for text in texts:
        assert_no_canary(text)
