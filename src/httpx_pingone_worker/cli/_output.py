"""Output for the console: plain tables and panels for people, stable JSON for scripts.

Everything printed goes through ``Output``. The commands build their JSON from typed
views that hold ids, names, URLs and fingerprints, never a secret; as a second line of
defence it is scrubbed by value: every string goes through the library's redaction (known
secrets and tokens, JWT-shaped strings, bearer values, ``client_secret=``-style fields), and
the scalar value of a field that always holds a secret (``client_secret``, ``password``,
``client_assertion``, ``access_token`` …) becomes ``"<redacted>"``. URLs, ids and names are
shown whole. The one exception is ``Output.raw``, used only by
``pingone-worker token --raw``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from httpx_pingone_worker._core._logging import redact

__all__ = ["Output", "Progress", "format_duration", "scrub"]

# Fields that hold a secret whatever its value looks like (a password need not look like
# one). A bare "token" is not among them: in our JSON it names an endpoint URL or a token's
# metadata, and a token value under any key is masked by value (registered, JWT-shaped).
_SENSITIVE_KEY = re.compile(
    r"^(client_?secret|secret|password|passwd|access_?token|refresh_?token|id_?token|"
    r"client_?assertion|assertion|authorization|api_?key|private_?key)$",
    re.IGNORECASE,
)


def scrub(value: Any) -> Any:
    """Return a copy of JSON-like ``value`` that is safe to print.

    Scalar values of sensitive keys are replaced, every string is redacted, and values that are
    not JSON types are turned into their (redacted) string form.
    """
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            skey = str(key)
            # Only scalar values are blanked: an object under "token" is metadata, recursed.
            if _SENSITIVE_KEY.match(skey) and isinstance(item, (str, int, float)) and item != "":
                out[skey] = "<redacted>"
            else:
                out[skey] = scrub(item)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [scrub(v) for v in items]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value))


def _use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def format_duration(seconds: float) -> str:
    """``3599`` → ``59m 59s``; negative → ``expired 12s ago``."""
    if seconds < 0:
        return f"expired {format_duration(-seconds)} ago"
    secs = int(seconds)
    hours, rest = divmod(secs, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _width(text: str) -> int:
    """Visible width: colour codes take no room on screen."""
    return len(_ANSI.sub("", text))


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return json.dumps(value, sort_keys=True)
    text = str(value)
    return text if text else "-"


def console_hint(error: str | None, hint: str | None) -> str | None:
    """``hint`` reworded for the console where the library's names a Python call."""
    if error == "not_a_jwt":
        return "ask PingOne what an opaque token grants: pingone-worker introspect TOKEN"
    return hint


class Output:
    """Writes human output (or JSON) to stdout and progress/errors to stderr."""

    def __init__(
        self,
        *,
        json_mode: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.color = _use_color(self.stdout) and not json_mode
        self.err_color = _use_color(self.stderr)

    # --- low level -------------------------------------------------------------------

    def _style(self, text: str, code: str, *, err: bool = False) -> str:
        if not (self.err_color if err else self.color):
            return text
        return f"\033[{code}m{text}\033[0m"

    def write(self, text: str = "") -> None:
        """Print one (redacted) line to stdout; nothing in JSON mode."""
        if self.json_mode:
            return
        print(redact(text), file=self.stdout)

    def raw(self, text: str) -> None:
        """Print ``text`` to stdout unredacted: only for an explicitly requested raw token."""
        print(text, file=self.stdout)
        self.stdout.flush()

    def note(self, text: str) -> None:
        """A remark for people on stderr (shown in JSON mode too, it never pollutes stdout)."""
        print(redact(text), file=self.stderr)

    def emit_json(self, data: Mapping[str, Any]) -> None:
        """Print ``data`` as indented JSON to stdout (JSON mode only)."""
        if not self.json_mode:
            return
        json.dump(scrub(data), self.stdout, indent=2, ensure_ascii=False)
        self.stdout.write("\n")

    # --- building blocks -------------------------------------------------------------

    def ok(self, text: str) -> str:
        """Style for a success word."""
        return self._style(text, "32")

    def bad(self, text: str) -> str:
        """Style for a failure word."""
        return self._style(text, "31")

    def dim(self, text: str) -> str:
        """Style for secondary text."""
        return self._style(text, "2")

    def mark(self, passed: bool | None) -> str:
        """``✔`` passed, ``✘`` failed, ``·`` skipped."""
        if passed is None:
            return self.dim("·")
        return self.ok("✔") if passed else self.bad("✘")

    def heading(self, text: str) -> None:
        """A section heading."""
        self.write("")
        self.write(self._style(text, "1"))

    def step(self, number: int, total: int, title: str) -> None:
        """A numbered step heading: ``[3/7] Decode the token``."""
        self.write("")
        self.write(self._style(f"[{number}/{total}] {title}", "1;36"))

    def panel(self, rows: Iterable[tuple[str, Any]], *, indent: int = 4) -> None:
        """Aligned ``key  value`` lines."""
        pairs = [(k, _cell(v)) for k, v in rows]
        if not pairs:
            return
        width = max(_width(k) for k, _ in pairs)
        pad = " " * indent
        for key, value in pairs:
            self.write(f"{pad}{_pad(key, width)}  {value}")

    def table(
        self,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        indent: int = 4,
        max_width: int = 60,
    ) -> None:
        """A plain text table with a header rule; cells are clipped at ``max_width``."""
        cells = [[_cell(c) for c in row] for row in rows]
        clipped = [
            [c if _width(c) <= max_width else _ANSI.sub("", c)[: max_width - 1] + "…" for c in r]
            for r in cells
        ]
        widths = [len(h) for h in headers]
        for row in clipped:
            for i, c in enumerate(row):
                widths[i] = max(widths[i], _width(c))
        pad = " " * indent
        self.write(
            pad
            + "  ".join(_pad(h.upper(), w) for h, w in zip(headers, widths, strict=True)).rstrip()
        )
        self.write(pad + "  ".join("─" * w for w in widths))
        for row in clipped:
            self.write(
                pad + "  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
            )
        if not clipped:
            self.write(pad + self.dim("(none)"))

    def error(self, message: str, hint: str | None = None) -> None:
        """``error: <message>`` and ``hint: <hint>`` on stderr."""
        print(redact(f"{self._style('error:', '1;31', err=True)} {message}"), file=self.stderr)
        if hint:
            print(redact(f"{self._style('hint:', '33', err=True)} {hint}"), file=self.stderr)


class Progress:
    """A counter on stderr: rewritten in place on a terminal, a few lines otherwise."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.count = 0
        self.pages = 0
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self._last = 0.0

    def update(self, count: int, *, pages: int = 0) -> None:
        """Report that ``count`` items (and ``pages`` more pages) have arrived so far."""
        self.count = count
        self.pages += pages
        text = f"{self.label}: page {self.pages}, {count} items…"
        if self.tty:
            now = time.monotonic()
            if now - self._last >= 0.1:  # a terminal redraw per 100 ms is plenty
                self._last = now
                self.stream.write(f"\r{text}")
                self.stream.flush()
        else:
            self.stream.write(f"{text}\n")
            self.stream.flush()

    def done(self) -> None:
        """Print the final count."""
        prefix = "\r" if self.tty else ""
        self.stream.write(
            f"{prefix}{self.label}: {self.count} items in {self.pages} "
            f"page{'' if self.pages == 1 else 's'}, done.\n"
        )
        self.stream.flush()
