"""The documentation site's reference keeps up with the public API.

``mkdocs build --strict`` (``tox -e docs``) renders what the pages name; these tests make sure
the pages name everything public, by its public path, so a new export cannot go undocumented.
"""

from __future__ import annotations

import re

import pytest

import httpx_pingone_worker
import pytest_pingone
from httpx_pingone_worker import emulator
from markdown_blocks import ROOT

REFERENCE = ROOT / "docs" / "reference"


def _documented(page: str) -> list[str]:
    text = (REFERENCE / page).read_text(encoding="utf-8")
    return re.findall(r"^::: ([\w.]+)$", text, flags=re.MULTILINE)


@pytest.mark.parametrize(
    ("page", "module"),
    [
        ("api.md", httpx_pingone_worker),
        ("emulator.md", emulator),
        ("pytest-plugin.md", pytest_pingone),
    ],
)
def test_every_public_name_has_a_reference_entry(page: str, module: object) -> None:
    """Each name of the module's ``__all__`` is rendered on its page, exactly once."""
    name = module.__name__  # type: ignore[attr-defined]
    entries = [e for e in _documented(page) if e != name]
    expected = sorted(f"{name}.{n}" for n in module.__all__)  # type: ignore[attr-defined]
    assert sorted(entries) == expected


def test_reference_uses_public_paths_only() -> None:
    """No page points at a private module (those move; the public names do not)."""
    for page in REFERENCE.glob("*.md"):
        for entry in _documented(page.name):
            assert not any(
                part.startswith("_") and part != "__version__" for part in entry.split(".")
            ), (
                page.name,
                entry,
            )
