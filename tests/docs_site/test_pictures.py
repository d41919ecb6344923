"""The site's pictures are true and current: the diagrams are rendered from their committed
Mermaid sources, the console pictures show what the console prints today, and the built
pages show them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from render_console import COMMANDS, capture, unpicture
from render_diagrams import OUTPUT, SOURCES, source_hash

from markdown_blocks import ROOT

DIAGRAMS = sorted(SOURCES.glob("*.mmd"))
SVG = "{http://www.w3.org/2000/svg}"


def test_there_are_diagrams() -> None:
    assert {d.stem for d in DIAGRAMS} >= {"token-lifecycle", "layers"}


@pytest.mark.parametrize("source", DIAGRAMS, ids=lambda p: p.stem)
def test_diagram_is_rendered_from_its_current_source(source: Path) -> None:
    """The SVG records the hash of the source it came from: an edited source needs
    ``python tools/render_diagrams.py``. The SVG is plain SVG (it renders as an <img>: no
    HTML labels) and shows the source's words."""
    svg = (OUTPUT / f"{source.stem}.svg").read_text(encoding="utf-8")
    text = source.read_text(encoding="utf-8")
    assert f"source sha256 {source_hash(text)}" in svg.splitlines()[0], (
        f"{source.name} changed: run python tools/render_diagrams.py"
    )
    root = ET.fromstring(svg.split("\n", 1)[1])  # noqa: S314 - our own committed file
    assert not list(root.iter(f"{SVG}foreignObject"))
    shown = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    for word in re.findall(r"\b(?:[A-Z]{4,}|\w+_\w+)\b", text):
        assert word in shown, word


def _masked(lines: list[str]) -> list[str]:
    """Lines with what changes from run to run (ids, fingerprints, times) masked."""
    out = []
    for line in lines:
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", line)
        text = re.sub(r"\b[0-9a-f]{8,16}\b", "<hex>", text)
        out.append(re.sub(r"\d", "0", text))
    return out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_console_picture_shows_what_the_console_prints(name: str) -> None:
    """The committed picture is the console's real output: rerun, it prints the same lines
    (ids, fingerprints and times aside); else run ``python tools/render_console.py``."""
    shown = unpicture((ROOT / "docs" / "assets" / f"{name}.svg").read_text(encoding="utf-8"))
    assert shown[0] == "$ " + " ".join(COMMANDS[name])
    printed = capture(COMMANDS[name])
    assert len(printed) > 20
    assert _masked(shown[1:]) == _masked(printed), "run python tools/render_console.py"


def test_pages_show_the_pictures(site: Path) -> None:
    """Each picture is on a page of the built site."""
    html = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    for picture in [
        *(f"diagrams/{d.stem}.svg" for d in DIAGRAMS),
        "console-demo.svg",
        "console-status.svg",
    ]:
        assert (site / "assets" / picture).is_file(), picture
        assert re.search(rf'<img [^>]*src="[^"]*assets/{re.escape(picture)}"', html), picture
