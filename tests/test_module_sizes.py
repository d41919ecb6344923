"""No module of the library is over ~400 lines unless its docstring says why it is one piece.

The emulator has had this rule (`tests/emulator/test_layering.py`); this extends it to every
module of `httpx_pingone_worker` and `pytest_pingone`. A module may be longer when the
docstring (or, for a module whose docstring is user documentation, a leading comment) says
why it is one cohesive thing, with the words "over 400 lines" in that sentence.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LIMIT = 420  # ~400, with room for a docstring line or two

_REASON = re.compile(r"over\s+400\s+lines", re.IGNORECASE)


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _says_why(text: str) -> bool:
    """The docstring, or a comment near the top, gives a reason for the size."""
    docstring = ast.get_docstring(ast.parse(text)) or ""
    comments = "\n".join(line for line in text.splitlines()[:80] if line.lstrip().startswith("#"))
    return bool(_REASON.search(docstring) or _REASON.search(comments))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_module_is_small_or_says_why(path: Path) -> None:
    """A module over ~400 lines says in its docstring why it is one piece."""
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    name = path.relative_to(SRC).as_posix()
    assert lines <= LIMIT or _says_why(text), (
        f"{name} has {lines} lines: split it, or say in its docstring why it is one piece "
        '("One cohesive thing (over 400 lines): …")'
    )
