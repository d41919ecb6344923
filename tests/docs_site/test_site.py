"""The built site reads as a user's documentation: no raw markup, no private names, no
pointers to files that are not on the site, no internal notes.

Each test reads every page of a fresh ``mkdocs build --strict`` (the ``site`` fixture) as
text, the way a reader sees it (``site_html.read_page``).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from site_html import Page, read_page

import httpx_pingone_worker
import pytest_pingone
from httpx_pingone_worker import emulator

#: Sphinx / reST roles: on a Markdown site they show literally (``:meth:`get_token```).
RAW_ROLE = re.compile(
    r"(?<![\w:]):(?:py:)?(?:meth|class|func|attr|mod|exc|data|obj|const|ref|term|doc|any)"
    r":"
)
#: A private name: ``_AuthBase``, ``_core._retry``, ``_seed`` (not dunders, not ``/_emulator``).
PRIVATE = re.compile(r"(?<![\w/])_(?!_)[A-Za-z]\w*")
#: Names of PingOne's JSON (HAL) that start with an underscore: public, not private.
JSON_FIELDS = {"_links", "_embedded"}
#: Internal references a reader cannot follow: design documents and issue numbers.
INTERNAL = re.compile(
    r"DESIGN\.md|PINGONE\.md|STYLE\.md|\bprinciples? \d|\b[Ii]ssues? #?\d+|\(#\d+\)"
    r"|see the module doc"
)
#: reST leftovers: table rules, directives, section underlines run into the text.
REST = re.compile(r"={4,}|-{6,}|^\.\. [\w-]+::", re.MULTILINE)


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, Page]:
    """Every page of the site by its path (``reference/api/index.html``), 404 page aside."""
    found = {
        p.relative_to(site).as_posix(): read_page(p)
        for p in sorted(site.rglob("*.html"))
        if p.name != "404.html"
    }
    assert {"index.html", "reference/api/index.html", "reference/cli/index.html"} <= set(found)
    return found


def _reference(pages: dict[str, Page]) -> dict[str, Page]:
    return {name: page for name, page in pages.items() if name.startswith("reference/")}


def test_no_raw_sphinx_roles(pages: dict[str, Page]) -> None:
    """A role the renderer does not understand shows as ``:meth:`` text: none on any page."""
    found = {
        name: sorted(set(RAW_ROLE.findall(page.prose)))
        for name, page in pages.items()
        if RAW_ROLE.search(page.prose)
    }
    assert not found, f"raw Sphinx roles on the site (write `name` or [name][path]): {found}"


def test_no_rest_leftovers(pages: dict[str, Page]) -> None:
    """No reST table rules, underlines or directives in running text."""
    found = {name: REST.findall(page.prose)[:5] for name, page in pages.items()}
    assert not {k: v for k, v in found.items() if v}


def test_doctest_examples_render_as_code(pages: dict[str, Page]) -> None:
    """A ``>>>`` example the renderer misreads becomes nested blockquotes: none anywhere."""
    found = {name: page.nested_blockquotes[:2] for name, page in pages.items()}
    assert not {k: v for k, v in found.items() if v}, "write examples as ```python fences"
    for name, page in pages.items():
        assert ">>>" not in page.prose, f"{name}: a >>> prompt outside a code block"


@pytest.mark.parametrize("kind", ["signature", "bases", "heading"])
def test_no_private_names_in_signatures_bases_or_headings(
    pages: dict[str, Page], kind: str
) -> None:
    """Rendered signatures, ``Bases:`` lines and API headings name public things only."""
    found: dict[str, set[str]] = {}
    for name, page in _reference(pages).items():
        for run in page.text_where(kind):
            found.setdefault(name, set()).update(PRIVATE.findall(run))
    assert not {k: sorted(v) for k, v in found.items() if v}


def test_no_private_names_in_reference_text(pages: dict[str, Page]) -> None:
    """The reference never sends a reader to a private module or attribute."""
    found = {
        name: sorted(set(PRIVATE.findall(page.text)) - JSON_FIELDS)
        for name, page in _reference(pages).items()
    }
    assert not {k: v for k, v in found.items() if v}


def test_table_of_contents_matches_the_headings(pages: dict[str, Page]) -> None:
    """Each entry of a page's table of contents reads like the heading it links to (a
    heading with inline code once showed another section's text in the sidebar)."""
    checked = 0
    for name, page in pages.items():
        headings = dict(page.headings)
        for anchor, text in page.toc:
            assert anchor in headings, (name, anchor)
            # A heading may carry labels after its name ("client_id property").
            assert headings[anchor].startswith(text), (name, text, headings[anchor])
            checked += 1
    assert checked > 50


def test_links_within_the_site_resolve(site: Path, pages: dict[str, Page]) -> None:
    """Every relative link of an article (docstrings' links included, which mkdocs does not
    check) reaches a file of the site, and its #anchor a heading or object there."""
    checked = 0
    for name, page in pages.items():
        here = (site / name).parent
        for href in page.links:
            if re.match(r"[a-z]+:", href):
                continue
            path, _, anchor = href.partition("#")
            target = (here / path).resolve() if path else (site / name).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), (name, href)
            if anchor and target.suffix == ".html":
                ids = re.findall(r'id="([^"]+)"', target.read_text(encoding="utf-8"))
                assert anchor in {html.unescape(i) for i in ids}, (name, href)
            checked += 1
    assert checked > 100


def test_no_page_sends_the_reader_to_the_readme(pages: dict[str, Page]) -> None:
    """The README is not on the site: a page must contain what it needs (the changelog
    records changes to the README and may name it)."""
    found = [
        name
        for name, page in pages.items()
        if name != "changelog/index.html" and re.search(r"README", page.text)
    ]
    assert not found


def test_no_internal_references(pages: dict[str, Page]) -> None:
    """No design-document names, principle numbers or issue numbers: say what is meant."""
    found = {
        name: sorted(set(INTERNAL.findall(page.text)))
        for name, page in pages.items()
        if INTERNAL.search(page.text)
    }
    assert not found


def _constants() -> list[tuple[str, str, object]]:
    """(page, anchor, value) of every public constant: plain data in an ``__all__``."""
    found = []
    for page, module in (
        ("reference/api/index.html", httpx_pingone_worker),
        ("reference/emulator/index.html", emulator),
        ("reference/pytest-plugin/index.html", pytest_pingone),
    ):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, (str, int, float, tuple, frozenset, list, dict)):
                found.append((page, f"{module.__name__}.{name}", value))
    return found


CONSTANTS = _constants()


def test_the_constants_are_found() -> None:
    """The emulator's tables of names are public constants (the next test has work)."""
    names = {anchor.rsplit(".", 1)[1] for _, anchor, _ in CONSTANTS}
    assert {"FAULT_KINDS", "ROLE_NAMES"} <= names


@pytest.mark.parametrize(("page", "anchor", "value"), CONSTANTS, ids=[a for _, a, _ in CONSTANTS])
def test_constants_show_their_values(
    pages: dict[str, Page], page: str, anchor: str, value: object
) -> None:
    """A constant's entry shows what it holds (each item or key), not the expression
    that computes it."""
    section = pages[page].section(anchor)
    items = list(value) if isinstance(value, (tuple, frozenset, list, dict)) else [value]
    missing = [item for item in items if repr(item).strip("'\"") not in section]
    assert not missing, f"{anchor}'s entry does not show {missing[:5]}"
    assert "get_args(" not in section
