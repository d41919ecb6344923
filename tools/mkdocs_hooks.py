"""MkDocs hooks of the documentation site (``hooks:`` in ``mkdocs.yml``).

Files of the repository root are included into pages with ``<!-- include: FILE -->`` (the
file must exist) or ``<!-- include-if-present: FILE -->`` (the page's own text stays as the
fallback); their relative links are pointed at the repository on GitHub, since the site does
not contain those files, except links into ``docs/`` (a diagram), which point at the site's copy.

The console reference (``docs/reference/cli.md``) is generated here, at build time, from the
argument parser that ``pingone-worker`` itself uses (``httpx_pingone_worker.cli.build_parser``):
the commands and their options are written once, in the code; the global options are listed
once, each command gets its usage, its own options as a table and an example (``EXAMPLES``).
"""

from __future__ import annotations

import argparse
import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

MARKER = "<!-- cli-reference -->"
CLI_PAGE = "reference/cli.md"
WIDTH = "72"  # the usage lines fit the page's code blocks
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
    page_dir = posixpath.dirname(src_uri)

    def link(match: re.Match[str]) -> str:
        target = match.group(1).removeprefix("./")
        if target.startswith("docs/"):  # a file of the site (a diagram): link it on the site
            return f"]({posixpath.relpath(target.removeprefix('docs/'), page_dir or '.')})"
        return f"]({REPO_BLOB}{target})"

    text = _RELATIVE_LINK.sub(link, text)
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


#: One example per command (``pingone-worker NAME`` or ``pingone-worker NAME ACTION``): what a
#: reader types first. ``tests/docs_site/test_cli_page.py`` parses each with the console's own
#: parser and runs the ones that use ``--emulator``.
EXAMPLES: dict[str, list[str]] = {
    "demo": ["pingone-worker demo"],
    "status": ["pingone-worker status --emulator", "pingone-worker status --json"],
    "check": [
        "pingone-worker check --emulator",
        "pingone-worker check --probe users --probe roles",
    ],
    "token": ["pingone-worker token --emulator", "pingone-worker token --raw > token.txt"],
    "decode": ["pingone-worker decode --emulator", "pingone-worker decode @token.txt"],
    "verify": ["pingone-worker verify --emulator", "pingone-worker verify @token.txt --json"],
    "introspect": ["pingone-worker introspect --emulator", "pingone-worker introspect @token.txt"],
    "api": [
        "pingone-worker api users --emulator --limit 5",
        "pingone-worker api GET users --param filter='enabled eq true' --all --json",
        'pingone-worker api POST /environments/{env}/groups --data \'{"name": "Admins"}\'',
    ],
    "emulator": ["pingone-worker emulator --port 8443 --env-file .env.emulator"],
    "store": [
        "pingone-worker store --client-id ID --environment-id ID --region EU",
        "printf '%s' \"$SECRET\" | pingone-worker store --client-id ID --environment-id ID",
    ],
    "forget": ["pingone-worker forget CLIENT_ID"],
    "cache list": ["pingone-worker cache list --json"],
    "cache clear": ["pingone-worker cache clear --expired"],
}


def _cell(text: str) -> str:
    """Text for a Markdown table cell (pipes escaped, whitespace folded)."""
    return " ".join(text.split()).replace("|", "\\|")


def _flags(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    value = ""
    if action.nargs != 0:
        if action.choices:
            value = " {" + ",".join(str(c) for c in action.choices) + "}"
        else:
            value = f" {action.metavar or action.dest.upper()}"
    return ", ".join(f"`{flag}{value}`" for flag in action.option_strings)


def _options_table(actions: list[argparse.Action]) -> list[str]:
    rows = []
    for action in actions:
        if isinstance(action, (argparse._HelpAction, argparse._VersionAction)):
            continue
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and default not in (None, False, argparse.SUPPRESS, [])
            and "default" not in text
        ):
            text += f" (default: `{default}`)"
        rows.append(f"| {_flags(action)} | {_cell(text)} |")
    if not rows:
        return []
    return ["| argument or option | what it does |", "|---|---|", *rows, ""]


def _own_actions(parser: argparse.ArgumentParser, shared: set[str]) -> list[argparse.Action]:
    """The actions of a command beyond the global options (and beyond its sub-actions)."""
    return [
        a
        for a in parser._actions  # argparse has no public accessor for a parser's actions
        if a.dest not in shared
        and not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction))
    ]


def _usage(
    parser: argparse.ArgumentParser, actions: list[argparse.Action], *, globals_: bool
) -> str:
    """``PROG [global options] OWN OPTIONS``: argparse's usage line of the command's own actions."""
    formatter = argparse.HelpFormatter(parser.prog, width=int(WIDTH))
    formatter.add_usage(None, actions, [], prefix="")
    rest = formatter.format_help().strip()[len(parser.prog) :].strip()
    if globals_:
        rest = f"[global options] {rest}"
    return f"{parser.prog} {rest}".strip()


def _section(
    title: str, anchor: str, parser: argparse.ArgumentParser, shared: set[str], globals_: bool
) -> list[str]:
    subs = _subcommands(parser)
    own = _own_actions(parser, shared)
    lines = [f"{title} {{#{anchor}}}", ""]
    if parser.description:
        lines += [parser.description, ""]
    if not subs:
        lines += ["```text", _usage(parser, own, globals_=globals_), "```", ""]
        lines += _options_table(own)
    return lines


def _examples(key: str) -> list[str]:
    examples = EXAMPLES.get(key)
    if not examples:
        raise PluginError(f"the console reference has no example for `pingone-worker {key}`")
    noun = "Example" if len(examples) == 1 else "Examples"
    return [f"**{noun}**", "", "```bash", *examples, "```", ""]


def cli_reference() -> str:
    """Markdown for ``pingone-worker``: the commands, the global options once, then one
    section per command with its usage, its own options and an example."""
    from httpx_pingone_worker.cli import build_parser
    from httpx_pingone_worker.emulator.__main__ import _parser as emulator_parser

    parser = build_parser()
    commands = _subcommands(parser)
    if not commands:
        raise PluginError("pingone-worker's parser has no subcommands: did build_parser change?")
    shared = {
        a.dest
        for group in parser._action_groups
        if group.title == "global options"
        for a in group._group_actions
    }
    if not shared:
        raise PluginError("pingone-worker's parser has no 'global options' group")
    lines = ["## Commands", "", "| command | what it does |", "|---|---|"]
    lines += [f"| [`{n}`](#pingone-worker-{n}) | {_cell(text)} |" for n, text, _ in commands]
    lines += ["", "## Global options", ""]
    lines += [
        "Every command except `emulator` takes these, before or after the command name "
        "(`pingone-worker --json status` or `pingone-worker status --json`). "
        "`pingone-worker --version` prints the version.",
        "",
    ]
    globals_ = [a for a in parser._actions if a.dest in shared]
    lines += _options_table(globals_)
    for name, _, sub in commands:
        title = f"## `pingone-worker {name}`"
        if name == "emulator":
            emu = emulator_parser()
            emu.prog = "pingone-worker emulator"
            emu.description = (
                (sub.description or "").split(" Every argument")[0]
                + " The same as `python -m httpx_pingone_worker.emulator`; the global options "
                "do not apply."
            )
            lines += _section(title, f"pingone-worker-{name}", emu, set(), globals_=False)
            lines += _examples(name)
            continue
        lines += _section(title, f"pingone-worker-{name}", sub, shared, globals_=True)
        subs = _subcommands(sub)
        if not subs:
            lines += _examples(name)
        for subname, subhelp, subsub in subs:
            if not subsub.description:
                subsub.description = subhelp[:1].upper() + subhelp[1:] + "."
            lines += _section(
                f"### `pingone-worker {name} {subname}`",
                f"pingone-worker-{name}-{subname}",
                subsub,
                shared,
                globals_=True,
            )
            lines += _examples(f"{name} {subname}")
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
