"""OIDC discovery, sans-IO: the discovery URL of an issuer and the document's validation.

The sync and async shells (the token engine's drivers) fetch the URL; this module only says
what to fetch and what the answer means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._input import load_json
from httpx_pingone_worker._core._regions import Endpoints, _display, check_secure_url

__all__ = ["discovery_url", "parse_discovery_document"]


def discovery_url(issuer: str, *, allow_loopback_http: bool = False) -> str:
    """The OIDC discovery URL of ``issuer`` (RFC 8414 / OIDC Discovery §4)."""
    issuer = check_secure_url(issuer, what="issuer", allow_loopback_http=allow_loopback_http)
    return f"{issuer}/.well-known/openid-configuration"


def parse_discovery_document(
    issuer: str,
    body: bytes | str | Mapping[str, Any],
    *,
    allow_loopback_http: bool = False,
    api_base_url: str | None = None,
) -> Endpoints:
    """Validate a discovery document for ``issuer`` and return its endpoints.

    Checks: JSON object, ``issuer`` equal to the expected issuer (OIDC Discovery §4.3,
    trailing slash ignored), every endpoint HTTPS (or opted-in loopback http), and a
    ``token_endpoint`` present. The body is never quoted in an error.
    """
    expected = check_secure_url(issuer, what="issuer", allow_loopback_http=allow_loopback_http)
    if isinstance(body, Mapping):
        doc: Any = body
    else:
        doc = load_json(
            body,
            what=f"discovery document of {expected}",
            exc_type=ConfigurationError,
            hint="check that the issuer URL points at an OpenID Connect provider",
        )
    if not isinstance(doc, Mapping):
        raise ConfigurationError(f"discovery document of {expected} is not a JSON object")
    got = doc.get("issuer")
    if not isinstance(got, str) or got.rstrip("/") != expected:
        raise ConfigurationError(
            f"discovery document issuer does not match: expected {expected!r}, got "
            f"{_display(got)!r}"
            if isinstance(got, str)
            else f"discovery document of {expected} has no string issuer",
            hint="the issuer= setting must be exactly the provider's issuer URL",
        )

    def opt(key: str) -> str | None:
        value = doc.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigurationError(f"discovery document field {key!r} is not a string")
        return check_secure_url(value, what=key, allow_loopback_http=allow_loopback_http)

    token = opt("token_endpoint")
    if token is None:
        raise ConfigurationError(
            f"discovery document of {expected} has no token_endpoint",
            hint="pass token_endpoint= explicitly",
        )
    return Endpoints(
        issuer=expected,
        token=token,
        jwks=opt("jwks_uri"),
        introspection=opt("introspection_endpoint"),
        discovery=f"{expected}/.well-known/openid-configuration",
        revocation=opt("revocation_endpoint"),
        api_base_url=api_base_url,
    )
