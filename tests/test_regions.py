"""Regions, endpoints, OIDC discovery parsing and HTTPS enforcement."""

from __future__ import annotations

import json

import pytest

from canary import CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import Endpoints, Region
from httpx_pingone_worker._core._errors import ConfigurationError, InsecureTransportError
from httpx_pingone_worker._core._regions import check_secure_url, endpoints_for, is_loopback_host
from httpx_pingone_worker.oauth._discovery_doc import discovery_url, parse_discovery_document

HOSTS = {
    "NA": ("auth.pingone.com", "api.pingone.com"),
    "EU": ("auth.pingone.eu", "api.pingone.eu"),
    "CA": ("auth.pingone.ca", "api.pingone.ca"),
    "AU": ("auth.pingone.com.au", "api.pingone.com.au"),
    "SG": ("auth.pingone.sg", "api.pingone.sg"),
    "AP": ("auth.pingone.asia", "api.pingone.asia"),
}


# --- Region -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(HOSTS))
def test_all_six_regions_and_hosts(code: str) -> None:
    """Each region has the auth and API hosts PingOne documents."""
    region = Region.parse(code)
    auth, api = HOSTS[code]
    assert region.value == code
    assert region.auth_host == auth
    assert region.api_host == api
    assert region.auth_base_url == f"https://{auth}"
    assert region.api_base_url == f"https://{api}/v1"
    assert str(region) == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("na", Region.NA),
        ("Eu", Region.EU),
        (" ca ", Region.CA),
        ("aU", Region.AU),
        ("sg", Region.SG),
        ("ap", Region.AP),
        ("Europe", Region.EU),
        ("north_america", Region.NA),
        ("com.au", Region.AU),
        ("asia", Region.AP),
        ("Asia_Pacific", Region.AP),
        ("singapore", Region.SG),
        ("Canada", Region.CA),
        ("us", Region.NA),
    ],
)
def test_parse_case_insensitive_and_aliases(text: str, expected: Region) -> None:
    """Codes parse case-insensitively, and PingOne's region names are aliases."""
    assert Region.parse(text) is expected


def test_parse_none_and_region() -> None:
    """None means NA; a Region passes through."""
    assert Region.parse(None) is Region.NA
    assert Region.parse(Region.SG) is Region.SG


@pytest.mark.parametrize("bad", ["XX", "", "north america", "eu-west-1"])
def test_unknown_region_lists_valid_codes(bad: str) -> None:
    """An unknown code is an error listing every valid code (never a fallback to NA)."""
    with pytest.raises(ConfigurationError) as info:
        Region.parse(bad)
    text = str(info.value)
    for code in HOSTS:
        assert code in text


def test_region_wrong_type() -> None:
    """A non-string region is a ConfigurationError, not an AttributeError."""
    with pytest.raises(ConfigurationError, match="must be a str"):
        Region.parse(3)  # type: ignore[arg-type]


# --- endpoints --------------------------------------------------------------------------


def test_default_endpoints() -> None:
    """The default layout is https://auth.pingone.<tld>/<envId>/as/... and the API /v1."""
    ep = endpoints_for(CANARY_ENV_ID, "EU")
    base = f"https://auth.pingone.eu/{CANARY_ENV_ID}/as"
    assert ep == Endpoints(
        issuer=base,
        token=f"{base}/token",
        jwks=f"{base}/jwks",
        introspection=f"{base}/introspect",
        discovery=f"{base}/.well-known/openid-configuration",
        revocation=f"{base}/revoke",
        api_base_url="https://api.pingone.eu/v1",
    )


def test_default_region_is_na() -> None:
    """Without a region the NA hosts are used."""
    ep = endpoints_for(CANARY_ENV_ID)
    assert ep.token == f"https://auth.pingone.com/{CANARY_ENV_ID}/as/token"
    assert ep.api_base_url == "https://api.pingone.com/v1"


def test_auth_base_url_override() -> None:
    """auth_base_url replaces the host and keeps /<envId>/as; trailing slash ignored."""
    ep = endpoints_for(
        CANARY_ENV_ID,
        "AU",
        auth_base_url="https://auth.example.test/",
        api_base_url="https://api.example.test/v1/",
    )
    assert ep.issuer == f"https://auth.example.test/{CANARY_ENV_ID}/as"
    assert ep.token == f"https://auth.example.test/{CANARY_ENV_ID}/as/token"
    assert ep.api_base_url == "https://api.example.test/v1"


def test_custom_domain() -> None:
    """A custom domain drops the environment id from the path; the API host stays."""
    ep = endpoints_for(CANARY_ENV_ID, "CA", custom_domain="login.example.test")
    assert ep.issuer == "https://login.example.test/as"
    assert ep.token == "https://login.example.test/as/token"
    assert ep.jwks == "https://login.example.test/as/jwks"
    assert ep.api_base_url == "https://api.pingone.ca/v1"
    # Environment id not needed for a custom domain.
    assert endpoints_for(None, custom_domain="https://login.example.test").issuer == (
        "https://login.example.test/as"
    )


def test_custom_domain_must_be_https() -> None:
    """A custom domain given as http:// is rejected."""
    with pytest.raises(InsecureTransportError):
        endpoints_for(CANARY_ENV_ID, custom_domain="http://login.example.test")


def test_explicit_token_endpoint() -> None:
    """An explicit token endpoint wins for the token URL only."""
    ep = endpoints_for(CANARY_ENV_ID, token_endpoint="https://idp.example.test/oauth/token")
    assert ep.token == "https://idp.example.test/oauth/token"
    assert ep.issuer == f"https://auth.pingone.com/{CANARY_ENV_ID}/as"
    with pytest.raises(InsecureTransportError):
        endpoints_for(CANARY_ENV_ID, token_endpoint="http://idp.example.test/token")


def test_environment_id_required() -> None:
    """Without an environment id (and no custom domain) the error says how to set it."""
    with pytest.raises(ConfigurationError, match="PINGONE_ENVIRONMENT_ID"):
        endpoints_for(None, "NA")


def test_loopback_endpoints_with_opt_in() -> None:
    """The emulator's http://127.0.0.1 base works only with allow_loopback_http."""
    with pytest.raises(InsecureTransportError):
        endpoints_for(CANARY_ENV_ID, auth_base_url="http://127.0.0.1:9999")
    ep = endpoints_for(
        CANARY_ENV_ID,
        auth_base_url="http://127.0.0.1:9999",
        api_base_url="http://127.0.0.1:9999/v1",
        allow_loopback_http=True,
    )
    assert ep.token == f"http://127.0.0.1:9999/{CANARY_ENV_ID}/as/token"


# --- HTTPS enforcement ------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "api.localhost", "LOCALHOST"]
)
def test_loopback_hosts(host: str) -> None:
    """Loopback names and addresses are recognised."""
    assert is_loopback_host(host)
    url = f"http://{host}:8080/x"
    with pytest.raises(InsecureTransportError, match="allow_loopback_http"):
        check_secure_url(url, what="auth_base_url")
    assert check_secure_url(url, what="auth_base_url", allow_loopback_http=True) == url


@pytest.mark.parametrize(
    "host", ["example.com", "10.0.0.1", "192.168.1.1", "localhost.example.com", "[::2]"]
)
def test_http_non_loopback_rejected_even_with_opt_in(host: str) -> None:
    """Plain http to any other host is rejected, naming the URL, even with the opt-in."""
    url = f"http://{host}/token"
    assert not is_loopback_host(host)
    with pytest.raises(InsecureTransportError) as info:
        check_secure_url(url, what="token_endpoint", allow_loopback_http=True)
    assert url in info.value.message
    assert "token_endpoint" in info.value.message


def test_https_accepted_and_normalised() -> None:
    """HTTPS passes with whitespace and trailing slash removed; scheme case-insensitive."""
    assert check_secure_url(" https://a.test/b/ ", what="x") == "https://a.test/b"
    assert check_secure_url("HTTPS://a.test", what="x") == "HTTPS://a.test"


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pw@a.test/x",
        "https://user@a.test/x",
        "http://user:pw@127.0.0.1/x",
    ],
)
def test_userinfo_rejected(url: str) -> None:
    """URLs carrying user info are rejected (credentials end up in logs and proxies)."""
    with pytest.raises(ConfigurationError, match="user info"):
        check_secure_url(url, what="x", allow_loopback_http=True)


@pytest.mark.parametrize("url", ["", "   ", "a.test/token", "/as/token", "ftp://a.test", "ws://a"])
def test_malformed_or_other_schemes(url: str) -> None:
    """Empty, relative and non-http(s) URLs are configuration errors."""
    with pytest.raises(ConfigurationError):
        check_secure_url(url, what="x", allow_loopback_http=True)


def test_insecure_url_message_hides_query() -> None:
    """A rejected URL is named without its query string (it may hold a secret)."""
    with pytest.raises(InsecureTransportError) as info:
        check_secure_url(f"http://a.test/t?client_secret={CANARY_SECRET}", what="x")
    assert "http://a.test/t" in info.value.message
    assert_no_canary(str(info.value))


# --- OIDC discovery ---------------------------------------------------------------------

ISSUER = "https://idp.example.test/realm"


def doc(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "issuer": ISSUER,
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
        "introspection_endpoint": f"{ISSUER}/introspect",
        "revocation_endpoint": f"{ISSUER}/revoke",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_discovery_url() -> None:
    """The discovery URL is <issuer>/.well-known/openid-configuration, HTTPS only."""
    assert discovery_url(ISSUER + "/") == f"{ISSUER}/.well-known/openid-configuration"
    with pytest.raises(InsecureTransportError):
        discovery_url("http://idp.example.test")


@pytest.mark.parametrize("as_type", ["bytes", "str", "mapping"])
def test_discovery_parsed(as_type: str) -> None:
    """A valid document yields its endpoints, from bytes, str or a mapping."""
    body: object = doc()
    if as_type == "str":
        body = json.dumps(body)
    elif as_type == "bytes":
        body = json.dumps(body).encode()
    ep = parse_discovery_document(ISSUER, body, api_base_url="https://api.pingone.com/v1")  # type: ignore[arg-type]
    assert ep.issuer == ISSUER
    assert ep.token == f"{ISSUER}/token"
    assert ep.jwks == f"{ISSUER}/jwks"
    assert ep.introspection == f"{ISSUER}/introspect"
    assert ep.revocation == f"{ISSUER}/revoke"
    assert ep.discovery == f"{ISSUER}/.well-known/openid-configuration"
    assert ep.api_base_url == "https://api.pingone.com/v1"


def test_discovery_optional_fields_absent() -> None:
    """Absent optional endpoints are None; a trailing slash on the issuer is tolerated."""
    ep = parse_discovery_document(
        ISSUER, doc(issuer=ISSUER + "/", jwks_uri=None, introspection_endpoint=None)
    )
    assert ep.jwks is None
    assert ep.introspection is None


def test_discovery_issuer_mismatch() -> None:
    """A document for another issuer is rejected (mix-up attack)."""
    with pytest.raises(ConfigurationError, match="issuer does not match"):
        parse_discovery_document(ISSUER, doc(issuer="https://evil.example.test/realm"))
    with pytest.raises(ConfigurationError, match="issuer"):
        parse_discovery_document(ISSUER, doc(issuer=None))


def test_discovery_non_https_endpoint() -> None:
    """An http:// endpoint in the document is rejected, naming the field."""
    with pytest.raises(InsecureTransportError, match="token_endpoint"):
        parse_discovery_document(ISSUER, doc(token_endpoint="http://idp.example.test/token"))
    with pytest.raises(InsecureTransportError, match="jwks_uri"):
        parse_discovery_document(ISSUER, doc(jwks_uri="http://idp.example.test/jwks"))


def test_discovery_missing_token_endpoint() -> None:
    """A document without token_endpoint is rejected with a hint."""
    with pytest.raises(ConfigurationError, match="no token_endpoint") as info:
        parse_discovery_document(ISSUER, doc(token_endpoint=None))
    assert info.value.hint is not None
    assert "token_endpoint=" in info.value.hint


def test_discovery_field_wrong_type() -> None:
    """A non-string endpoint field is rejected, naming it."""
    with pytest.raises(ConfigurationError, match="jwks_uri"):
        parse_discovery_document(ISSUER, doc(jwks_uri=["x"]))


@pytest.mark.parametrize(
    "body", [b"<html>oops</html>", b"", b"\xff\xfe", "[1, 2]", '"issuer"', b"null"]
)
def test_discovery_not_json_object(body: bytes | str) -> None:
    """Non-JSON and non-object bodies are rejected without quoting the body."""
    with pytest.raises(ConfigurationError) as info:
        parse_discovery_document(ISSUER, body)
    assert "oops" not in str(info.value)


def test_discovery_body_never_quoted() -> None:
    """A body with a secret in it does not leak into the error."""
    with pytest.raises(ConfigurationError) as info:
        parse_discovery_document(ISSUER, f"<html>{CANARY_SECRET}</html>")
    assert_no_canary(str(info.value))
    assert_no_canary(repr(info.value))


def test_discovery_loopback_opt_in() -> None:
    """A loopback http issuer and endpoints pass only with allow_loopback_http."""
    issuer = "http://127.0.0.1:8000/as"
    body = {"issuer": issuer, "token_endpoint": f"{issuer}/token"}
    with pytest.raises(InsecureTransportError):
        parse_discovery_document(issuer, body)
    ep = parse_discovery_document(issuer, body, allow_loopback_http=True)
    assert ep.token == f"{issuer}/token"
