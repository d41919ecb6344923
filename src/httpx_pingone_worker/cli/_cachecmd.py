"""``cache list`` / ``cache clear``: see and clear the encrypted file token cache.

Only fingerprints (first 8 hex characters of a token's SHA-256) and expiry times are shown;
a token never is.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._output import Output

if TYPE_CHECKING:
    from httpx_pingone_worker.caches._file import EncryptedFileTokenCache

    from ._session import Session

__all__ = ["register"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``cache`` (with ``list`` and ``clear``) to the parser."""
    p = sub.add_parser(
        "cache",
        parents=[common],
        help="list or clear the encrypted file token cache (fingerprints and expiry only)",
        description="See what the file token cache holds (--cache-path or the default "
        "location), or clear it. Tokens show as fingerprints only. Expired entries also "
        "clear themselves on the next write to the cache.",
    )
    actions = p.add_subparsers(dest="cache_action", metavar="ACTION", required=True)
    lst = actions.add_parser("list", parents=[common], help="entries: fingerprint, expiry, state")
    lst.set_defaults(handler=cmd_cache_list)
    clr = actions.add_parser("clear", parents=[common], help="remove cached tokens")
    clr.add_argument(
        "--expired", action="store_true", help="remove expired entries only (default: all)"
    )
    clr.set_defaults(handler=cmd_cache_clear)


def _location(args: argparse.Namespace) -> Path:
    from httpx_pingone_worker.caches._file import default_cache_directory

    return Path(args.cache_path).expanduser() if args.cache_path else default_cache_directory()


def _open(path: Path) -> EncryptedFileTokenCache | None:
    """The cache at ``path`` with its existing key (never creates a directory or a key)."""
    from httpx_pingone_worker._core._errors import StorageError
    from httpx_pingone_worker.caches._file import EncryptedFileTokenCache
    from httpx_pingone_worker.credentials._crypto import generate_key, load_key

    if not path.is_dir():
        return None
    try:
        key: str | bytes = load_key(path, "tokens", create=False)
    except StorageError:
        key = generate_key()  # no key: every entry shows as unreadable
    return EncryptedFileTokenCache(path, key=key)


def _state(expired: bool, readable: bool) -> str:
    if not readable:
        return "unreadable"
    return "expired" if expired else "valid"


def cmd_cache_list(args: argparse.Namespace, session: Session, out: Output) -> int:  # noqa: ARG001
    """``pingone-worker cache list``."""
    path = _location(args)
    cache = _open(path)
    entries = cache.entries() if cache is not None else []
    now = time.time()
    out.emit_json(
        {
            "command": "cache",
            "action": "list",
            "ok": True,
            "path": str(path),
            "entries": [
                {
                    "name": e.name,
                    "fingerprint": e.fingerprint,
                    "expires_at": round(e.expires_at),
                    "remaining": max(0, round(e.expires_at - now)),
                    "expired": e.expired,
                    "state": _state(e.expired, e.readable),
                }
                for e in entries
            ],
        }
    )
    out.write(f"token cache {path}" + ("" if cache is not None else " (does not exist)"))
    out.table(
        ["fingerprint", "expires", "remaining", "state", "file"],
        [
            (
                e.fingerprint or "-",
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.expires_at)),
                f"{max(0, round(e.expires_at - now))}s",
                _state(e.expired, e.readable),
                e.name[:12],
            )
            for e in entries
        ],
    )
    return 0


def cmd_cache_clear(args: argparse.Namespace, session: Session, out: Output) -> int:  # noqa: ARG001
    """``pingone-worker cache clear [--expired]``."""
    path = _location(args)
    cache = _open(path)
    removed = cache.clear(expired_only=args.expired) if cache is not None else 0
    out.emit_json(
        {
            "command": "cache",
            "action": "clear",
            "ok": True,
            "path": str(path),
            "expired_only": bool(args.expired),
            "removed": removed,
        }
    )
    what = "expired token(s)" if args.expired else "token(s)"
    out.write(f"{out.mark(True)} removed {removed} {what} from {path}")
    return 0
