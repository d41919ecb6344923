"""``pingone-worker``: the developer console for PingOne worker tokens.

Run ``pingone-worker demo`` for the whole flow against an embedded emulator, or
``pingone-worker --help`` for every command. ``python -m httpx_pingone_worker`` is the same.

## Exit statuses

| status | meaning |
|---|---|
| 0 | success |
| 1 | a check failed (``check``, ``verify``, ``introspect``: an inactive token), or another error |
| 2 | usage or configuration error (bad flags, missing or malformed settings, bad input) |
| 3 | authentication failed (the token endpoint rejected the credentials) |
| 4 | the Management API refused a request (403 forbidden, 404 …) |
| 5 | a host could not be reached (connection refused, DNS, timeout, TLS) |
| 70 | internal error (a bug: rerun with ``--verbose`` and report the traceback) |
| 130 | interrupted |
| 141 | stdout was closed early (piped into ``head``): the command stops quietly |

## JSON output

With ``--json`` every command prints one JSON object to stdout with at least ``"command"``
(its name) and ``"ok"`` (bool). Secrets never appear; tokens appear only as ``fingerprint``
(8 hex chars of the SHA-256). Times are epoch seconds; durations are seconds. Keys are only
ever added, never renamed or removed, within a major version.

- error (any command, exit status ≠ 0): ``{"command", "ok": false, "exit_code",
  "error": {"type", "message", "hint", "status_code", "error", "code", "correlation_id"}}``
- ``token``: ``{"command", "ok", "client_id", "environment_id", "region", "token": TOKEN}``
  where TOKEN is ``{"fingerprint", "token_type", "expires_in", "obtained_at", "expires_at",
  "remaining", "scopes": [str]}``. ``token --raw`` prints only the raw token and a newline.
- ``decode``: ``{"command", "ok", "source", "fingerprint", "header": {}, "claims": {},
  "verified": false, "expires_at", "remaining"}``
- ``verify``: ``{"command", "ok", "source", "fingerprint", "issuer", "jwks_url",
  "verified": bool, "claims": {}}`` (on failure ``ok``/``verified`` are false and
  ``error`` is present; exit 1)
- ``introspect``: ``{"command", "ok", "source", "fingerprint", "active",
  "introspection": {"active", "client_id", "scopes", "exp", "iat", "iss", "aud",
  "token_type"}}`` (``ok`` = active; exit 1 when inactive)
- ``status``: ``{"command", "ok", "client_id", "environment": {"id", "name", "type",
  "region", "license": {"id", "name", "package", "status"}, "services": [{"type",
  "description"}]}, "region", "application": {"name", "description", "enabled", "type",
  "roles": [{"name", "role_id", "scope_type", "scope_id"}]}, "token": TOKEN, "cache":
  {"backend", "location"}, "endpoints": {"issuer", "token", "api"}}``. The license's
  name, package and status are null when the app has no role that reads licenses;
  ``services`` is the environment's bill of materials (the products enabled in it)
- ``check``: ``{"command", "ok", "settings": {name: {"value", "source"}}, "checks":
  [{"name", "passed": bool | null, "detail"}], "probes": [{"endpoint", "allowed",
  "status_code", "code", "outcome"}]}`` (``passed`` null = skipped). Exit status: 0 when
  every check passed, else the status of the first failure's cause (2, 3, 4, 5) or 1
- ``api``: ``{"command", "ok", "method", "path", "data"}``; with ``--all``:
  ``{"command", "ok", "method", "path", "count", "items": []}``
- ``demo``: ``{"command", "ok", "steps": [{"number", "title", "ok", "data": {}}]}``
- ``store``: ``{"command", "ok", "client_id", "environment_id", "region", "auth_method",
  "path"}``;
  ``forget``: ``{"command", "ok", "client_id", "removed"}``
- ``cache list``: ``{"command": "cache", "action": "list", "ok", "path", "entries":
  [{"name", "fingerprint", "expires_at", "remaining", "expired", "state"}]}`` (state:
  ``valid``, ``expired`` or ``unreadable``; ``fingerprint`` null when unreadable);
  ``cache clear [--expired]``: ``{"command": "cache", "action": "clear", "ok", "path",
  "expired_only", "removed"}``
"""

# One cohesive thing (a little over 400 lines, a third of it the contract above): the parser,
# the global options and the exception → exit status mapping are the console's interface; each
# command lives in its own module (_tokens, _status, _api, _store, _cachecmd, _emulator, _demo).

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from httpx_pingone_worker._core._errors import (
    ConfigurationError,
    ManagementApiError,
    PingOneError,
    TokenEndpointUnreachableError,
    TokenError,
)
from httpx_pingone_worker._core._logging import redact
from httpx_pingone_worker._version import __version__

from ._output import Output, console_hint

__all__ = ["EXIT_CODES", "build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_API = 4
EXIT_UNREACHABLE = 5
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `cmd | head`

#: Exit status → meaning (also in the module docstring).
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAILED: "a check failed",
    EXIT_USAGE: "usage or configuration error",
    EXIT_AUTH: "authentication failed",
    EXIT_API: "the Management API refused the request",
    EXIT_UNREACHABLE: "host unreachable",
    EXIT_INTERNAL: "internal error",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_BROKEN_PIPE: "stdout closed early",
}

Handler = Callable[[argparse.Namespace, Any, Output], int]


class CommandError(Exception):
    """A command failed in a way it explains itself (message + hint + exit status)."""

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that never echoes unrecognised values (they may be secrets)."""

    def error(self, message: str) -> NoReturn:
        # argparse quotes a rejected choice ("invalid choice: 'x'"): drop the value.
        message = re.sub(
            r"invalid choice: .*? \(choose from", "invalid choice (choose from", message
        )
        if message.startswith("unrecognized arguments:"):
            words = message.split(":", 1)[1].split()
            flags = [w.split("=", 1)[0] for w in words if w.startswith("-")]
            message = "unrecognized arguments"
            if flags:
                message += ": " + " ".join(flags) + " (values not shown)"
            if any("secret" in f.lower() for f in flags):
                message += (
                    "; secrets are never taken from the command line: set "
                    "PINGONE_CLIENT_SECRET or run `pingone-worker store`"
                )
        super().error(message)


_MAX_TIMEOUT = 3600.0
_MAX_RETRIES = 100


def _timeout_seconds(text: str) -> float:
    """``--timeout``: a finite number of seconds in (0, 3600]. The message never echoes
    the value (a secret pasted into the wrong flag must not reach the terminal)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of seconds") from None
    if not 0.0 < value <= _MAX_TIMEOUT:  # also false for NaN
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most {_MAX_TIMEOUT:g} seconds"
        )
    return value


def _retry_count(text: str) -> int:
    """``--retries``: a whole number in 0..100 (0 = fail fast)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number (0 = fail fast)") from None
    if not 0 <= value <= _MAX_RETRIES:
        raise argparse.ArgumentTypeError(f"must be from 0 to {_MAX_RETRIES}")
    return value


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The options every command takes (before or after the command name)."""

    def d(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    g = parser.add_argument_group("global options")
    g.add_argument("--json", action="store_true", default=d(False), help="print JSON for scripts")
    g.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=d(False),
        help="show the library's log lines on stderr, and tracebacks",
    )
    g.add_argument(
        "--emulator",
        action="store_true",
        default=d(False),
        help="run against a throwaway in-process PingOne emulator (no network)",
    )
    g.add_argument("--env-file", metavar="PATH", default=d(None), help="read PINGONE_* from a file")
    g.add_argument("--settings", metavar="PATH", default=d(None), help="settings.json file")
    g.add_argument("--region", default=d(None), help="NA, EU, CA, AU, SG or AP")
    g.add_argument("--client-id", metavar="ID", default=d(None), help="worker app client id")
    g.add_argument("--environment-id", metavar="ID", default=d(None), help="PingOne environment id")
    g.add_argument("--scopes", default=d(None), help="space-separated scopes to request")
    g.add_argument(
        "--issuer",
        metavar="URL",
        default=d(None),
        help="an OIDC issuer (any server, PingOne or not): endpoints from its discovery "
        "document; no environment id needed for token, decode, verify, introspect",
    )
    g.add_argument(
        "--token-endpoint",
        metavar="URL",
        default=d(None),
        help="an explicit token endpoint (custom OIDC server); no environment id needed",
    )
    g.add_argument(
        "--auth-base-url", metavar="URL", default=d(None), help="auth host override (emulator)"
    )
    g.add_argument(
        "--api-base-url", metavar="URL", default=d(None), help="API base override (emulator)"
    )
    g.add_argument(
        "--ca-file",
        metavar="PATH",
        default=d(None),
        help="CA bundle (default: SSL_CERT_FILE of the environment, then of --env-file)",
    )
    g.add_argument(
        "--cache",
        choices=("memory", "file"),
        default=d("memory"),
        help="token cache: memory (default) or the encrypted file cache",
    )
    g.add_argument("--cache-path", metavar="PATH", default=d(None), help="file cache location")
    g.add_argument(
        "--timeout",
        type=_timeout_seconds,
        default=d(10.0),
        metavar="SECONDS",
        help=f"HTTP timeout (more than 0, at most {_MAX_TIMEOUT:g})",
    )
    g.add_argument(
        "--retries",
        type=_retry_count,
        default=d(3),
        metavar="N",
        help="retries of failed network calls and 429/5xx answers (default 3; 0 = fail fast)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pingone-worker`` (every command registered)."""
    from . import _api, _cachecmd, _demo, _emulator, _status, _store, _tokens

    parser = _Parser(
        prog="pingone-worker",
        description="Developer console for PingOne worker tokens. Start with: pingone-worker demo",
        epilog="Settings come from flags, --env-file, --settings, PINGONE_* environment\n"
        "variables or the credential store (pingone-worker store). No command prints a\n"
        "secret; tokens show as fingerprints unless `token --raw` is asked for.\n\n"
        "exit status: 0 ok, 1 a check failed, 2 usage/configuration, 3 credentials\n"
        "rejected, 4 Management API refused, 5 host unreachable, 70 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_global_options(parser, suppress=False)
    common = _Parser(add_help=False)
    _add_global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_demo, _status, _tokens, _api, _emulator, _store, _cachecmd):
        module.register(sub, common)
    return parser


def _configure_logging(verbose: bool, stream: Any) -> tuple[logging.Handler, int] | None:
    """With ``--verbose``: the library's log lines (the emoji lines) on stderr."""
    if not verbose:
        return None
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("httpx_pingone_worker")
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler, previous


def _exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, CommandError):
        return exc.exit_code
    if isinstance(exc, TokenEndpointUnreachableError):
        return EXIT_UNREACHABLE
    if isinstance(exc, ConfigurationError):
        return EXIT_USAGE
    if isinstance(exc, TokenError):
        return EXIT_AUTH
    if isinstance(exc, ManagementApiError):
        if exc.status_code == 401:
            return EXIT_AUTH
        # No HTTP status: the request never got an answer (network failure).
        return EXIT_API if exc.status_code is not None else EXIT_UNREACHABLE
    if _is_httpx_error(exc, "TransportError"):
        return EXIT_UNREACHABLE
    if isinstance(exc, PingOneError):
        return EXIT_FAILED
    return EXIT_INTERNAL


def _is_httpx_error(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is an ``httpx.<name>``, without importing httpx for ``--help``.

    An httpx exception can only exist once httpx is imported, so an httpx that is not in
    ``sys.modules`` answers no.
    """
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, getattr(httpx, name))


def _describe(exc: BaseException) -> tuple[str, str | None]:
    """One sentence and a hint for ``exc`` (never its traceback)."""
    if isinstance(exc, CommandError):
        return exc.message, exc.hint
    if isinstance(exc, PingOneError):
        message = exc.message
        description = exc.error_description if isinstance(exc, ManagementApiError) else None
        if description and description not in message:
            # PingOne's own explanation (redacted and shortened by the client), e.g. which
            # route or value it refused.
            message += f": {description.rstrip('.')}"
        if exc.correlation_id:
            message += f" (correlation id {exc.correlation_id})"
        hint = console_hint(exc.error, exc.hint)
        if hint is None and isinstance(exc, ManagementApiError) and exc.status_code == 403:
            hint = "give the worker app a role that covers this endpoint (Applications → Roles)"
        if hint is None and isinstance(exc, TokenEndpointUnreachableError):
            hint = "check the region, PINGONE_AUTH_BASE_URL and your network or proxy"
        return message, hint
    if _is_httpx_error(exc, "ConnectError"):
        return "could not connect to the server", "check the URL, the region and your network"
    if _is_httpx_error(exc, "TimeoutException"):
        return "the server did not answer in time", "retry, or raise --timeout"
    if _is_httpx_error(exc, "TransportError"):
        return f"network error ({type(exc).__name__})", "check the URL and your network"
    return (
        f"internal error ({type(exc).__name__})",
        "rerun with --verbose for the traceback, and please report it",
    )


def _report_error(exc: BaseException, out: Output, command: str, *, verbose: bool) -> int:
    code = _exit_code_for(exc)
    message, hint = _describe(exc)
    if verbose:
        out.note(redact("".join(traceback.format_exception(exc))))
    if out.json_mode:
        err: dict[str, Any] = {"type": type(exc).__name__, "message": message, "hint": hint}
        for name in ("status_code", "error", "code", "correlation_id"):
            err[name] = getattr(exc, name, None)
        out.emit_json({"command": command, "ok": False, "exit_code": code, "error": err})
    else:
        out.error(message, hint)
    return code


def _silence_stdout(out: Output) -> None:
    """The reader of stdout went away (``| head``): send what is left to /dev/null.

    Python flushes stdout at exit; pointing the descriptor at /dev/null keeps that flush
    from raising a second BrokenPipeError (the recipe of Python's ``signal`` docs).
    """
    try:
        fd = out.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (tests, wrappers)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pingone-worker`` with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    from ._session import Session

    parser = build_parser()
    tokens = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "emulator" in tokens:  # the emulator parses its own arguments
        at = tokens.index("emulator")
        tokens, passthrough = tokens[: at + 1], tokens[at + 1 :]
    try:
        args = parser.parse_args(tokens)
    except SystemExit as exc:  # --help, --version, usage errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "emulator":
        args.emulator_args = passthrough
    out = Output(json_mode=args.json)
    if args.command is None:
        parser.print_help(out.stdout)
        return EXIT_USAGE
    handler: Handler = args.handler
    log_handler = _configure_logging(args.verbose, out.stderr)
    session = Session(args)
    try:
        code = handler(args, session, out)
        out.stdout.flush()  # a closed pipe shows here, not as noise at interpreter exit
    except BrokenPipeError:
        _silence_stdout(out)
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        out.error("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the console turns every error into one sentence
        return _report_error(exc, out, args.command, verbose=args.verbose)
    else:
        return code
    finally:
        try:
            session.close()
        finally:
            if log_handler is not None:
                logger = logging.getLogger("httpx_pingone_worker")
                logger.removeHandler(log_handler[0])
                logger.setLevel(log_handler[1])


def run() -> None:
    """Console-script shim that exits with ``main``'s status."""
    sys.exit(main())
