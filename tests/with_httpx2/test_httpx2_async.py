"""The httpx2 adapter with async clients: AsyncPingOneClient and aget_token on httpx2."""

from __future__ import annotations

import asyncio

import pytest

httpx2 = pytest.importorskip(
    "httpx2", reason='httpx2 is not installed (pip install "httpx-pingone-worker[httpx2]")'
)

from httpx_pingone_worker import AsyncPingOneClient  # noqa: E402 - after the skip
from httpx_pingone_worker.emulator import PingOneEmulator  # noqa: E402
from httpx_pingone_worker.httpx2 import PingOneWorkerAuth  # noqa: E402


def _auth(emu: PingOneEmulator, **kw: object) -> PingOneWorkerAuth:
    c = emu.credentials
    return PingOneWorkerAuth(
        c.client_id,
        c.client_secret,
        c.environment_id,
        region=c.region,
        **kw,  # type: ignore[arg-type]
    )


def test_async_management_client_runs_on_httpx2() -> None:
    """AsyncPingOneClient with the httpx2 auth and transport uses an httpx2.AsyncClient."""
    emu = PingOneEmulator(users=3)

    async def main() -> tuple[str, int, bool]:
        async with AsyncPingOneClient(
            auth=_auth(emu), transport=emu.transport(lib=httpx2)
        ) as client:
            env = await client.get_environment()
            users = [u async for u in client.paginate("/environments/{env}/users")]
            return env.id, len(users), isinstance(client.http, httpx2.AsyncClient)

    env_id, count, is_httpx2 = asyncio.run(main())
    assert env_id == emu.environment_id
    assert count == 3
    assert is_httpx2
    assert emu.token_requests == 1


def test_aget_token_with_httpx2_client_retries_a_connect_fault() -> None:
    """aget_token() on an httpx2.AsyncClient retries an injected httpx2.ConnectError."""
    emu = PingOneEmulator(users=0)
    emu.inject_fault("token", "connect", count=1)
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def main() -> str:
        async with httpx2.AsyncClient(transport=emu.transport(lib=httpx2)) as http:
            auth = _auth(emu, async_http_client=http, async_sleep=fake_sleep)
            return (await auth.aget_token()).access_token.get_secret_value()

    assert asyncio.run(main())
    assert len(sleeps) == 1
