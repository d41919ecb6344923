"""How an injected fault turns into an answer (or a latency, or a dropped connection)."""

from __future__ import annotations

import math

from ._engine import EmulatorEngine
from ._faults import Fault
from ._http import JSON, Abort, Ctx, EmulatorResponse, api_error, oauth_error
from ._state import iso

__all__ = ["apply_fault", "delayed", "rate_limited"]

#: Body code of an injected 4xx, as PingOne's error schemas name them.
_CODES = {401: "ACCESS_FAILED", 403: "ACCESS_FAILED", 404: "NOT_FOUND", 415: "INVALID_REQUEST"}


def rate_limited(ctx: Ctx, now: float, retry_after: float | None, message: str) -> EmulatorResponse:
    """PingOne's ``429 REQUEST_LIMITED``: ``Retry-After`` in seconds, and the moment it ends
    as ``innerError.retryAfter`` (a date-time string, as the spec's 429 schema says)."""
    extra: dict[str, str] = {}
    inner = None
    if retry_after is not None:
        extra["Retry-After"] = str(math.ceil(retry_after))
        inner = {"retryAfter": iso(now + math.ceil(retry_after))}
    return api_error(
        ctx,
        429,
        "REQUEST_LIMITED",
        message,
        detail="LIMIT_EXCEEDED",
        detail_message="The request exceeded the allowed rate limit.",
        inner=inner,
        extra=extra,
    )


def apply_fault(engine: EmulatorEngine, ctx: Ctx) -> None:
    """Take the fault injected for this request: a latency goes to ``ctx.delay`` (the
    dispatcher adds it to the answer); a failure is raised as ``Abort``."""
    fault = engine.take_fault(ctx.endpoint, ctx.resource)
    if fault is None:
        return
    ctx.fault = fault.kind
    if fault.kind == "latency":
        ctx.delay = fault.delay
        return
    raise Abort(_failure(engine, ctx, fault))


def _failure(engine: EmulatorEngine, ctx: Ctx, fault: Fault) -> EmulatorResponse:
    """The answer of an injected failure (anything but a latency)."""
    if fault.kind in ("connect", "timeout"):
        return EmulatorResponse(
            0, {}, b"", delay=fault.delay, action=fault.kind, endpoint=ctx.endpoint
        )
    if fault.kind == "malformed":
        return EmulatorResponse(
            200,
            {"Content-Type": JSON, "Correlation-Id": ctx.correlation_id},
            b'{"access_token": "truncated',
            delay=fault.delay,
            endpoint=ctx.endpoint,
        )
    extra: dict[str, str] = {}
    if fault.retry_after is not None:
        extra["Retry-After"] = str(math.ceil(fault.retry_after))
    if fault.status == 429:
        resp = rate_limited(
            ctx,
            engine.clock.now(),
            fault.retry_after,
            "The request was rate limited (injected fault).",
        )
    elif fault.status >= 500:
        resp = api_error(
            ctx,
            fault.status,
            "UNEXPECTED_ERROR",
            "An unexpected error occurred (injected fault).",
            extra=extra,
        )
    elif ctx.endpoint in ("token", "introspect", "revoke"):
        resp = oauth_error(ctx, fault.status, "invalid_request", "injected fault", extra)
    else:
        code = _CODES.get(fault.status, "REQUEST_FAILED")
        resp = api_error(ctx, fault.status, code, "injected fault", extra=extra)
    return delayed(resp, fault.delay)


def delayed(resp: EmulatorResponse, delay: float) -> EmulatorResponse:
    """``resp`` answered after ``delay`` seconds of injected latency (``0``: as it is)."""
    if not delay:
        return resp
    return EmulatorResponse(
        resp.status,
        resp.headers,
        resp.body,
        delay=delay,
        action=resp.action,
        endpoint=resp.endpoint,
    )
