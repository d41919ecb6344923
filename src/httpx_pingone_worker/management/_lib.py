"""Which HTTP library a Management API client runs on (httpx or httpx2), and its auth.

The protocol types a client accepts, the static bearer auth of ``PingOneClient(token=...)``
and the translation of a timeout for httpx2.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import (
    AsyncGenerator,
    Generator,
)
from typing import Any, Protocol

import httpx

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._httplib import HTTPX, HttpLib
from httpx_pingone_worker._core._secrets import Secret


class _AuthLike(Protocol):
    """An ``httpx.Auth`` or ``httpx2.Auth`` (what ``PingOneClient(auth=...)`` takes)."""

    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]: ...
    def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]: ...


class _TransportLike(Protocol):
    """An ``httpx`` or ``httpx2`` sync transport."""

    def handle_request(self, request: Any) -> Any: ...


class _AsyncTransportLike(Protocol):
    """An ``httpx`` or ``httpx2`` async transport."""

    async def handle_async_request(self, request: Any) -> Any: ...


class _StaticBearer:
    """Bearer auth with a fixed token (``PingOneClient(token=...)``), any library."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return f"_StaticTokenAuth(fingerprint={self._token.fingerprint()!r})"


class _StaticTokenAuth(_StaticBearer, httpx.Auth):
    """Bearer auth with a fixed token for httpx clients."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        return super().auth_flow(request)


@functools.cache
def _static_auth_class(lib: HttpLib) -> type[Any]:  # an Auth subclass of ``lib``
    if lib is HTTPX:
        return _StaticTokenAuth
    return type("_StaticTokenAuth", (_StaticBearer, lib.Auth), {"__module__": __name__})


def _pick_lib(auth: object, transport: object) -> HttpLib:
    """The HTTP library of ``auth`` / ``transport`` (httpx unless one is from httpx2)."""
    found: list[HttpLib] = []
    for obj in (auth, transport):
        if obj is None:
            continue
        with contextlib.suppress(TypeError):  # not from a known library: checked later
            found.append(HttpLib.of(obj))
    if any(lib is not found[0] for lib in found):
        raise ConfigurationError(
            f"auth= is from {found[0].name} but transport= is from {found[1].name}",
            hint="use PingOneWorkerAuth from httpx_pingone_worker.httpx2 with httpx2 "
            "transports, and httpx_pingone_worker.PingOneWorkerAuth with httpx ones",
        )
    return found[0] if found else HTTPX


def _timeout_for(lib: HttpLib, timeout: Any) -> Any:
    """Translate an ``httpx.Timeout`` (like ``DEFAULT_TIMEOUT``) for another library."""
    if lib is HTTPX or not isinstance(timeout, httpx.Timeout):
        return timeout
    return lib.Timeout(
        connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
    )


#: ``from_env`` keywords that configure the client (everything else goes to the auth's
#: ``from_env``: settings sources and ``PingOneWorkerAuth`` keywords).
_CLIENT_KEYS = frozenset(
    {
        "transport",
        "timeout",
        "rate_limiter",
        "retry",
        "headers",
        "sleep",
        "rng",
        "clock",
        "verify",
        "cert",
        "proxy",
        "mounts",
        "limits",
        "http1",
        "http2",
        "trust_env",
        "event_hooks",
        "follow_redirects",
        "max_redirects",
    }
)


def _split_from_env(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(auth keywords, client keywords)`` of ``PingOneClient.from_env(**kwargs)``."""
    auth = {k: v for k, v in kwargs.items() if k not in _CLIENT_KEYS}
    client = {k: v for k, v in kwargs.items() if k in _CLIENT_KEYS}
    if "allow_loopback_http" in kwargs:  # both check the URLs they use
        client["allow_loopback_http"] = kwargs["allow_loopback_http"]
    return auth, client
