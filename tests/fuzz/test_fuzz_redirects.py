"""Any redirect answer to a token or introspection request: refused, described by host only.

The ``Location`` header is attacker-controlled: whatever it holds (userinfo, a path or query
carrying a secret, a bad port, an unclosed IPv6 bracket, raw bytes), the request is never
repeated anywhere, the error is the library's (``TokenRequestError`` /
``IntrospectionError``) and its text never quotes the path, query or userinfo.
"""

from __future__ import annotations

from typing import Any

import httpx
from fuzz_support import CANARY, raises_library_error
from hypothesis import example, given
from hypothesis import strategies as st

from httpx_pingone_worker import (
    ClientCredentials,
    IntrospectionError,
    RetryPolicy,
    TokenRequestError,
    introspect_token,
    request_client_credentials_token,
)

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
TOKEN_URL = f"https://auth.pingone.com/{ENV}/as/token"
INTROSPECT_URL = f"https://auth.pingone.com/{ENV}/as/introspect"
ONCE = RetryPolicy(max_attempts=3, backoff_base=0.0, backoff_max=0.0, jitter=0.0)

_hosts = st.one_of(
    st.sampled_from(["evil.example", "auth.pingone.com", "[::1", "[::1]", "xn--bcher-kva.ch", ""]),
    st.text(st.characters(codec="ascii", exclude_characters="\r\n\x00/?#@"), max_size=30),
)
_schemes = st.sampled_from(["https://", "http://", "ftp://", "//", "", "javascript:"])
_ports = st.sampled_from(["", ":443", ":8443", ":abc", ":99999", ":"])
#: Structured locations with the canary in every part the error must not quote.
_structured = st.builds(
    lambda scheme, user, host, port, path, query: f"{scheme}{user}{host}{port}{path}{query}",
    _schemes,
    st.sampled_from(["", f"user:{CANARY}@", f"{CANARY}@"]),
    _hosts,
    _ports,
    st.sampled_from(["", "/", f"/{CANARY}", f"/steal/{CANARY}/x"]),
    st.sampled_from(["", f"?client_secret={CANARY}", f"#{CANARY}"]),
)
#: Raw header bytes (no CR/LF/NUL, which no HTTP parser would hand over).
_raw = st.binary(max_size=80).filter(lambda b: not set(b) & {10, 13, 0})


class Redirector:
    def __init__(self, status: int, location: bytes) -> None:
        self.status = status
        self.location = location
        self.requests: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return httpx.Response(self.status, headers=[(b"Location", self.location)])


def _encode(location: str | bytes) -> bytes:
    return location if isinstance(location, bytes) else location.encode("utf-8")


@given(
    status=st.sampled_from([300, 301, 302, 303, 304, 305, 307, 308, 399]),
    location=st.one_of(_structured, _raw),
)
@example(status=307, location=f"https://user:{CANARY}@evil.example/{CANARY}?{CANARY}")
@example(status=308, location=f"https://[::1/{CANARY}")
def test_any_redirect_of_the_token_endpoint_is_refused_by_host(
    status: int, location: str | bytes
) -> None:
    """Every 3xx, any Location: one request, a TokenRequestError without the URL's secrets."""
    server = Redirector(status, _encode(location))
    with httpx.Client(transport=httpx.MockTransport(server.handler), follow_redirects=True) as c:
        err = raises_library_error(
            lambda: request_client_credentials_token(
                TOKEN_URL, CLIENT_ID, "not-the-canary-secret", client=c, retry=ONCE
            ),
            TokenRequestError,
        )
    assert err.status_code == status
    assert err.error == "redirect"
    assert server.requests == [TOKEN_URL]


@given(location=st.one_of(_structured, _raw))
def test_any_redirect_of_the_introspection_endpoint_is_refused_by_host(
    location: str | bytes,
) -> None:
    """Introspection: the same property."""
    server = Redirector(307, _encode(location))
    creds = ClientCredentials(CLIENT_ID, "not-the-canary-secret", ENV)
    with httpx.Client(transport=httpx.MockTransport(server.handler), follow_redirects=True) as c:
        err: Any = raises_library_error(
            lambda: introspect_token(INTROSPECT_URL, "some-token", creds, client=c),
            IntrospectionError,
        )
    assert err.status_code == 307
    assert server.requests == [INTROSPECT_URL]
