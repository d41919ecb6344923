"""The console reference page reads like a manual: every command once, with its usage, its
own options and an example that works; the global options once; exit statuses as a table."""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs group is not installed: run `tox -e docs`")

from mkdocs_hooks import EXAMPLES
from site_html import Page, read_page

from httpx_pingone_worker.cli import EXIT_CODES, build_parser, main
from httpx_pingone_worker.emulator.__main__ import _parser as emulator_parser


@pytest.fixture(scope="module")
def page(site: Path) -> Page:
    return read_page(site / "reference" / "cli" / "index.html")


def _commands() -> list[str]:
    """``name`` or ``name action`` of every command of the console."""
    found = []
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                actions = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                if actions:
                    found += [f"{name} {child}" for child in actions[0].choices]
                else:
                    found.append(name)
    return found


COMMANDS = _commands()


def test_each_command_has_one_section_with_usage_and_example(page: Page) -> None:
    """A heading per command; its section shows ``pingone-worker NAME`` usage and an example."""
    assert len(COMMANDS) >= 12
    ids = [anchor for anchor, _ in page.anchors]
    for command in COMMANDS:
        anchor = "pingone-worker-" + command.replace(" ", "-")
        assert ids.count(anchor) == 1, anchor
        section = page.section(anchor)
        assert f"pingone-worker {command}" in section
        assert "Example" in section
        assert any(example in section for example in EXAMPLES[command])


def test_global_options_are_listed_once(page: Page) -> None:
    """The options every command takes have one table, not a copy per command."""
    rows = [row[0] for table in page.tables for row in table[1:]]
    for flag in ("--json", "--client-id ID", "--timeout SECONDS", "--emulator"):
        assert rows.count(flag) == 1, flag
    assert "[-h]" not in page.text


def test_exit_statuses_are_a_table_of_every_status(page: Page) -> None:
    """The exit statuses render as a table listing exactly the console's statuses."""
    tables = [t for t in page.tables if t[0] == ["status", "meaning"]]
    assert len(tables) == 1
    assert [int(row[0]) for row in tables[0][1:]] == sorted(EXIT_CODES)
    # A section of the page (h2, like "Commands"), not a sub-section of the last command.
    ids = [anchor for anchor, _ in page.anchors]
    for section in ("exit-statuses", "json-output"):
        assert page.levels[ids.index(f"httpx_pingone_worker.cli--{section}")] == 2


def test_headings_are_clean_and_no_internal_notes(page: Page) -> None:
    """No heading runs into help text; the page holds no maintainer notes."""
    for _, text in page.headings:
        assert "usage" not in text.lower(), text
        assert len(text) < 60, text
    assert "cohesive" not in page.text
    assert "lines" not in page.text.split("Exit statuses")[-1].split("JSON")[0]


def _argv(example: str) -> list[str]:
    """The console's arguments of an example line (a pipe's last stage, redirection dropped)."""
    words = shlex.split(example.rsplit(" | ", maxsplit=1)[-1])
    assert words[0] == "pingone-worker", example
    if ">" in words:
        words = words[: words.index(">")]
    return words[1:]


@pytest.mark.parametrize("command", sorted(EXAMPLES))
def test_examples_parse(command: str) -> None:
    """Every example is a valid command line of the console (or of the emulator runner)."""
    assert command in COMMANDS
    for example in EXAMPLES[command]:
        argv = _argv(example)
        assert " ".join(argv).startswith(command), example
        if command == "emulator":
            emulator_parser().parse_args(argv[1:])
        else:
            build_parser().parse_args(argv)


def test_every_command_has_an_example() -> None:
    assert set(EXAMPLES) == set(COMMANDS)


RUNNABLE = [e for c in sorted(EXAMPLES) for e in EXAMPLES[c] if "--emulator" in e]


@pytest.mark.parametrize("example", RUNNABLE)
def test_emulator_examples_run(example: str) -> None:
    """The examples that use ``--emulator`` succeed as written (no settings needed)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(_argv(example))
    assert code == 0, f"{example} exited {code}: {err.getvalue()[-2000:]}"
    assert out.getvalue().strip()


def test_runnable_examples_exist() -> None:
    assert len(RUNNABLE) >= 6
