"""PingOneWorkerAuth against the offline PingOne emulator (every auth method, faults, expiry)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from httpx_pingone_worker import PingOneWorkerAuth, TokenRequestError
from httpx_pingone_worker.emulator import PingOneEmulator


def _auth(emu: PingOneEmulator, **kw: object) -> PingOneWorkerAuth:
    creds = emu.credentials
    return PingOneWorkerAuth(
        creds.client_id,
        creds.client_secret,
        creds.environment_id,
        auth_method=creds.auth_method,
        private_key=creds.private_key,
        key_id=creds.key_id,
        clock=emu.clock.now,
        sleep=emu.clock.advance,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "method", ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]
)
def test_every_auth_method_gets_a_token_the_api_accepts(method: str) -> None:
    """Each client auth method is accepted by the emulator's token endpoint and API."""
    emu = PingOneEmulator(auth_method=method)
    auth = _auth(emu)
    with httpx.Client(auth=auth, transport=emu.transport()) as client:
        for _ in range(3):
            response = client.get(f"{emu.api_base_url}/environments/{emu.environment_id}")
            assert response.status_code == 200
    assert emu.token_requests == 1


def test_wrong_auth_method_is_invalid_client() -> None:
    """A method the app is not configured for gives invalid_client, not retried."""
    emu = PingOneEmulator(auth_method="client_secret_basic")
    creds = emu.credentials
    auth = PingOneWorkerAuth(
        creds.client_id,
        creds.client_secret,
        creds.environment_id,
        auth_method="client_secret_post",
        clock=emu.clock.now,
    )
    with (
        httpx.Client(auth=auth, transport=emu.transport()) as client,
        pytest.raises(TokenRequestError) as info,
    ):
        client.get(f"{emu.api_base_url}/environments/{emu.environment_id}")
    assert info.value.error == "invalid_client"
    assert emu.token_requests == 1


def test_expired_tokens_get_one_new_token_and_a_resend() -> None:
    """When the emulator revokes tokens, a 401 leads to one new token and one resend."""
    emu = PingOneEmulator()
    auth = _auth(emu)
    url = f"{emu.api_base_url}/environments/{emu.environment_id}"
    with httpx.Client(auth=auth, transport=emu.transport()) as client:
        assert client.get(url).status_code == 200
        emu.expire_tokens()
        assert client.get(url).status_code == 200
    assert emu.token_requests == 2


def test_rate_limited_token_endpoint_is_retried_after_retry_after() -> None:
    """A 429 with Retry-After from the emulator is waited out on the emulator clock."""
    emu = PingOneEmulator()
    emu.inject_fault(endpoint="token", kind="rate_limit", count=1, retry_after=3)
    auth = _auth(emu)
    start = emu.clock.now()
    with httpx.Client(auth=auth, transport=emu.transport()) as client:
        url = f"{emu.api_base_url}/environments/{emu.environment_id}"
        assert client.get(url).status_code == 200
    assert emu.token_requests == 2
    assert emu.clock.now() - start >= 3


def test_async_client_with_emulator_transport() -> None:
    """The async flow works against the emulator transport with one token for 50 tasks."""
    emu = PingOneEmulator()
    auth = _auth(emu)
    url = f"{emu.api_base_url}/environments/{emu.environment_id}"

    async def main() -> set[int]:
        async with httpx.AsyncClient(auth=auth, transport=emu.transport()) as client:
            responses = await asyncio.gather(*[client.get(url) for _ in range(50)])
        return {r.status_code for r in responses}

    assert asyncio.run(main()) == {200}
    assert emu.token_requests == 1
