"""The sans-IO entry point: one request in, one ``EmulatorResponse`` out.

Routing is by host and path, so the same handler serves PingOne's real hosts (through the
in-process transport or respx) and the loopback HTTPS server:

- ``/<envId>/as/...``: auth endpoints (``_auth_endpoints``);
- ``/v1/...``: the Management API (``_api``);
- ``/_emulator/...``: control endpoints (loopback hosts only; the facade's ``control``).

The host picks the region: ``auth.pingone.eu`` serves only EU environments; a loopback host
serves every environment.

**Errors.** Handlers and their helpers answer an error (or an injected fault) by raising
``Abort``; ``dispatch`` is the one place that turns it into the answer, and adds
any injected latency (``Ctx.delay``) to whatever the request is answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, urlsplit

from httpx_pingone_worker._core._regions import Region, is_loopback_host

from ._api import handle_api
from ._auth_endpoints import AUTH_ENDPOINTS, handle_auth
from ._engine import EmulatorEngine
from ._fault_answers import delayed
from ._http import Abort, Ctx, EmulatorResponse, not_emulated

__all__ = ["dispatch", "make_ctx"]

_HOSTS: dict[str, tuple[Region, str]] = {}
for _r in Region:
    _HOSTS[_r.auth_host] = (_r, "auth")
    _HOSTS[_r.api_host] = (_r, "api")
_AUTH_ROUTE = re.compile(
    r"^/(?P<env>[^/]+)/as/(?P<rest>token|jwks|introspect|revoke|\.well-known/openid-configuration)/?$"
)


def make_ctx(method: str, url: str, headers: Mapping[str, str], body: bytes) -> Ctx:
    """Parse one request into a ``Ctx``."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    known = _HOSTS.get(host)
    region: Region | None
    if known is not None:
        region, host_kind = known
    elif is_loopback_host(host):
        region, host_kind = None, "loopback"
    else:
        region, host_kind = None, "unknown"
    scheme = parts.scheme or "https"
    return Ctx(
        method=method.upper(),
        scheme=scheme,
        host=host,
        base=f"{scheme}://{parts.netloc}",
        path=parts.path or "/",
        query=parse_qs(parts.query, keep_blank_values=True),
        raw_query=parts.query,
        headers={k.lower(): v for k, v in headers.items()},
        body=body,
        region=region,
        host_kind=host_kind,
    )


def dispatch(
    engine: EmulatorEngine, ctx: Ctx, control: Callable[[Ctx], EmulatorResponse]
) -> EmulatorResponse:
    """Route one request; the caller holds the emulator's lock."""
    try:
        resp = _route(engine, ctx, control)
    except Abort as exc:
        resp = exc.response
    return delayed(resp, ctx.delay)


def _route(
    engine: EmulatorEngine, ctx: Ctx, control: Callable[[Ctx], EmulatorResponse]
) -> EmulatorResponse:
    if ctx.host_kind == "unknown":
        return not_emulated(ctx)
    if ctx.path.startswith("/_emulator/") and ctx.host_kind == "loopback":
        ctx.endpoint = "control"
        return control(ctx)
    if ctx.path.startswith("/v1/") or ctx.path == "/v1":
        if ctx.host_kind == "auth":
            return not_emulated(ctx)
        return handle_api(engine, ctx)
    m = _AUTH_ROUTE.match(ctx.path)
    if m is None or ctx.host_kind == "api":
        return not_emulated(ctx)
    ctx.endpoint = AUTH_ENDPOINTS[m.group("rest")]
    ctx.environment_id = m.group("env")
    return handle_auth(engine, ctx, m.group("env"))
