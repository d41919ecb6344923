"""Terminal pictures of ``pingone-worker demo`` and ``pingone-worker status`` for the site.

Runs the two commands for real (against the built-in emulator: no tenant, no network) and
draws their output as an SVG terminal window in ``docs/assets/console-*.svg``::

    python tools/render_console.py

``tests/docs_site/test_console_pictures.py`` runs the commands again and fails when the
pictures no longer match what the console prints (times, ids and fingerprints aside): run
this script after changing the console's output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "assets"
#: picture name → the command line it shows
COMMANDS = {
    "console-demo": ["pingone-worker", "demo"],
    "console-status": ["pingone-worker", "status", "--emulator"],
}
FONT_SIZE = 13
CHAR_WIDTH = 8.0  # a 13 px monospace font is about 7.8 px wide: a little room
LINE_HEIGHT = 17
PAD = 16
TITLE = 30
COLORS = {"text": "#d4d4d4", "prompt": "#6a9955", "step": "#569cd6", "ok": "#4ec9b0"}


def capture(argv: list[str]) -> list[str]:
    """The command's stdout, as lines, run in a clean settings environment."""
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PINGONE_")}
        env.update(
            PINGONE_WORKER_DATA_DIR=f"{home}/data",
            PINGONE_WORKER_CACHE_DIR=f"{home}/cache",
            PINGONE_WORKER_KEY_BACKEND="file",
            COLUMNS="100",
            NO_COLOR="1",
        )
        done = subprocess.run(
            [sys.executable, "-m", "httpx_pingone_worker", *argv[1:]],
            capture_output=True,
            text=True,
            env=env,
            cwd=home,
            timeout=120,
            check=True,
        )
    return done.stdout.rstrip("\n").split("\n")


def _color(line: str) -> str:
    stripped = line.strip()
    if re.match(r"\[\d+/\d+\]", stripped):
        return COLORS["step"]
    if stripped.startswith("✔"):
        return COLORS["ok"]
    return COLORS["text"]


def render(argv: list[str], lines: list[str]) -> str:
    """An SVG terminal window showing ``$ argv`` and ``lines``."""
    shown = [("$ " + " ".join(argv), COLORS["prompt"]), *((line, _color(line)) for line in lines)]
    width = int(max(len(text) for text, _ in shown) * CHAR_WIDTH + 2 * PAD)
    height = TITLE + PAD + len(shown) * LINE_HEIGHT + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(" ".join(argv))} in a terminal">',
        f"<title>{escape(' '.join(argv))}</title>",
        f'<rect width="{width}" height="{height}" rx="8" fill="#1e1e1e"/>',
        f'<rect width="{width}" height="{TITLE}" rx="8" fill="#323233"/>',
        *(
            f'<circle cx="{18 + 20 * i}" cy="{TITLE // 2}" r="6" fill="{c}"/>'
            for i, c in enumerate(("#ff5f56", "#ffbd2e", "#27c93f"))
        ),
        f'<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="{FONT_SIZE}">',
    ]
    for n, (text, color) in enumerate(shown):
        y = TITLE + PAD + (n + 1) * LINE_HEIGHT - 4
        # No-break spaces: every SVG renderer keeps them (collapsing runs of spaces would
        # break the columns); unpicture() maps them back.
        shown_text = escape(text).replace(" ", "\u00a0")
        out.append(f'<text x="{PAD}" y="{y}" fill="{color}">{shown_text}</text>')
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def unpicture(svg: str) -> list[str]:
    """The lines a picture shows (its command line first)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)  # noqa: S314 - our own committed picture
    return [
        (t.text or "").replace("\u00a0", " ") for t in root.iter("{http://www.w3.org/2000/svg}text")
    ]


def main() -> int:
    for name, argv in COMMANDS.items():
        path = OUTPUT / f"{name}.svg"
        path.write_text(render(argv, capture(argv)), encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
