"""MkDocs hooks of the documentation site (``hooks:`` in ``mkdocs.yml``).

Files of the repository root are included into pages with ``<!-- include: FILE -->`` (the
file must exist) or ``<!-- include-if-present: FILE -->`` (the page's own text stays as the
fallback); their relative links are pointed at the repository on GitHub, since the site does
not contain those files.

The console reference (``docs/reference/cli.md``) is generated here, at build time, from the
argument parser that ``pingone-worker`` itself uses (``httpx_pingone_worker.cli.build_parser``):
the commands and their options are written once, in the code.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = "<!-- cli-reference -->"
CLI_PAGE = "reference/cli.md"
WIDTH = "88"
ROOT = Path(__file__).resolve().parent.parent
REPO_BLOB = "https://github.com/httpx-pingone-worker/httpx-pingone-worker/blob/main/"
_INCLUDE = re.compile(r"^<!-- (include|include-if-present): (\S+) -->\n", re.MULTILINE)
_RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)\s]+)\)")


def _include(markdown: str, src_uri: str) -> str:
    match = _INCLUDE.search(markdown)
    if match is None:
        return markdown
    kind, name = match.groups()
    path = ROOT / name
    if not path.is_file():
        if kind == "include":
            raise PluginError(f"{src_uri} includes {name}, which does not exist")
        return markdown[: match.start()] + markdown[match.end() :]
    text = path.read_text(encoding="utf-8")
    text = _RELATIVE_LINK.sub(lambda m: f"]({REPO_BLOB}{m.group(1).removeprefix('./')})", text)
    # The included file replaces the page: its own title and text are the fallback only.
    return markdown[: match.start()] + text


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, one-line help, parser) of each subcommand of ``parser``, in registration order."""
    found = []
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) in seen:  # an alias of a command already listed
                    continue
                seen.add(id(sub))
                found.append((name, helps.get(name, ""), sub))
    return found


def _help(parser: argparse.ArgumentParser) -> str:
    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH  # argparse wraps to the terminal width
    try:
        return parser.format_help().rstrip()
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous


def cli_reference() -> str:
    """Markdown for every command of ``pingone-worker``: a summary table, then each --help."""
    from httpx_pingone_worker.cli import build_parser

    parser = build_parser()
    commands = _subcommands(parser)
    if not commands:
        raise PluginError("pingone-worker's parser has no subcommands: did build_parser change?")
    lines = ["| command | what it does |", "|---|---|"]
    lines += [f"| [`{name}`](#pingone-worker-{name}) | {text} |" for name, text, _ in commands]
    lines += ["", "## `pingone-worker`", "", "```text", _help(parser), "```", ""]
    for name, _, sub in commands:
        lines += [f"## `pingone-worker {name}` {{#pingone-worker-{name}}}", ""]
        lines += ["```text", _help(sub), "```", ""]
        for subname, _, subsub in _subcommands(sub):
            lines += [f"### `pingone-worker {name} {subname}`", ""]
            lines += ["```text", _help(subsub), "```", ""]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, **_kwargs: Any) -> str:
    """Include root files; put the generated console reference in place of its marker."""
    markdown = _include(markdown, page.file.src_uri)
    if page.file.src_uri != CLI_PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(
            f"{CLI_PAGE} lost its {MARKER} marker: the console reference has no place"
        )
    return markdown.replace(MARKER, cli_reference())
