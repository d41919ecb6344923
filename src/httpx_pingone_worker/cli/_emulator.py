"""``emulator``: run the PingOne emulator's HTTPS server (same as its own ``__main__``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._output import Output

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["register"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``emulator`` to the parser."""
    p = sub.add_parser(
        "emulator",
        help="run the offline PingOne emulator server (python -m httpx_pingone_worker.emulator)",
        description="Run the PingOne emulator's HTTPS server. Every argument after "
        "`emulator` goes to the emulator itself: see `pingone-worker emulator --help`.",
        add_help=False,
    )
    # main() hands every token after `emulator` to the emulator untouched (argparse's
    # REMAINDER cannot take leading options).
    p.set_defaults(handler=cmd_emulator, emulator_args=[])
    del common


def cmd_emulator(args: argparse.Namespace, session: Session, out: Output) -> int:
    """Delegate to ``httpx_pingone_worker.emulator.__main__.main``."""
    from httpx_pingone_worker.emulator.__main__ import main as emulator_main

    del session, out
    try:
        result = emulator_main(list(args.emulator_args))
    except SystemExit as exc:  # the emulator's argparse: --help, usage errors
        return exc.code if isinstance(exc.code, int) else 2
    return int(result or 0)
