"""``store`` / ``forget``: the encrypted credential store."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._output import Output

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["read_secret", "register"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``store`` and ``forget`` to the parser."""
    p = sub.add_parser(
        "store",
        parents=[common],
        help="save a worker app's credentials in the encrypted store",
        description="Save credentials with secure_store. Client id, environment id and "
        "region come from flags or PINGONE_* settings; the secret is read with a masked "
        "prompt, or from stdin when stdin is not a terminal. It is never taken from the "
        "command line.",
    )
    p.set_defaults(handler=cmd_store)
    f = sub.add_parser(
        "forget",
        parents=[common],
        help="delete stored credentials",
        description="Delete the stored credentials of a client id.",
    )
    f.add_argument("forget_client_id", nargs="?", metavar="CLIENT_ID", help="default: --client-id")
    f.set_defaults(handler=cmd_forget)


def read_secret(client_id: str) -> str:
    """The client secret: a masked prompt on a terminal, else the first line of stdin."""
    from . import CommandError

    if sys.stdin is not None and sys.stdin.isatty():
        import getpass  # with termios: only when a prompt is shown

        try:
            value = getpass.getpass(f"Client secret for {client_id} (input hidden): ")
        except EOFError:
            value = ""
    else:
        line = sys.stdin.readline() if sys.stdin is not None else ""
        value = line.rstrip("\r\n")
    if not value:
        raise CommandError(
            "no client secret was given",
            hint="type it at the prompt, or pipe it in: pingone-worker store < secret.txt",
            exit_code=2,
        )
    return value


def cmd_store(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker store``."""
    from httpx_pingone_worker._core._logging import register_secret
    from httpx_pingone_worker.credentials._credentials import ClientCredentials
    from httpx_pingone_worker.credentials._format import validate_credential_format
    from httpx_pingone_worker.credentials._settings import resolve_settings
    from httpx_pingone_worker.credentials._store import secure_store

    from . import CommandError

    settings = resolve_settings(
        client_id=args.client_id,
        environment_id=args.environment_id,
        region=args.region,
        scopes=args.scopes,
        env=session.env,
        env_file=args.env_file,
        settings_file=args.settings,
        require=False,
    )
    missing = [
        flag
        for flag, value in (
            ("--client-id", settings.client_id),
            ("--environment-id", settings.environment_id),
        )
        if not value
    ]
    if missing:
        raise CommandError(
            f"store needs {' and '.join(missing)}",
            hint="pass them as flags or set PINGONE_CLIENT_ID / PINGONE_ENVIRONMENT_ID",
            exit_code=2,
        )
    client_id, environment_id = str(settings.client_id), str(settings.environment_id)
    secret = read_secret(client_id)
    register_secret(secret)
    for problem in validate_credential_format(client_id, secret, environment_id):
        out.note(f"warning: {problem}")
    creds = ClientCredentials(
        client_id,
        secret,
        environment_id,
        settings.region,
        settings.scopes or None,
    )
    path = secure_store(creds)
    out.emit_json(
        {
            "command": "store",
            "ok": True,
            "client_id": creds.client_id,
            "environment_id": creds.environment_id,
            "region": creds.region.value,
            "auth_method": creds.auth_method,
            "path": str(path),
        }
    )
    out.write(f"{out.mark(True)} stored credentials of {creds.client_id} ({creds.region.value})")
    out.panel([("file", path), ("environment", creds.environment_id)])
    out.write("")
    out.write(f"    Use them with: pingone-worker --client-id {creds.client_id} status")
    return 0


def cmd_forget(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker forget``."""
    from httpx_pingone_worker.credentials._store import secure_delete

    from . import CommandError

    client_id = args.forget_client_id or args.client_id or session.env.get("PINGONE_CLIENT_ID")
    if not client_id:
        raise CommandError(
            "forget needs a client id",
            hint="pingone-worker forget CLIENT_ID",
            exit_code=2,
        )
    removed = secure_delete(client_id)
    out.emit_json({"command": "forget", "ok": True, "client_id": client_id, "removed": removed})
    if removed:
        out.write(f"{out.mark(True)} forgot the stored credentials of {client_id}")
    else:
        out.write(f"nothing was stored for {client_id}")
    return 0
