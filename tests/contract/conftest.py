"""Fixtures of the behaviour tests: an emulator and a client that speaks to it over HTTP
(the emulator's httpx transport), with checks that error bodies are PingOne's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from httpx_pingone_worker.emulator import PingOneEmulator

from .spec_support import OFFICIAL, SDK, errors


@dataclass
class Api:
    """A bearer-authenticated client on the emulator's seeded environment."""

    emu: PingOneEmulator
    client: httpx.Client

    @property
    def env(self) -> str:
        return f"{self.emu.api_base_url}/environments/{self.emu.environment_id}"

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        url = path if path.startswith("http") else f"{self.env}{path}"
        return self.client.request(method, url, **kw)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.call("GET", path, **kw)

    def ok(self, method: str, path: str, **kw: Any) -> Any:
        """The JSON of a 2xx answer (fails the test otherwise)."""
        r = self.call(method, path, **kw)
        assert r.is_success, f"{method} {path} -> {r.status_code} {r.text}"
        return r.json() if r.content else None

    def create_user(self, username: str, **attrs: Any) -> dict[str, Any]:
        body = {"username": username, "email": f"{username}@example.com", **attrs}
        created: dict[str, Any] = self.ok("POST", "/users", json=body)
        return created

    def all(self, path: str, name: str, **params: str) -> list[dict[str, Any]]:
        """Every item of a collection, following next links."""
        out: list[dict[str, Any]] = []
        url: str | None = path
        kw: dict[str, Any] = {"params": params}
        while url:
            page = self.ok("GET", url, **kw)
            out += page["_embedded"][name]
            url = page["_links"].get("next", {}).get("href")
            kw = {}
        return out


def user_errors(user: Any) -> list[str]:
    """Violations of the spec's `User` schema, except its `email` requirement: Ping's
    "Create User" page requires only `username`, and `null` clears `email` (DECISIONS.md)."""
    return [e for e in errors(SDK, "User", user) if "'email' is a required" not in e]


def assert_pingone_error(
    r: httpx.Response, status: int, code: str, detail: str | None = None
) -> list[dict[str, Any]]:
    """``r`` is PingOne's error body for ``status`` (the official spec's ApiErrorResponse)
    with ``code`` and, when given, a detail with code ``detail``; returns the details."""
    assert r.status_code == status, r.text
    body = r.json()
    assert not errors(OFFICIAL, f"com.pingidentity.ApiErrorResponse.{status}", body), body
    assert body["code"] == code, body
    details: list[dict[str, Any]] = body.get("details", [])
    if detail is not None:
        assert detail in {d["code"] for d in details}, body
    return details


@pytest.fixture
def api() -> Iterator[Api]:
    emu = PingOneEmulator(users=30, roles=["Environment Admin", "Identity Data Admin"])
    token = emu.issue_token().get_secret_value()
    with httpx.Client(
        transport=emu.transport(), headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield Api(emu, client)


@pytest.fixture(scope="module")
def shared_api() -> Iterator[Api]:
    """One emulator for a module's property tests (they only read)."""
    emu = PingOneEmulator(users=20)
    token = emu.issue_token().get_secret_value()
    with httpx.Client(
        transport=emu.transport(), headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield Api(emu, client)
