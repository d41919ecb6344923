"""Redirects are never followed with a credential: describe one without quoting it.

A request that carries a client secret, an assertion or a token (token, introspection,
discovery, JWKS) is sent exactly once, to the URL it was built for. When the server answers
with a redirect, the error names the status and the *host* of the ``Location`` header only:
the full URL may itself carry secrets (a query string, userinfo) and is attacker-chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urljoin, urlsplit

__all__ = ["is_redirect", "redirect_hint", "redirect_target", "same_origin"]

#: Longest host name shown (a DNS name is at most 253 characters).
_MAX_HOST = 253
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_:[]")


def is_redirect(status_code: int) -> bool:
    """True for a 3xx status (every 3xx: none is followed with a credential)."""
    return 300 <= status_code < 400


def _location(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if isinstance(name, str) and name.lower() == "location":
            return value if isinstance(value, str) else None
    return None


def redirect_target(headers: Mapping[str, str], base_url: str) -> str:
    """Where a redirect points, as a phrase naming its scheme and host only.

    ``headers`` are the response headers (the ``Location`` header is untrusted input),
    ``base_url`` the URL the request went to (a relative ``Location`` resolves against it).
    Never raises, never returns a path, query, fragment or userinfo:
    ``"https://evil.example"``, ``"http://auth.pingone.com"``, ``"no Location header"`` or
    ``"an invalid Location"``.
    """
    location = _location(headers)
    if location is None or not location.strip():
        return "no Location header"
    try:
        parts = urlsplit(urljoin(base_url, location.strip()))
        host = parts.hostname or ""
        scheme = parts.scheme.lower()
    except ValueError:  # e.g. an unclosed "[::1" or a bad port
        return "an invalid Location"
    if (
        not host
        or len(host) > _MAX_HOST
        or not set(host) <= _HOST_CHARS
        or scheme not in ("http", "https")
    ):
        return "an invalid Location"
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}"


def same_origin(url: str, other: str) -> bool:
    """True when both URLs have the same scheme, host and port (default ports filled in)."""

    def origin(u: str) -> tuple[str, str, int | None] | None:
        try:
            parts = urlsplit(u)
            scheme = parts.scheme.lower()
            port = parts.port or {"http": 80, "https": 443}.get(scheme)
            return scheme, (parts.hostname or "").lower(), port
        except ValueError:
            return None

    mine = origin(url)
    return mine is not None and mine == origin(other)


def redirect_hint(what: str) -> str:
    """The hint of every redirect error: ``what`` is e.g. ``"token endpoints"``."""
    return (
        f"{what} must not redirect, and a request carrying a credential never follows one; "
        "configure the final URL (check region, custom domain, auth_base_url or issuer, and "
        "any proxy in between)"
    )
