"""The documentation site's reference keeps up with the public API.

``mkdocs build --strict`` (``tox -e docs``) renders what the pages name; these tests make sure
the pages name everything public, by its public path, so a new export cannot go undocumented.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


def _pytest_output(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=False,
    )
    return done.stdout


def test_pytest_plugin_page_is_complete(tmp_path: Path) -> None:
    """The plugin's reference lists every option, ini name, fixture and marker keyword that
    pytest itself shows for the plugin, so the site needs nothing else (not the README)."""
    from pytest_pingone._markers import FAULT_KEYWORDS, MARKER_KEYWORDS

    page = (REFERENCE / "pytest-plugin.md").read_text(encoding="utf-8")
    help_text = _pytest_output("--help", cwd=tmp_path)
    group = help_text.split("PingOne fixtures", 1)[1].split("\n\n", 1)[0]
    options = set(re.findall(r"^\s+(--pingone[\w-]*)", group, flags=re.MULTILINE))
    inis = set(re.findall(r"^\s+(pingone_\w+)", help_text, flags=re.MULTILINE))
    fixtures = set(
        re.findall(r"^(pingone_\w+)", _pytest_output("--fixtures", cwd=tmp_path), re.MULTILINE)
    )
    assert len(options) >= 4
    assert len(inis) >= 6
    assert len(fixtures) >= 10
    for option in sorted(options):
        assert re.search(rf"`{re.escape(option)}[`=]", page), option
    for name in sorted(inis | fixtures):
        # The secret ini names are documented as refused, by name.
        assert f"`{name}`" in page, name
    for keyword in (*MARKER_KEYWORDS, *FAULT_KEYWORDS):
        assert f"`{keyword}`" in page, keyword
    assert "README" not in page


#: A Sphinx role (``:meth:`x```) or a reST literal-block marker: the site renders docstrings as
#: Markdown, where these show as raw text.
SPHINX_ROLE = re.compile(r":(?:py:)?(?:meth|class|func|attr|mod|exc|data|obj|const):`")


def test_docstrings_use_markdown_not_sphinx_roles() -> None:
    """Docstrings of src/ write ``name`` or a cross-reference ``[`name`][pkg.name]``, never a
    Sphinx role; examples are fenced code blocks, not ``>>>`` prompts."""
    import ast

    found = []
    for path in sorted((ROOT / "src").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                # A >>> prompt is fine inside a fenced (```pycon) block, not as reST doctest.
                text = re.sub(r"```.*?```", "", node.value, flags=re.DOTALL)
                if SPHINX_ROLE.search(text) or re.search(r"^\s*>>> ", text, re.MULTILINE):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
