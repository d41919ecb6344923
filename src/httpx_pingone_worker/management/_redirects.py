"""How the Management API clients send: never a redirect to another origin.

Every API request carries the worker token (``Authorization: Bearer …``) and often a body
worth protecting (a user's password on create). The client sends with
``follow_redirects=False`` whatever the underlying client says, then:

- a redirect to the **same origin** (scheme, host and port) is followed only when the client
  was built with ``follow_redirects=True`` (httpx's own rule, up to its ``max_redirects``);
- a redirect to **another origin** is never followed: it is a ``ManagementApiError``
  naming the status and the target's scheme and host (never its path or query).
"""

from __future__ import annotations

from typing import Any

from httpx_pingone_worker._core._errors import ManagementApiError
from httpx_pingone_worker._core._redirects import redirect_target, same_origin

__all__ = ["asend_api", "send_api"]


def _next_hop(http: Any, response: Any, hops: int) -> Any:
    """The same-origin request to follow, ``None`` to hand ``response`` back, or raise."""
    target = getattr(response, "next_request", None)
    if target is None:  # not a redirect (or one without a usable Location)
        return None
    sent = str(response.request.url)
    if not same_origin(sent, str(target.url)):
        raise ManagementApiError(
            f"PingOne API {response.request.method} {response.request.url.path} answered "
            f"HTTP {response.status_code}, a redirect to another origin "
            f"({redirect_target(response.headers, sent)}); it was not followed",
            error="redirect",
            status_code=response.status_code,
            correlation_id=response.headers.get("correlation-id"),
            hint="the Management API does not redirect to another host, and a request "
            "carrying a token is never sent there; configure the final URL (region, "
            "api_base_url) and check any proxy in between",
        )
    if not getattr(http, "follow_redirects", False) or hops >= getattr(http, "max_redirects", 0):
        return None
    return target


def send_api(http: Any, request: Any) -> Any:
    """Send an API request with a sync client (see the module docstring)."""
    response = http.send(request, follow_redirects=False)
    hops = 0
    while True:
        try:
            target = _next_hop(http, response, hops)
        except ManagementApiError:
            response.close()
            raise
        if target is None:
            return response
        response.close()
        hops += 1
        response = http.send(target, follow_redirects=False)


async def asend_api(http: Any, request: Any) -> Any:
    """Async twin of ``send_api``."""
    response = await http.send(request, follow_redirects=False)
    hops = 0
    while True:
        try:
            target = _next_hop(http, response, hops)
        except ManagementApiError:
            await response.aclose()
            raise
        if target is None:
            return response
        await response.aclose()
        hops += 1
        response = await http.send(target, follow_redirects=False)
