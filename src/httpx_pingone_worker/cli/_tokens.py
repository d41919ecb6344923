"""``token``, ``decode``, ``verify``, ``introspect``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from httpx_pingone_worker._core._errors import JWTError
from httpx_pingone_worker._core._input import check_path, load_json
from httpx_pingone_worker._core._logging import register_token
from httpx_pingone_worker._core._regions import check_secure_url
from httpx_pingone_worker._core._secrets import fingerprint

from ._output import Output, console_hint, format_duration

if TYPE_CHECKING:
    from httpx_pingone_worker._core._token import Token

    from ._session import Session

__all__ = ["read_token", "register", "token_info"]


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the token commands to the parser."""
    p = sub.add_parser(
        "token",
        parents=[common],
        help="get a worker token and show its fingerprint and metadata",
        description="Get a worker token. Shows a fingerprint, never the token, "
        "unless --raw is given (then only the raw token goes to stdout).",
    )
    p.add_argument("--raw", action="store_true", help="print only the raw access token to stdout")
    p.set_defaults(handler=cmd_token)

    for name, handler, text in (
        ("decode", cmd_decode, "decode a JWT's header and claims (no signature check)"),
        ("verify", cmd_verify, "verify a JWT's signature, issuer and expiry with the JWKS"),
        ("introspect", cmd_introspect, "ask the introspection endpoint whether a token is active"),
    ):
        q = sub.add_parser(
            name,
            parents=[common],
            help=text,
            description=f"{text[0].upper()}{text[1:]}. TOKEN is the token, @PATH a file "
            "holding it, or - for stdin; without one a fresh worker token is fetched.",
        )
        q.add_argument("token", nargs="?", metavar="TOKEN", help="token, @PATH, or - for stdin")
        q.add_argument("--file", metavar="PATH", help="read the token from PATH")
        if name == "verify":
            # --issuer is a global option: the expected issuer, whose discovery names the JWKS.
            q.add_argument(
                "--jwks-url",
                metavar="URL",
                help="JWKS URL (default: the issuer's jwks_uri, or PingOne's issuer/jwks)",
            )
            q.add_argument("--audience", help="expected audience")
        q.set_defaults(handler=handler)


_SOURCES = {
    "fetched": "a fresh worker token",
    "argument": "from the argument",
    "file": "from the file",
    "stdin": "from stdin",
}


def token_info(token: Token, now: float | None = None) -> dict[str, Any]:
    """The printable facts of a token (fingerprint, never the value)."""
    now = time.time() if now is None else now
    return {
        "fingerprint": token.fingerprint,
        "token_type": token.token_type,
        "expires_in": token.expires_in,
        "obtained_at": int(token.obtained_at),
        "expires_at": int(token.expires_at),
        "remaining": int(token.expires_at - now),
        "scopes": sorted(token.scopes),
    }


def token_rows(info: dict[str, Any]) -> list[tuple[str, Any]]:
    """Panel rows for ``token_info``."""
    return [
        ("fingerprint", info["fingerprint"]),
        ("type", info["token_type"]),
        ("lifetime", f"{info['expires_in']}s"),
        ("expires", f"{_when(info['expires_at'])} (in {format_duration(info['remaining'])})"),
        ("scopes", info["scopes"] or "(none: a worker token's power comes from its roles)"),
    ]


def _when(epoch: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(epoch))
    except (OverflowError, OSError, ValueError):  # beyond what the platform's time_t holds
        return "not a representable date"


def read_token(args: argparse.Namespace, session: Session) -> tuple[str, str]:
    """The token to work on and where it came from (``argument``/``file``/``stdin``/``fetched``)."""
    from . import CommandError

    value: str | None = getattr(args, "token", None)
    path: str | None = getattr(args, "file", None)
    if value is not None and path is not None:
        raise CommandError("give the token either as TOKEN or with --file, not both", exit_code=2)
    if value is not None and value.startswith("@"):
        path = value[1:]
        value = None
    if path is not None:
        try:
            raw = check_path(path, what="the token file").read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CommandError(
                f"cannot read the token file {path!r} ({exc.strerror or type(exc).__name__})",
                hint="check the path; the file should hold only the token",
                exit_code=2,
            ) from None
        except UnicodeDecodeError:
            raise CommandError(
                f"the token file {path!r} is not UTF-8 text",
                hint="the file should hold only the token (a JWT is ASCII)",
                exit_code=2,
            ) from None
        source = "file"
    elif value == "-":
        raw = sys.stdin.read().strip()
        source = "stdin"
    elif value is not None:
        raw = value.strip()
        source = "argument"
    else:
        token = session.auth().get_token()
        raw = token.access_token.get_secret_value()
        source = "fetched"
    if not raw:
        raise CommandError(
            f"the token from {source} is empty", hint="pass a JWT access token", exit_code=2
        )
    register_token(raw)
    return raw, source


def cmd_token(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker token``."""
    auth = session.auth()
    token = auth.get_token()
    if args.raw:
        if out.stdout.isatty():
            out.note("warning: printing a live access token; keep it out of logs and history")
        out.raw(token.access_token.get_secret_value())
        return 0
    creds = session.credentials
    info = token_info(token)
    out.emit_json(
        {
            "command": "token",
            "ok": True,
            "client_id": creds.client_id,
            "environment_id": creds.environment_id,
            "region": creds.region.value,
            "token": info,
        }
    )
    out.heading("Worker token")
    out.panel(
        [
            ("client id", creds.client_id),
            ("environment", creds.environment_id),
            ("region", creds.region.value),
            *token_rows(info),
        ]
    )
    out.write("")
    out.write(out.dim("    The token itself is not shown: use `pingone-worker token --raw`."))
    return 0


def decoded_data(raw: str) -> dict[str, Any]:
    """Header, claims and expiry of a JWT (unverified)."""
    from httpx_pingone_worker.tokens._jwt_decode import decode_jwt

    from . import CommandError

    try:
        decoded = decode_jwt(raw)
        exp = decoded.expires_at  # JWTError for an exp that is no usable time
    except JWTError as exc:
        # A token that cannot be decoded is bad input (exit 2), not a failed check.
        raise CommandError(
            exc.message,
            hint=console_hint(exc.error, exc.hint)
            or "pass a JWT access token (header.payload.signature)",
            exit_code=2,
        ) from None
    claims = dict(decoded.claims)
    data: dict[str, Any] = {
        "fingerprint": fingerprint(raw),
        "header": dict(decoded.header),
        "claims": claims,
        "verified": False,
        "expires_at": claims.get("exp") if exp is not None else None,
        "remaining": int(exp - time.time()) if exp is not None else None,
    }
    return data


def claim_rows(claims: dict[str, Any]) -> list[tuple[str, Any]]:
    """Panel rows for JWT claims, times made readable."""
    rows: list[tuple[str, Any]] = []
    for key, value in claims.items():
        if key in ("exp", "iat", "nbf") and isinstance(value, (int, float)):
            rows.append((key, f"{int(value)}  ({_when(value)})"))
        else:
            rows.append((key, value))
    return rows


def cmd_decode(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker decode``."""
    raw, source = read_token(args, session)
    data = decoded_data(raw)
    out.emit_json({"command": "decode", "ok": True, "source": source, **data})
    out.heading(f"JWT {data['fingerprint']} ({_SOURCES[source]}, signature NOT checked)")
    out.write("  header")
    out.panel(list(data["header"].items()))
    out.write("  claims")
    out.panel(claim_rows(data["claims"]))
    if data["remaining"] is not None:
        out.write("")
        out.write(f"  expires in {format_duration(data['remaining'])}")
    return 0


def verify_token(
    raw: str,
    session: Session,
    *,
    issuer: str | None = None,
    jwks_url: str | None = None,
    audience: str | None = None,
) -> tuple[dict[str, Any], str, str]:
    """Verify ``raw`` against the JWKS; return (claims, issuer, jwks_url). Raises JWTError."""
    import httpx  # not at module level: `pingone-worker --help` does not load httpx

    from httpx_pingone_worker.tokens._jwt_verify import verify_jwt

    if issuer is None or jwks_url is None:
        endpoints = session.endpoints(need_secret=False)
        if jwks_url is None and endpoints.jwks is None and session.custom_oidc:
            raise JWTError(
                "no JWKS URL is known for --token-endpoint alone",
                error="jwks_unavailable",
                hint="pass --issuer (its discovery document names the JWKS) or --jwks-url",
            )
        issuer = issuer or endpoints.issuer
        jwks_url = jwks_url or endpoints.jwks or f"{issuer}/jwks"
    # A URL that is not one is a usage error (exit 2), not a failed fetch.
    jwks_url = check_secure_url(jwks_url, what="--jwks-url", allow_loopback_http=True)
    try:
        response = session.http().get(jwks_url)
    except httpx.TransportError as exc:
        raise JWTError(
            f"could not fetch the signing keys from {jwks_url} ({type(exc).__name__})",
            error="jwks_unavailable",
            hint="check the network, the region and --ca-file",
        ) from None
    if response.status_code != 200:
        raise JWTError(
            f"could not fetch the signing keys from {jwks_url} (HTTP {response.status_code})",
            error="jwks_unavailable",
            status_code=response.status_code,
            hint="check --issuer/--jwks-url or the environment id",
        )
    jwks = load_json(
        response.content,
        what=f"the signing keys at {jwks_url}",
        exc_type=JWTError,
        error="jwks_unavailable",
    )
    claims = verify_jwt(raw, jwks=jwks, issuer=issuer, audience=audience)
    return dict(claims), issuer, jwks_url


def cmd_verify(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker verify``."""

    raw, source = read_token(args, session)
    fp = fingerprint(raw)
    try:
        claims, issuer, jwks_url = verify_token(
            raw, session, issuer=args.issuer, jwks_url=args.jwks_url, audience=args.audience
        )
    except JWTError as exc:
        out.emit_json(
            {
                "command": "verify",
                "ok": False,
                "source": source,
                "fingerprint": fp,
                "verified": False,
                "claims": {},
                "error": {
                    "type": type(exc).__name__,
                    "message": exc.message,
                    "hint": console_hint(exc.error, exc.hint),
                    "error": exc.error,
                },
            }
        )
        if not out.json_mode:
            out.error(
                f"token {fp} did NOT verify: {exc.message}", console_hint(exc.error, exc.hint)
            )
        return 1
    out.emit_json(
        {
            "command": "verify",
            "ok": True,
            "source": source,
            "fingerprint": fp,
            "issuer": issuer,
            "jwks_url": jwks_url,
            "verified": True,
            "claims": claims,
        }
    )
    out.heading(f"{out.mark(True)} JWT {fp} verified")
    out.panel([("issuer", issuer), ("keys", jwks_url)])
    out.write("  claims")
    out.panel(claim_rows(claims))
    return 0


def introspection_data(raw: str, session: Session) -> dict[str, Any]:
    """RFC 7662 introspection of ``raw`` with the configured app's credentials."""
    from httpx_pingone_worker.tokens._introspection import introspect_token

    endpoints = session.endpoints()
    url = endpoints.introspection
    if url is None:
        if session.custom_oidc:
            from . import CommandError

            raise CommandError(
                "no introspection endpoint is known for --token-endpoint alone",
                hint="pass --issuer: its discovery document names the introspection endpoint",
                exit_code=2,
            )
        url = f"{endpoints.issuer}/introspect"
    result = introspect_token(url, raw, session.credentials, client=session.http())
    scopes = getattr(result, "scopes", None)
    return {
        "active": bool(result.active),
        "client_id": getattr(result, "client_id", None),
        "scopes": sorted(scopes) if scopes else [],
        "exp": getattr(result, "exp", None),
        "iat": getattr(result, "iat", None),
        "iss": getattr(result, "iss", None),
        "aud": getattr(result, "aud", None),
        "token_type": getattr(result, "token_type", None),
    }


def cmd_introspect(args: argparse.Namespace, session: Session, out: Output) -> int:
    """``pingone-worker introspect``."""
    raw, source = read_token(args, session)
    data = introspection_data(raw, session)
    fp = fingerprint(raw)
    out.emit_json(
        {
            "command": "introspect",
            "ok": data["active"],
            "source": source,
            "fingerprint": fp,
            "active": data["active"],
            "introspection": data,
        }
    )
    state = out.ok("ACTIVE") if data["active"] else out.bad("INACTIVE")
    out.heading(f"Token {fp} is {state}")
    if data["active"]:
        rows = [(k, v) for k, v in data.items() if k != "active"]
        out.panel(claim_rows(dict(rows)))
    return 0 if data["active"] else 1
