"""Paging against servers whose next links never end or loop."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
from fuzz_support import library_error, raises_library_error
from hypothesis import given
from hypothesis import strategies as st

from httpx_pingone_worker import ManagementApiError, PingOneClient

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
BASE = "https://api.pingone.com/v1"
FIRST = f"{BASE}/environments/{ENV}/users"


def _client(handler: object) -> PingOneClient:
    return PingOneClient(
        token="t",
        environment_id=ENV,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        retry=False,
        rate_limiter=False,
    )


def _page(i: int, nxt: str | None) -> httpx.Response:
    doc: dict[str, object] = {"_embedded": {"users": [{"id": f"u{i}"}]}, "count": 10**9}
    if nxt:
        doc["_links"] = {"next": {"href": nxt}}
    return httpx.Response(200, json=doc)


@given(max_pages=st.integers(min_value=1, max_value=30), style=st.sampled_from(["cursor", "path"]))
def test_endless_next_links_stop_at_the_page_cap(max_pages: int, style: str) -> None:
    """A server whose next link changes forever: paging stops after max_pages, clearly."""
    fetched = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetched
        fetched += 1
        assert fetched <= max_pages + 1, "paging did not stop at the cap"
        nxt = f"{FIRST}?cursor=c{fetched}" if style == "cursor" else f"{FIRST}/p{fetched}"
        return _page(fetched, nxt)

    with _client(handler) as client:
        items: list[object] = []

        def drain() -> None:
            items.extend(client.paginate("/environments/{env}/users", max_pages=max_pages))

        err = raises_library_error(drain, ManagementApiError)
    assert fetched == max_pages
    assert len(items) == max_pages
    assert str(max_pages) in err.message
    assert "max_pages" in str(err)


def test_the_default_page_cap_is_finite() -> None:
    """Without max_pages, an endless server still ends in ManagementApiError (counted)."""
    fetched = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal fetched
        fetched += 1
        assert fetched <= 20_001, "no default page cap"
        return _page(fetched, f"{FIRST}?cursor=c{fetched}")

    with _client(handler) as client:
        raises_library_error(
            lambda: sum(1 for _ in client.pages("/environments/{env}/users")), ManagementApiError
        )
    assert fetched > 1


@pytest.mark.parametrize(
    "first_next",
    [FIRST, f"{FIRST}?limit=100"],
    ids=["same-url", "same-url-with-params"],
)
def test_a_next_link_back_to_the_first_page_yields_no_page_twice(first_next: str) -> None:
    """next → the first page's URL: the first page is neither fetched nor yielded twice."""
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return _page(len(urls), first_next)

    params = {"limit": 100} if "limit" in first_next else None
    with _client(handler) as client:
        items = list(client.paginate("/environments/{env}/users", params=params))
    assert [i["id"] for i in items] == ["u1"]
    assert len(urls) == 1, urls


@given(
    cycle=st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=12),
)
def test_next_links_that_cycle_never_repeat_a_page(cycle: list[int]) -> None:
    """Any sequence of next links among a few URLs: no URL is fetched twice, paging ends."""
    targets = [FIRST] + [f"{FIRST}?cursor=k{i}" for i in range(1, 6)]
    fetched: Counter[str] = Counter()
    step = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal step
        fetched[str(request.url)] += 1
        nxt = targets[cycle[step % len(cycle)]]
        step += 1
        return _page(step, nxt)

    with _client(handler) as client:
        library_error(
            lambda: list(client.paginate("/environments/{env}/users")), ManagementApiError
        )
    assert fetched
    assert max(fetched.values()) == 1, fetched
