"""The in-process transport under httpx.AsyncClient (asyncio and trio)."""

from __future__ import annotations

import httpx
import pytest

from httpx_pingone_worker.emulator import PingOneEmulator

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run each async test on asyncio and on trio."""
    return str(request.param)


async def _token(client: httpx.AsyncClient, emu: PingOneEmulator) -> str:
    secret = emu.credentials.client_secret
    assert secret is not None
    r = await client.post(
        emu.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(emu.client_id, secret.get_secret_value()),
    )
    assert r.status_code == 200, r.text
    token: str = r.json()["access_token"]
    return token


async def test_async_token_and_paging() -> None:
    """An AsyncClient gets a token and pages through every user exactly once."""
    emu = PingOneEmulator(users=45)
    async with httpx.AsyncClient(transport=emu.transport()) as client:
        token = await _token(client, emu)
        url: str | None = f"{emu.api_base_url}/environments/{emu.environment_id}/users?limit=10"
        ids: list[str] = []
        while url:
            body = (await client.get(url, headers={"Authorization": f"Bearer {token}"})).json()
            ids.extend(u["id"] for u in body["_embedded"]["users"])
            url = body["_links"].get("next", {}).get("href")
    assert len(ids) == len(set(ids)) == 45


async def test_async_faults() -> None:
    """Latency, connect and timeout faults behave under the async transport too."""
    emu = PingOneEmulator(users=0)
    emu.inject_fault("token", "latency", delay=0.01)
    emu.inject_fault("token", "connect")
    emu.inject_fault("token", "timeout")
    async with httpx.AsyncClient(transport=emu.transport()) as client:
        await _token(client, emu)  # latency only
        with pytest.raises(httpx.ConnectError):
            await _token(client, emu)
        with pytest.raises(httpx.ReadTimeout):
            await _token(client, emu)
        await _token(client, emu)
    assert [r.fault for r in emu.requests] == ["latency", "connect", "timeout", None]


async def test_async_unknown_host_is_connect_error() -> None:
    """The transport refuses hosts it does not serve, naming the host."""
    emu = PingOneEmulator(users=0)
    async with httpx.AsyncClient(transport=emu.transport()) as client:
        with pytest.raises(httpx.ConnectError, match=r"example\.com"):
            await client.get("https://example.com/")
