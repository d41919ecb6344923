"""Pages shorter than `limit` with a `next` link, through HTTP against the emulator.

Source: Ping's "Paging, ordering, and filtering collections": "For some requests, supported
limits are not always honored. For example, the page size limit of 200 for the
/environments/{{envID}}/users endpoint result may be smaller. When determining the number of
records returned per page, use the page size in the response rather than the requested
limit." Code that stops at the first page shorter than `limit` must fail offline as it
would online.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from httpx_pingone_worker import EmulatorError, PingOneClient, PingOneWorkerAuth
from httpx_pingone_worker.emulator import PingOneEmulator


def _client(emu: PingOneEmulator) -> httpx.Client:
    token = emu.issue_token().get_secret_value()
    return httpx.Client(transport=emu.transport(), headers={"Authorization": f"Bearer {token}"})


def _pages(client: httpx.Client, url: str, name: str) -> list[list[dict[str, Any]]]:
    pages = []
    next_url: str | None = url
    while next_url:
        body = client.get(next_url).json()
        assert body["size"] == len(body["_embedded"][name])
        pages.append(body["_embedded"][name])
        next_url = body["_links"].get("next", {}).get("href")
    return pages


def test_seeded_users_pages_hold_at_most_200() -> None:
    """The default emulator (300 users) answers `limit=1000` with 200 users and a `next`
    link: stopping on the short page loses 100 users; following `next` finds each once."""
    emu = PingOneEmulator()
    with _client(emu) as client:
        url = f"{emu.api_base_url}/environments/{emu.environment_id}/users?limit=1000"
        first = client.get(url).json()
        assert (first["size"], first["count"]) == (200, 300)
        assert "next" in first["_links"]
        pages = _pages(client, url, "users")
    assert [len(p) for p in pages] == [200, 100]
    ids = [u["id"] for page in pages for u in page]
    assert len(ids) == len(set(ids)) == 300


def naive_all_users(client: httpx.Client, url: str, limit: int) -> list[dict[str, Any]]:
    """Code with the bug the docs warn about: it stops at the first short page."""
    out: list[dict[str, Any]] = []
    next_url: str | None = f"{url}?limit={limit}"
    while next_url:
        body = client.get(next_url).json()
        out += body["_embedded"]["users"]
        if len(body["_embedded"]["users"]) < limit:
            break
        next_url = body["_links"].get("next", {}).get("href")
    return out


def test_code_that_stops_on_a_short_page_fails_offline() -> None:
    """With a scenario's page size of 7 and `limit=10`, the naive loop gets 7 users of 30;
    the library's client, which follows `next`, gets all 30."""
    emu = PingOneEmulator(users=30)
    emu.set_page_size(7)
    url = f"{emu.api_base_url}/environments/{emu.environment_id}/users"
    with _client(emu) as client:
        assert len(naive_all_users(client, url, 10)) == 7
        assert [len(p) for p in _pages(client, f"{url}?limit=10", "users")] == [7, 7, 7, 7, 2]
    auth = PingOneWorkerAuth(
        emu.credentials.client_id, emu.credentials.client_secret, emu.environment_id
    )
    with PingOneClient(auth=auth, transport=emu.transport(), rate_limiter=False) as typed:
        assert len(list(typed.iter_users(limit=10))) == 30


def test_page_size_for_groups_and_nesting() -> None:
    """Every paged collection can be capped: groups and a group's nesting list."""
    emu = PingOneEmulator(users=0)
    emu.set_page_size(2, collection="groups")
    with _client(emu) as client:
        url = f"{emu.api_base_url}/environments/{emu.environment_id}/groups?limit=4"
        assert [len(p) for p in _pages(client, url, "groups")] == [2, 2, 1]
    emu.set_page_size(None, collection="groups")
    with _client(emu) as client:
        assert [len(p) for p in _pages(client, url, "groups")] == [4, 1]


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3"])
def test_page_size_checks_its_input(bad: object) -> None:
    """A page size that is not a positive int, or an unknown collection, is an EmulatorError."""
    emu = PingOneEmulator(users=0)
    with pytest.raises(EmulatorError, match="page size"):
        emu.set_page_size(bad)  # type: ignore[arg-type]
    with pytest.raises(EmulatorError, match="collection"):
        emu.set_page_size(3, collection="applications")
