"""PingOne regions, their hosts, and the endpoints of an environment.

Everything here is pure: no I/O. The OIDC discovery document (request URL and parser) is
in ``_discovery_doc``.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._errors import ConfigurationError, InsecureTransportError
from ._input import split_url

__all__ = [
    "Endpoints",
    "Region",
    "check_secure_url",
    "display_url",
    "endpoints_for",
    "is_loopback_host",
]


class Region(str, enum.Enum):
    """A PingOne region. Parse user input with ``Region.parse`` (case-insensitive)."""

    NA = "NA"
    EU = "EU"
    CA = "CA"
    AU = "AU"
    SG = "SG"
    AP = "AP"

    @property
    def tld(self) -> str:
        """Top-level domain of the region's PingOne hosts (``com``, ``eu``, ``com.au`` …)."""
        return _TLDS[self]

    @property
    def auth_host(self) -> str:
        """``auth.pingone.<tld>``."""
        return f"auth.pingone.{self.tld}"

    @property
    def api_host(self) -> str:
        """``api.pingone.<tld>``."""
        return f"api.pingone.{self.tld}"

    @property
    def auth_base_url(self) -> str:
        """``https://auth.pingone.<tld>`` (no environment id)."""
        return f"https://{self.auth_host}"

    @property
    def api_base_url(self) -> str:
        """``https://api.pingone.<tld>/v1``."""
        return f"https://{self.api_host}/v1"

    @classmethod
    def parse(cls, value: str | Region | None) -> Region:
        """Parse a region code case-insensitively; ``None`` means NA.

        Unknown codes raise ``ConfigurationError`` listing the valid ones: PingOne's
        Go SDK silently falls back to NA, which sends credentials to the wrong continent.
        """
        if value is None:
            return cls.NA
        if isinstance(value, Region):
            return value
        if not isinstance(value, str):
            raise ConfigurationError(
                f"region must be a str or Region, not {type(value).__name__}",
                hint=f"use one of {', '.join(r.value for r in cls)}",
            )
        code = value.strip().upper()
        if code in _ALIASES:
            code = _ALIASES[code]
        try:
            return cls(code)
        except ValueError:
            raise ConfigurationError(
                f"unknown PingOne region {_shown_code(value.strip())}",
                hint=f"use one of {', '.join(r.value for r in cls)} (case-insensitive)",
            ) from None

    def __str__(self) -> str:
        return self.value


def _shown_code(value: str) -> str:
    """A mistyped code quoted back (``'EUR'``), or only its length when it could be a secret
    pasted into the wrong variable (long, or not letters only)."""
    if _CODE_LIKE.fullmatch(value):
        return repr(value)
    return f"(a value of {len(value)} characters that is not a region code; not shown)"


_CODE_LIKE = re.compile(r"[A-Za-z][A-Za-z_. ]{0,15}")

_TLDS: dict[Region, str] = {
    Region.NA: "com",
    Region.EU: "eu",
    Region.CA: "ca",
    Region.AU: "com.au",
    Region.SG: "sg",
    Region.AP: "asia",
}
# Names PingOne's own docs and SDKs use for the same regions.
_ALIASES = {
    "NORTHAMERICA": "NA",
    "NORTH_AMERICA": "NA",
    "US": "NA",
    "COM": "NA",
    "EUROPE": "EU",
    "CANADA": "CA",
    "AUSTRALIA": "AU",
    "COM.AU": "AU",
    "SINGAPORE": "SG",
    "ASIA": "AP",
    "ASIAPACIFIC": "AP",
    "ASIA_PACIFIC": "AP",
}


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1``."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: Path characters shown in messages: PingOne's paths (lower-case ids, ``/as/token``). A path
#: with anything else (upper case, ``%``, ``=`` …) may carry a pasted secret and shows as ``/…``.
_PLAIN_PATH = re.compile(r"[a-z0-9/._~-]*")
_PLAIN_SCHEME = re.compile(r"[a-z][a-z0-9+.-]{0,9}")


def display_url(url: str) -> str:
    """``url`` safe to print or log: no user info, query or fragment (they may hold
    credentials or tokens), and the path only when it looks like a plain API path.

    The one helper for every URL the project shows (the pytest report header, the console,
    log lines, error messages): ``https://svc:SECRET@proxy.example/v1`` becomes
    ``https://proxy.example/v1``.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except (ValueError, TypeError, AttributeError):
        return "<not a valid URL>"
    if ":" in host:
        host = f"[{host}]"
    path = parts.path if _PLAIN_PATH.fullmatch(parts.path) else "/…"
    tail = "?…" if parts.query or parts.fragment else ""
    scheme = parts.scheme if _PLAIN_SCHEME.fullmatch(parts.scheme) else "…"
    return f"{scheme}://{host}{port}{path}{tail}"


_display = display_url  # the older private name, still imported elsewhere


def check_secure_url(url: str, *, what: str, allow_loopback_http: bool = False) -> str:
    """Return ``url`` without a trailing slash if it is safe to send credentials to.

    HTTPS is required. Plain ``http://`` passes only for a loopback host *and* only when
    ``allow_loopback_http`` is true (the emulator and tests). Anything else raises
    ``InsecureTransportError`` naming the URL and the setting.
    """
    if not isinstance(url, str) or not url.strip():
        raise ConfigurationError(f"{what} is empty", hint="give a full https:// URL")
    url = url.strip()
    parts = split_url(url, what=what)
    if not parts.scheme or not parts.hostname:
        raise ConfigurationError(
            # Not echoed: a value that is not a URL may be a secret pasted into the wrong place.
            f"{what} is not an absolute URL",
            hint="give a full URL such as https://auth.pingone.com/<environment-id>/as/token",
        )
    if parts.username or parts.password:
        # Credentials in a URL end up in logs and proxies; never accept them.
        raise ConfigurationError(
            f"{what} must not carry user info (user:password@)",
            hint="pass credentials as client_id/client_secret instead",
        )
    scheme = parts.scheme.lower()
    if scheme == "https":
        return url.rstrip("/")
    if scheme == "http":
        if not is_loopback_host(parts.hostname):
            raise InsecureTransportError(
                f"{what} {_display(url)!r} uses plain http to a non-loopback host",
                hint="use https://; plain http is only allowed for 127.0.0.1, ::1 or localhost",
            )
        if not allow_loopback_http:
            raise InsecureTransportError(
                f"{what} {_display(url)!r} uses plain http",
                hint="pass allow_loopback_http=True to allow http:// to a loopback host "
                "(emulator and tests only)",
            )
        return url.rstrip("/")
    shown = f" {scheme!r}" if _PLAIN_SCHEME.fullmatch(scheme) else ""
    raise InsecureTransportError(
        f"{what} {_display(url)!r} uses an unsupported scheme{shown}", hint="use https://"
    )


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The URLs of one PingOne environment (or of a custom OIDC server).

    ``api_base_url`` is ``None`` for a custom OIDC server that is not PingOne.
    """

    issuer: str
    token: str
    jwks: str | None
    introspection: str | None
    discovery: str | None
    revocation: str | None
    api_base_url: str | None


def endpoints_for(
    environment_id: str | None,
    region: Region | str | None = None,
    *,
    auth_base_url: str | None = None,
    api_base_url: str | None = None,
    custom_domain: str | None = None,
    token_endpoint: str | None = None,
    allow_loopback_http: bool = False,
) -> Endpoints:
    """Compute an environment's endpoints from PingOne's URL layout.

    - default: ``https://auth.pingone.<tld>/<envId>/as/...``;
    - ``auth_base_url``: a host override (emulator, ``PINGONE_AUTH_SERVICE_HOSTNAME``),
      still followed by ``/<envId>/as``;
    - ``custom_domain``: ``https://<domain>/as/...`` with no environment id in the path;
      the API host does not change;
    - ``token_endpoint``: an explicit token URL wins for the token endpoint only.
    """
    reg = Region.parse(region)
    if custom_domain:
        base = custom_domain if "://" in custom_domain else f"https://{custom_domain}"
        base = check_secure_url(base, what="custom_domain", allow_loopback_http=allow_loopback_http)
        env_base = base
    else:
        if not environment_id:
            raise ConfigurationError(
                "environment_id is required to build PingOne endpoints",
                hint="pass environment_id= or set PINGONE_ENVIRONMENT_ID",
            )
        base = check_secure_url(
            auth_base_url or reg.auth_base_url,
            what="auth_base_url",
            allow_loopback_http=allow_loopback_http,
        )
        env_base = f"{base}/{environment_id}"
    issuer = f"{env_base}/as"
    api = check_secure_url(
        api_base_url or reg.api_base_url,
        what="api_base_url",
        allow_loopback_http=allow_loopback_http,
    )
    token = (
        check_secure_url(
            token_endpoint, what="token_endpoint", allow_loopback_http=allow_loopback_http
        )
        if token_endpoint
        else f"{issuer}/token"
    )
    return Endpoints(
        issuer=issuer,
        token=token,
        jwks=f"{issuer}/jwks",
        introspection=f"{issuer}/introspect",
        discovery=f"{issuer}/.well-known/openid-configuration",
        revocation=f"{issuer}/revoke",
        api_base_url=api,
    )
