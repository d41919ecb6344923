"""aintrospect_token (async) over respx, on asyncio and trio."""

from __future__ import annotations

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
