"""aintrospect_token (async) with all four client auth methods, over respx and the emulator."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN
from httpx_pingone_worker import ClientCredentials, IntrospectionError, aintrospect_token

pytestmark = pytest.mark.anyio
URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/introspect"


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run on asyncio and trio."""
    return str(request.param)


def creds() -> ClientCredentials:
    """Canary credentials (client_secret_basic)."""
    return ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)


async def test_async_active_and_inactive() -> None:
    """Async introspection parses active and inactive answers."""
    with respx.mock() as router:
        route = router.post(URL).mock(
            side_effect=[
                httpx.Response(
                    200, json={"active": True, "client_id": CANARY_CLIENT_ID, "scope": "a b"}
                ),
                httpx.Response(200, json={"active": False}),
            ]
        )
        first = await aintrospect_token(URL, CANARY_TOKEN, creds(), requested_scopes=["a", "c"])
        second = await aintrospect_token(URL, CANARY_TOKEN, creds())
    assert first.active
    assert first.missing_scopes == {"c"}
    assert second.active is False
    assert route.call_count == 2
    assert "Basic " in route.calls[0].request.headers["Authorization"]


async def test_async_error() -> None:
    """Async introspection maps an OAuth error to IntrospectionError."""
    with respx.mock() as router:
        router.post(URL).respond(401, json={"error": "invalid_client"})
        with pytest.raises(IntrospectionError) as info:
            await aintrospect_token(URL, CANARY_TOKEN, creds())
    assert info.value.error == "invalid_client"


def form_of(request: httpx.Request) -> dict[str, str]:
    """The request's form body as a dict."""
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def rsa_pair() -> tuple[str, str]:
    """A fresh RSA private key (PKCS8 PEM) and its public key (PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pub = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return pem, pub


async def introspect_once(credentials: ClientCredentials) -> httpx.Request:
    """Introspect the canary token with ``credentials`` over respx; return the request sent."""
    with respx.mock() as router:
        route = router.post(URL).respond(200, json={"active": True})
        assert (await aintrospect_token(URL, CANARY_TOKEN, credentials)).active
    request: httpx.Request = route.calls.last.request
    assert form_of(request)["token"] == CANARY_TOKEN
    return request


async def test_async_client_secret_basic() -> None:
    """client_secret_basic sends an Authorization: Basic header and no secret in the form."""
    sent = await introspect_once(creds())
    scheme, value = sent.headers["Authorization"].split(" ", 1)
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == f"{CANARY_CLIENT_ID}:{CANARY_SECRET}"
    assert "client_secret" not in form_of(sent)


async def test_async_client_secret_post() -> None:
    """client_secret_post puts client_id and client_secret in the form, no Authorization."""
    sent = await introspect_once(
        ClientCredentials(
            CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method="client_secret_post"
        )
    )
    form = form_of(sent)
    assert (form["client_id"], form["client_secret"]) == (CANARY_CLIENT_ID, CANARY_SECRET)
    assert "Authorization" not in sent.headers


async def test_async_client_secret_jwt() -> None:
    """client_secret_jwt sends an HS256 assertion whose aud is the introspection URL."""
    from jose import jwt

    sent = await introspect_once(
        ClientCredentials(
            CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method="client_secret_jwt"
        )
    )
    form = form_of(sent)
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    claims = jwt.decode(form["client_assertion"], CANARY_SECRET, algorithms=["HS256"], audience=URL)
    assert claims["iss"] == claims["sub"] == CANARY_CLIENT_ID
    assert "Authorization" not in sent.headers


async def test_async_private_key_jwt() -> None:
    """private_key_jwt sends an RS256 assertion with the kid, verifiable with the public key."""
    from jose import jwt

    pem, pub = rsa_pair()
    sent = await introspect_once(
        ClientCredentials(
            CANARY_CLIENT_ID,
            None,
            CANARY_ENV_ID,
            auth_method="private_key_jwt",
            private_key=pem,
            key_id="k1",
        )
    )
    form = form_of(sent)
    assert jwt.get_unverified_header(form["client_assertion"])["kid"] == "k1"
    claims = jwt.decode(form["client_assertion"], pub, algorithms=["RS256"], audience=URL)
    assert claims["sub"] == CANARY_CLIENT_ID
    assert "client_secret" not in form


@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]
)
async def test_async_emulator_accepts_each_method(method: str) -> None:
    """The emulator (which enforces the app's method) answers active, then inactive once expired."""
    from httpx_pingone_worker.emulator import PingOneEmulator

    emu = PingOneEmulator(seed=3, auth_method=method, users=0)
    token = emu.issue_token()
    async with httpx.AsyncClient(transport=emu.transport()) as http:
        active = await aintrospect_token(
            emu.introspection_endpoint, token, emu.credentials, client=http
        )
        emu.expire_tokens()
        expired = await aintrospect_token(
            emu.introspection_endpoint, token, emu.credentials, client=http
        )
    assert active.active
    assert active.client_id == emu.client_id
    assert expired.active is False
    seen = [r.auth_method for r in emu.requests if r.endpoint == "introspect"]
    assert seen == [method, method]


async def test_async_emulator_rejects_the_wrong_method() -> None:
    """An app configured for private_key_jwt refuses client_secret_basic introspection."""
    from httpx_pingone_worker.emulator import PingOneEmulator

    emu = PingOneEmulator(seed=4, auth_method="private_key_jwt", users=0)
    wrong = ClientCredentials(emu.client_id, "a-plausible-secret-value-123", emu.environment_id)
    async with httpx.AsyncClient(transport=emu.transport()) as http:
        with pytest.raises(IntrospectionError) as info:
            await aintrospect_token(
                emu.introspection_endpoint, emu.issue_token(), wrong, client=http
            )
    assert info.value.error == "invalid_client"
