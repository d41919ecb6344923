"""``request_client_credentials_token`` and its async twin: one token, no auth object.

Thin shells: they build the request, run ``request_token_flow`` through a driver and
return the [`Token`][httpx_pingone_worker.Token].
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable

import httpx

from httpx_pingone_worker._core._logging import (
    register_secret,
)
from httpx_pingone_worker._core._regions import check_secure_url
from httpx_pingone_worker._core._retry import (
    DEFAULT_RETRY,
    RetryPolicy,
)
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token, normalize_scopes
from httpx_pingone_worker.caches._memory import cache_key as make_cache_key
from httpx_pingone_worker.credentials._credentials import parse_auth_method
from httpx_pingone_worker.oauth._token_request import (
    TokenRequest,
    build_token_request,
)

from ._drivers import (
    run_async_flow,
    run_sync_flow,
)
from ._flow import (
    Flow,
    request_token_flow,
)

__all__ = [
    "arequest_client_credentials_token",
    "default_cache_key",
    "request_client_credentials_token",
]


# --- public shells ----------------------------------------------------------------------


def _wrapped(
    client_secret: str | Secret | None, private_key: str | bytes | Secret | None
) -> tuple[str | Secret | None, str | bytes | Secret | None]:
    """The secret and key as ``Secret`` (values of another type pass through, for the
    request builder to refuse): the public shells rebind their parameters to these first, so
    no frame a failure unwinds through holds them raw (``pytest -l``)."""
    if isinstance(client_secret, str):
        client_secret = Secret(client_secret)
    if isinstance(private_key, bytes):
        with contextlib.suppress(UnicodeDecodeError):
            private_key = private_key.decode("utf-8")
    if isinstance(private_key, str):
        private_key = Secret(private_key)
    return client_secret, private_key


def _standalone_flow(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None,
    *,
    auth_method: str,
    private_key: str | bytes | Secret | None,
    key_id: str | None,
    clock: Callable[[], float],
    retry: RetryPolicy,
    allow_loopback_http: bool,
) -> Flow:
    url = check_secure_url(endpoint, what="token endpoint", allow_loopback_http=allow_loopback_http)
    method = parse_auth_method(auth_method)
    register_secret(client_secret)
    requested = normalize_scopes(scopes)

    def build(now: float) -> TokenRequest:
        return build_token_request(
            url,
            client_id,
            client_secret,
            requested,
            auth_method=method,
            private_key=private_key,
            key_id=key_id,
            now=now,
        )

    build(clock())  # fail fast on configuration errors, before any I/O
    return request_token_flow(build, endpoint=url, policy=retry, clock=clock)


def request_client_credentials_token(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None = None,
    *,
    auth_method: str = "client_secret_basic",
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    client: httpx.Client | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    allow_loopback_http: bool = False,
) -> Token:
    """Get one client-credentials token from ``endpoint`` (no caching).

    Uses ``client`` when given (its transport, proxies, TLS settings and timeout apply; its
    event hooks, auth and ``follow_redirects`` do not), else a short-lived client with
    ``timeout``. A redirect is never followed: a ``3xx`` is a ``TokenRequestError`` with
    ``error="redirect"``. Retries 408/429/5xx and transport failures under
    ``retry``. Raises ``TokenRequestError`` (OAuth error), ``TokenProtocolError``
    (unusable answer) or ``TokenEndpointUnreachableError`` (network, retries spent).
    """
    client_secret, private_key = _wrapped(client_secret, private_key)
    flow = _standalone_flow(
        endpoint,
        client_id,
        client_secret,
        scopes,
        auth_method=auth_method,
        private_key=private_key,
        key_id=key_id,
        clock=clock or time.time,
        retry=retry,
        allow_loopback_http=allow_loopback_http,
    )
    if client is not None:
        return run_sync_flow(flow, client)
    with httpx.Client(timeout=timeout) as own:
        return run_sync_flow(flow, own)


async def arequest_client_credentials_token(
    endpoint: str,
    client_id: str,
    client_secret: str | Secret | None,
    scopes: str | Iterable[str] | None = None,
    *,
    auth_method: str = "client_secret_basic",
    private_key: str | bytes | Secret | None = None,
    key_id: str | None = None,
    client: httpx.AsyncClient | None = None,
    timeout: float = 10.0,
    clock: Callable[[], float] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    allow_loopback_http: bool = False,
) -> Token:
    """Async twin of ``request_client_credentials_token`` (asyncio and trio)."""
    client_secret, private_key = _wrapped(client_secret, private_key)
    flow = _standalone_flow(
        endpoint,
        client_id,
        client_secret,
        scopes,
        auth_method=auth_method,
        private_key=private_key,
        key_id=key_id,
        clock=clock or time.time,
        retry=retry,
        allow_loopback_http=allow_loopback_http,
    )
    if client is not None:
        return await run_async_flow(flow, client)
    async with httpx.AsyncClient(timeout=timeout) as own:
        return await run_async_flow(flow, own)


def default_cache_key(
    token_endpoint: str | None, issuer: str | None, client_id: str, scopes: Iterable[str]
) -> str:
    """Cache key from the issuer (when discovering) or the token endpoint."""
    return make_cache_key(issuer or token_endpoint or "", client_id, scopes)
