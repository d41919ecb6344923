"""The library's own PingOneWorkerAuth and PingOneClient against the emulator, unmodified."""

from __future__ import annotations

import httpx
import pytest
from jose import jwt as jose_jwt

from httpx_pingone_worker import PingOneClient, PingOneWorkerAuth
from httpx_pingone_worker.credentials._credentials import AUTH_METHODS
from httpx_pingone_worker.emulator import PingOneEmulator


def _auth(emu: PingOneEmulator, method: str, **kw: object) -> PingOneWorkerAuth:
    creds = emu.credentials
    return PingOneWorkerAuth(
        creds.client_id,
        creds.client_secret,
        creds.environment_id,
        region=creds.region,
        auth_method=method,
        private_key=creds.private_key,
        key_id=creds.key_id,
        clock=emu.clock,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("method", AUTH_METHODS)
def test_worker_auth_over_transport(method: str) -> None:
    """PingOneWorkerAuth gets a token (each auth method) and calls the API, token reused."""
    emu = PingOneEmulator(users=5, auth_method=method)
    auth = _auth(emu, method)
    with httpx.Client(auth=auth, transport=emu.transport()) as client:
        for _ in range(3):
            r = client.get(f"{emu.api_base_url}/environments/{emu.environment_id}/users")
            assert r.status_code == 200
            assert r.json()["count"] == 5
    assert emu.token_requests == 1
    assert {rec.auth_method for rec in emu.requests if rec.endpoint == "token"} == {method}


def test_worker_auth_over_https_server() -> None:
    """Pointed at the HTTPS server with auth_base_url, the same code works over real TLS."""
    emu = PingOneEmulator(users=3)
    with emu.serve() as server:
        auth = _auth(emu, "client_secret_basic", auth_base_url=server.auth_base_url)
        with httpx.Client(auth=auth, verify=server.ssl_context) as client:
            r = client.get(f"{server.api_base_url}/environments/{emu.environment_id}")
            assert r.status_code == 200
            assert r.json()["id"] == emu.environment_id
        token = auth.current_token
        assert token is not None
        claims = jose_jwt.get_unverified_claims(token.access_token.get_secret_value())
        assert claims["iss"] == server.issuer()


def test_worker_auth_refreshes_after_clock_advance() -> None:
    """Advancing the shared clock past expiry makes the auth fetch a new token."""
    emu = PingOneEmulator(users=0, token_lifetime=600)
    auth = _auth(emu, "client_secret_basic")
    url = f"{emu.api_base_url}/environments/{emu.environment_id}"
    with httpx.Client(auth=auth, transport=emu.transport()) as client:
        assert client.get(url).status_code == 200
        emu.clock.advance(601)
        assert client.get(url).status_code == 200
    assert emu.token_requests == 2


def test_pingone_client_paginates_all_users() -> None:
    """PingOneClient.paginate follows the emulator's cursors through every user once."""
    emu = PingOneEmulator(users=250)
    auth = _auth(emu, "client_secret_basic")
    with PingOneClient(
        auth=auth, environment_id=emu.environment_id, transport=emu.transport()
    ) as client:
        ids = [u["id"] for u in client.paginate("/environments/{env}/users", params={"limit": 60})]
        assert client.get_environment().id == emu.environment_id
    assert len(ids) == len(set(ids)) == 250
