"""Fenced code blocks of the Markdown docs, with the directive written just before each.

Shared by ``test_readme.py`` and ``test_docs_examples.py``. A directive is an HTML comment on
the line right before the fence (invisible on the rendered page)::

    <!-- no-run: needs a live tenant -->
    ```python
    ...
    ```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(
    r"(?:^<!--\s*(?P<directive>[^>]*?)\s*-->\n)?^(?P<fence>```+)(?P<lang>[\w+-]*)[^\n]*\n"
    r"(?P<code>.*?)^(?P=fence)\s*$",
    flags=re.DOTALL | re.MULTILINE,
)


@dataclass(frozen=True)
class Block:
    """One fenced block: where it is, its language, code and directive (``""`` if none)."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    code: str
    directive: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def blocks(path: Path, lang: str | None = None) -> list[Block]:
    """Every fenced block of ``path`` (of language ``lang`` when given), in page order."""
    text = path.read_text(encoding="utf-8")
    found = []
    for m in _FENCE.finditer(text):
        if lang is not None and m["lang"] != lang:
            continue
        line = text.count("\n", 0, m.start("fence")) + 1
        found.append(Block(path, line, m["lang"], m["code"], m["directive"] or ""))
    return found
