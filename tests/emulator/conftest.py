"""Fixtures for the emulator tests: an emulator, and a client over each adapter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from httpx_pingone_worker.credentials._credentials import ClientCredentials
from httpx_pingone_worker.emulator import PingOneEmulator
from httpx_pingone_worker.oauth._client_auth import client_auth


@dataclass
class Harness:
    """An emulator plus a client and the base URLs that reach it over one adapter."""

    emu: PingOneEmulator
    client: httpx.Client
    auth_base: str
    api_base: str
    mode: str

    def issuer(self, env_id: str | None = None) -> str:
        return f"{self.auth_base}/{env_id or self.emu.environment_id}/as"

    def token_url(self, env_id: str | None = None) -> str:
        return f"{self.issuer(env_id)}/token"

    def token_response(
        self,
        creds: ClientCredentials | None = None,
        *,
        method: str | None = None,
        scope: str | None = None,
        endpoint: str = "token",
        extra: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST to the token (or introspect/revoke) endpoint with ``creds``' auth method."""
        creds = creds or self.emu.credentials
        url = f"{self.issuer(creds.environment_id)}/{endpoint}"
        parts = client_auth(
            method or creds.auth_method,
            client_id=creds.client_id,
            client_secret=creds.client_secret,
            audience=url,
            now=self.emu.clock.now(),
            private_key=creds.private_key,
            key_id=creds.key_id,
        )
        form: dict[str, str] = {}
        if endpoint == "token":
            form["grant_type"] = "client_credentials"
        if scope is not None:
            form["scope"] = scope
        form.update(parts.form)
        form.update(extra or {})
        return self.client.post(url, data=form, headers=parts.headers)

    def token(self, creds: ClientCredentials | None = None, **kw: Any) -> str:
        resp = self.token_response(creds, **kw)
        assert resp.status_code == 200, resp.text
        token: str = resp.json()["access_token"]
        return token

    def api(self, path: str, token: str | None, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = path if path.startswith("http") else f"{self.api_base}{path}"
        return self.client.get(url, headers=headers, **kw)

    def call(self, method: str, path: str, token: str | None, **kw: Any) -> httpx.Response:
        """Any method on the Management API (``json=``/``content=``/``headers=`` pass through)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        url = path if path.startswith("http") else f"{self.api_base}{path}"
        return self.client.request(method, url, headers=headers, **kw)

    @property
    def env_path(self) -> str:
        return f"/environments/{self.emu.environment_id}"


@pytest.fixture
def emu() -> PingOneEmulator:
    """A fresh emulator with a small directory (paging tests ask for more users)."""
    return PingOneEmulator(users=30)


@pytest.fixture(params=["transport", "server"])
def harness(request: pytest.FixtureRequest, emu: PingOneEmulator) -> Iterator[Harness]:
    """The emulator reached through the in-process transport, then through HTTPS."""
    if request.param == "transport":
        with httpx.Client(transport=emu.transport()) as client:
            yield Harness(emu, client, emu.auth_base_url, emu.api_base_url, "transport")
    else:
        with emu.serve() as server, httpx.Client(verify=server.ssl_context, timeout=5) as client:
            yield Harness(emu, client, server.auth_base_url, server.api_base_url, "server")
