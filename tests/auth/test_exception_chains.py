"""No error of a failed credential-carrying request chains the HTTP library's exception.

httpx's ``ConnectError`` (and every ``RequestError``) holds ``.request``: for a token request
its ``.content`` is ``client_secret=...`` or its headers carry the Basic ``Authorization``; for
an API call the worker token. The errors the library raises must keep the cause useful (its
type name and the endpoint in the message) without chaining it: the whole chain
(``__cause__``, ``__context__``, ``.request``, ``.response``, ``__notes__``) and the formatted
traceback are walked for the canary secret and token.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from auth_support import API_URL, HTTPX, Lib

from canary import (
    CANARY_CLIENT_ID,
    CANARY_ENV_ID,
    CANARY_SECRET,
    CANARY_TOKEN,
    assert_no_canary,
)
from httpx_pingone_worker import (
    ClientCredentials,
    IntrospectionError,
    JWKSCache,
    JWTError,
    ManagementApiError,
    PingOneClient,
    PingOneError,
    RetryPolicy,
    TokenEndpointUnreachableError,
    TokenError,
    aintrospect_token,
    arequest_client_credentials_token,
    introspect_token,
    request_client_credentials_token,
)

TOKEN_URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/token"
INTROSPECT_URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/introspect"
ONCE = RetryPolicy(max_attempts=1)
TWICE = RetryPolicy(max_attempts=2, backoff_base=0.0, backoff_max=0.0, jitter=0.0)
METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"]


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
        todo += list(getattr(e, "exceptions", ()))  # an exception group's members


def _attr(e: BaseException, name: str) -> Any:
    try:  # httpx raises RuntimeError for an unset .request
        return getattr(e, name, None)
    except RuntimeError:
        return None


def assert_clean_chain(exc: BaseException) -> None:
    """Every exception of the chain is the library's, and nothing in it holds a canary."""
    texts = ["".join(traceback.format_exception(exc))]
    for e in _chain(exc):
        assert isinstance(e, PingOneError), f"{type(e).__name__} chained to {exc!r}"
        texts += [str(e), repr(e), repr(getattr(e, "__notes__", ""))]
        for name in ("request", "response"):
            obj = _attr(e, name)
            assert obj is None, f"{type(e).__name__}.{name} is set"
    assert_no_canary("\n".join(texts))


def _failing(lib: Lib, error: str = "ConnectError") -> Callable[[Any], Any]:
    def handler(request: Any) -> Any:
        request.read()
        raise getattr(lib, error)("connection refused", request=request)

    return handler


def _auth(lib: Lib, method: str, **kw: Any) -> Any:
    return lib.WorkerAuth(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID, auth_method=method, **kw)


@pytest.mark.parametrize("retry", [ONCE, TWICE], ids=["one-attempt", "retried"])
@pytest.mark.parametrize("method", METHODS)
def test_get_token_unreachable_chains_no_request(lib: Lib, method: str, retry: Any) -> None:
    """get_token(): TokenEndpointUnreachableError without the ConnectError (and its request)."""
    client = lib.Client(transport=lib.MockTransport(_failing(lib)))
    auth = _auth(lib, method, http_client=client, retry=retry)
    with pytest.raises(TokenEndpointUnreachableError) as caught:
        auth.get_token()
    assert "ConnectError" in str(caught.value)
    assert "auth.pingone.com" in str(caught.value)
    assert_clean_chain(caught.value)
    client.close()


@pytest.mark.parametrize("error", ["ConnectError", "ReadTimeout"])
def test_auth_flow_unreachable_chains_no_request(lib: Lib, error: str) -> None:
    """The auth flow of a client request: the same, for a connect error and a timeout."""

    def handler(request: Any) -> Any:
        if request.url.host == "auth.pingone.com":
            return _failing(lib, error)(request)
        return lib.Response(200)

    auth = _auth(lib, "client_secret_post", retry=TWICE)
    with (
        lib.Client(auth=auth, transport=lib.MockTransport(handler)) as client,
        pytest.raises(TokenEndpointUnreachableError) as caught,
    ):
        client.get(API_URL)
    assert error in str(caught.value)
    assert_clean_chain(caught.value)


@pytest.mark.parametrize("method", METHODS)
def test_async_auth_flow_unreachable_chains_no_request(lib: Lib, method: str) -> None:
    """Async twin: AsyncClient(auth=...) and aget_token()."""
    auth = _auth(lib, method, retry=TWICE)

    async def main() -> list[BaseException]:
        errors: list[BaseException] = []
        async with lib.AsyncClient(auth=auth, transport=lib.MockTransport(_failing(lib))) as c:
            with pytest.raises(TokenEndpointUnreachableError) as first:
                await c.get(API_URL)
            errors.append(first.value)
            other = _auth(lib, method, retry=ONCE, async_http_client=c)
            with pytest.raises(TokenEndpointUnreachableError) as second:
                await other.aget_token()
            errors.append(second.value)
        return errors

    for err in asyncio.run(main()):
        assert_clean_chain(err)


def test_issuer_discovery_unreachable_chains_no_request(lib: Lib) -> None:
    """issuer=: a discovery that cannot connect."""
    client = lib.Client(transport=lib.MockTransport(_failing(lib)))
    auth = lib.WorkerAuth(
        CANARY_CLIENT_ID, CANARY_SECRET, None, issuer="https://idp.example.com", http_client=client
    )
    with pytest.raises(TokenError) as caught:
        auth.get_token()
    assert_clean_chain(caught.value)
    client.close()


@pytest.mark.parametrize("method", METHODS)
def test_standalone_request_unreachable_chains_no_request(lib: Lib, method: str) -> None:
    """request_client_credentials_token and its async twin."""
    with (
        lib.Client(transport=lib.MockTransport(_failing(lib))) as c,
        pytest.raises(TokenEndpointUnreachableError) as caught,
    ):
        request_client_credentials_token(
            TOKEN_URL, CANARY_CLIENT_ID, CANARY_SECRET, auth_method=method, client=c, retry=TWICE
        )
    assert_clean_chain(caught.value)

    async def main() -> BaseException:
        async with lib.AsyncClient(transport=lib.MockTransport(_failing(lib))) as c:
            with pytest.raises(TokenEndpointUnreachableError) as caught:
                await arequest_client_credentials_token(
                    TOKEN_URL,
                    CANARY_CLIENT_ID,
                    CANARY_SECRET,
                    auth_method=method,
                    client=c,
                    retry=TWICE,
                )
        return caught.value

    assert_clean_chain(asyncio.run(main()))


def test_introspection_unreachable_chains_no_request(lib: Lib) -> None:
    """introspect_token / aintrospect_token: the token and the secret were in the request."""
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    with (
        lib.Client(transport=lib.MockTransport(_failing(lib))) as c,
        pytest.raises(IntrospectionError) as caught,
    ):
        introspect_token(INTROSPECT_URL, CANARY_TOKEN, creds, client=c)
    assert "ConnectError" in str(caught.value)
    assert_clean_chain(caught.value)

    async def main() -> BaseException:
        async with lib.AsyncClient(transport=lib.MockTransport(_failing(lib))) as c:
            with pytest.raises(IntrospectionError) as caught:
                await aintrospect_token(INTROSPECT_URL, CANARY_TOKEN, creds, client=c)
        return caught.value

    assert_clean_chain(asyncio.run(main()))


def test_jwks_unreachable_chains_nothing() -> None:
    """JWKSCache: a fetch that cannot connect."""
    import httpx

    cache = JWKSCache(
        "https://auth.pingone.com/x/as/jwks", transport=httpx.MockTransport(_failing(HTTPX))
    )
    with pytest.raises(JWTError) as caught:
        cache.find("kid-1")
    assert_clean_chain(caught.value)


def test_management_api_unreachable_chains_no_request() -> None:
    """PingOneClient: the worker token was in the failed request's Authorization header."""
    import httpx

    with (
        PingOneClient(
            token=CANARY_TOKEN,
            environment_id=CANARY_ENV_ID,
            transport=httpx.MockTransport(_failing(HTTPX)),
            retry=False,
        ) as client,
        pytest.raises(ManagementApiError) as caught,
    ):
        client.get_environment()
    assert_clean_chain(caught.value)


def _undecodable(lib: Lib) -> Callable[[Any], Any]:
    """A token endpoint whose body httpx cannot decode (gzip announced, not sent)."""

    def handler(request: Any) -> Any:
        return lib.Response(
            200, headers={"Content-Encoding": "gzip"}, content=b"not gzip, not a token"
        )

    return handler


@pytest.mark.parametrize("method", METHODS)
def test_an_undecodable_token_response_raises_no_http_error(lib: Lib, method: str) -> None:
    """httpx's DecodingError (a RequestError, not a TransportError, whose .request holds the
    Basic header or the form) never reaches the caller: a TokenEndpointUnreachableError does,
    naming it, sync and async, through the auth flow and get_token()."""
    auth = _auth(lib, method, retry=TWICE)
    with (
        lib.Client(auth=auth, transport=lib.MockTransport(_undecodable(lib))) as client,
        pytest.raises(TokenEndpointUnreachableError) as caught,
    ):
        client.get(API_URL)
    assert "DecodingError" in str(caught.value)
    assert_clean_chain(caught.value)

    async def main() -> BaseException:
        async with lib.AsyncClient(transport=lib.MockTransport(_undecodable(lib))) as c:
            other = _auth(lib, method, retry=TWICE, async_http_client=c)
            with pytest.raises(TokenEndpointUnreachableError) as caught:
                await other.aget_token()
        return caught.value

    assert_clean_chain(asyncio.run(main()))


def test_an_undecodable_introspection_response_raises_no_http_error(lib: Lib) -> None:
    """introspect_token: the same body is an IntrospectionError, nothing chained."""
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, CANARY_ENV_ID)
    with (
        lib.Client(transport=lib.MockTransport(_undecodable(lib))) as c,
        pytest.raises(IntrospectionError) as caught,
    ):
        introspect_token(INTROSPECT_URL, CANARY_TOKEN, creds, client=c)
    assert_clean_chain(caught.value)


def test_an_undecodable_management_api_response_raises_no_http_error() -> None:
    """PingOneClient: httpx's DecodingError (its .request carries the worker token) becomes a
    ManagementApiError with nothing chained, sync and async."""
    from httpx_pingone_worker import AsyncPingOneClient

    transport = HTTPX.MockTransport(_undecodable(HTTPX))
    kw: dict[str, Any] = {"token": CANARY_TOKEN, "environment_id": CANARY_ENV_ID, "retry": False}
    with (
        PingOneClient(transport=transport, **kw) as client,
        pytest.raises(ManagementApiError) as caught,
    ):
        client.get_environment()
    assert "DecodingError" in str(caught.value)
    assert_clean_chain(caught.value)

    async def main() -> BaseException:
        async with AsyncPingOneClient(transport=transport, **kw) as client:
            with pytest.raises(ManagementApiError) as caught:
                await client.get_environment()
        return caught.value

    assert_clean_chain(asyncio.run(main()))
