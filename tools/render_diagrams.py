"""Render the documentation's diagrams (``tools/diagrams/*.mmd``, Mermaid) to SVG files in
``docs/assets/diagrams/``, committed beside the pages that show them.

The site then shows plain SVG images: no 3.5 MB Mermaid script for every reader and no CDN
request at view time, and the build stays offline. Rendering needs what the docs check
already uses, headless Chromium (``apt-get install chromium``), plus Mermaid from the npm
registry (``npm pack mermaid@11``, or ``--mermaid PATH/mermaid.min.js``)::

    python tools/render_diagrams.py

Each SVG starts with the SHA-256 of its source; ``tests/docs_site/test_diagrams.py`` fails
when a source changed and its SVG was not rendered again.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from headless_chromium import Browser, find_chromium

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "tools" / "diagrams"
OUTPUT = ROOT / "docs" / "assets" / "diagrams"
MERMAID = "mermaid@11.17.2"  # the version the committed SVGs were rendered with
CONFIG = {
    "startOnLoad": False,
    "htmlLabels": False,
    "theme": "neutral",
    "fontFamily": "Helvetica, Arial, sans-serif",
    "flowchart": {"htmlLabels": False, "curve": "basis"},
    "state": {"htmlLabels": False},
}


def source_hash(text: str) -> str:
    """The hash an SVG records of the source it was rendered from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def header(name: str, text: str) -> str:
    return (
        f"<!-- Rendered by tools/render_diagrams.py from tools/diagrams/{name}; "
        f"source sha256 {source_hash(text)} -->\n"
    )


def _mermaid_js(workdir: Path) -> Path:
    done = subprocess.run(
        ["npm", "pack", MERMAID, "--silent"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    tarball = workdir / done.stdout.strip().splitlines()[-1]
    with tarfile.open(tarball) as tar:
        member = tar.getmember("package/dist/mermaid.min.js")
        data = tar.extractfile(member)
        if data is None:
            sys.exit(f"{tarball.name} has no dist/mermaid.min.js")
        target = workdir / "mermaid.min.js"
        target.write_bytes(data.read())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mermaid", type=Path, help="a mermaid.min.js (default: npm pack)")
    args = parser.parse_args(argv)
    chromium = find_chromium()
    if chromium is None:
        sys.exit("chromium not found: apt-get install chromium")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        script = args.mermaid.resolve() if args.mermaid else _mermaid_js(work)
        page = work / "render.html"
        page.write_text(
            f'<!doctype html><html><body><script src="{script.as_uri()}"></script>'
            f"<script>mermaid.initialize({json.dumps(CONFIG)});</script></body></html>",
            encoding="utf-8",
        )
        with Browser(chromium) as browser:
            browser.load(page.as_uri(), settle="typeof mermaid !== 'undefined'")
            for source in sorted(SOURCES.glob("*.mmd")):
                text = source.read_text(encoding="utf-8")
                svg = browser.evaluate(
                    f"mermaid.render('d_{source.stem.replace('-', '_')}', {json.dumps(text)})"
                    ".then(r => r.svg)"
                )
                # An opaque background: the site's dark scheme would hide dark lines.
                svg = svg.replace('style="', 'style="background-color: white; ', 1)
                out = OUTPUT / f"{source.stem}.svg"
                out.write_text(header(source.name, text) + svg + "\n", encoding="utf-8")
                print(f"{out.relative_to(ROOT)}: {len(svg):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
