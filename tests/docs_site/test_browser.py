"""The built site in a real browser: headless Chromium (Debian's ``chromium`` package) loads
the home page, the ``PingOneWorkerAuth`` reference, the console reference and the pages with
diagrams from a local server, and nothing goes wrong that a reader would see: no console
error, no failed or outside request, no raw markup, every picture drawn.

``tox -e docs`` runs it (``.ci/run`` installs chromium); elsewhere it skips without chromium.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from headless_chromium import Browser, PageReport, find_chromium
from test_site import RAW_ROLE, REST

PAGES = {
    "home": "/",
    "api": "/reference/api/",
    "cli": "/reference/cli/",
    "lifecycle": "/token-lifecycle/",
    "architecture": "/architecture/",
}
IMAGES_DRAWN = (
    "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = find_chromium()
    if found is None:
        if os.environ.get("PINGONE_DOCS_REQUIRED"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def reports(chromium: str, base_url: str) -> dict[str, PageReport]:
    """Each page, loaded once."""
    found = {}
    with Browser(chromium) as browser:
        for name, path in PAGES.items():
            found[name] = browser.load(
                base_url + path,
                selector="article",
                expressions={
                    "undrawn_images": IMAGES_DRAWN,
                    "auth_heading": "(e => e ? e.getBoundingClientRect().height : 0)"
                    "(document.getElementById('httpx_pingone_worker.PingOneWorkerAuth'))",
                    "title": "document.title",
                    # The article's text outside code blocks (a >>> in a pycon block is fine).
                    "prose": "(a => { const c = a.cloneNode(true);"
                    " c.querySelectorAll('pre, code').forEach(e => e.remove());"
                    " return c.innerText; })(document.querySelector('article'))",
                },
            )
    return found


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_loads_cleanly(reports: dict[str, PageReport], page: str) -> None:
    """No console error, no exception, no failed request, no request that leaves the site,
    every image drawn, and the article has text."""
    report = reports[page]
    assert report.errors == []
    assert report.values["undrawn_images"] == []
    assert len(report.text) > 500
    assert "httpx-pingone-worker" in report.values["title"]


@pytest.mark.parametrize("page", sorted(PAGES))
def test_page_shows_no_raw_markup(reports: dict[str, PageReport], page: str) -> None:
    """What the browser shows, code blocks aside, holds no Sphinx role, reST leftover or
    >>> prompt."""
    text = reports[page].values["prose"]
    assert len(text) > 300
    assert not RAW_ROLE.findall(text)
    assert not REST.findall(text)
    assert ">>>" not in text


def test_the_auth_reference_is_rendered(reports: dict[str, PageReport]) -> None:
    """The API page shows the PingOneWorkerAuth entry (a visible heading and its text)."""
    report = reports["api"]
    assert report.values["auth_heading"] > 0
    assert "PingOne worker tokens (OAuth 2.0 client credentials)" in report.text
