"""HTTP primitives shared by every emulator layer: request context, responses, error bodies.

This module imports nothing else of the emulator, so the handlers, the state and the
adapters (transport, server) can all depend on it without forming a cycle.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import parse_qs

from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._regions import Region

if TYPE_CHECKING:
    from httpx_pingone_worker._core._httplib import HttpLib

__all__ = [
    "HAL",
    "JSON",
    "Abort",
    "Ctx",
    "Detail",
    "EmulatorResponse",
    "RequestRecord",
    "Responder",
    "api_error",
    "invalid_data",
    "json_body",
    "no_content",
    "not_emulated",
    "not_found",
    "oauth_error",
    "raise_action",
    "read_json",
]

JSON = "application/json"
HAL = "application/hal+json;charset=UTF-8"
#: Message PingOne puts on a 400 ``INVALID_DATA`` body; the details say what was wrong.
INVALID_DATA_MESSAGE = (
    "The request could not be completed. One or more validation errors were in the request."
)


@dataclass(frozen=True, slots=True)
class EmulatorResponse:
    """What the handler answers. ``delay`` is latency the adapter applies before answering;
    ``action`` asks the adapter to drop the connection (``connect``) or never answer
    (``timeout``) instead of sending ``status``/``body``."""

    status: int
    headers: dict[str, str]
    body: bytes = field(repr=False)  # a token response, a reset's secret: never in a repr
    delay: float = 0.0
    action: Literal["connect", "timeout"] | None = None
    endpoint: str = "unknown"

    def json(self) -> Any:
        """The body parsed as JSON (tests and control clients)."""
        return json.loads(self.body)


class Abort(Exception):
    """Ends the handling of a request early with ``response`` (an error body, an injected
    fault). Helpers raise it instead of returning the answer beside their value; the one
    place that turns it back into the answer is ``_dispatch.dispatch``, so it never leaves
    the emulator: the adapters and the facade only ever see an ``EmulatorResponse``. (Not
    the public ``EmulatorError``, which tells a caller of the scenario API it asked for
    something the emulator does not support.)"""

    def __init__(self, response: EmulatorResponse) -> None:
        super().__init__(f"emulator answer {response.status} ({response.endpoint})")
        self.response = response


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the emulator saw it, redacted: no headers, bodies or secrets.

    ``resource`` is the Management API resource (``users`` …) and ``query`` the query
    string (PingOne ids and filters, never credentials) so tests can assert what the code
    under test asked for.
    """

    method: str
    path: str
    endpoint: str
    status: int
    client_id: str | None = None
    auth_method: str | None = None
    environment_id: str | None = None
    correlation_id: str | None = None
    fault: str | None = None
    time: float = 0.0
    resource: str | None = None
    query: str = ""

    @property
    def params(self) -> dict[str, str]:
        """The query parameters (first value of each), e.g. ``{"filter": ..., "limit": ...}``."""
        return {k: v[0] for k, v in parse_qs(self.query, keep_blank_values=True).items()}


class Responder(Protocol):
    """What the adapters need from an emulator: the sans-IO entry point and its hosts."""

    def respond(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
        body: bytes | str = b"",
    ) -> EmulatorResponse:
        """Answer one request."""
        ...

    def _serves_host(self, host: str, port: int | None) -> bool: ...


@dataclass(slots=True)
class Ctx:
    """One request being handled (mutable: the router fills in what it learns)."""

    method: str
    scheme: str
    host: str
    base: str  # scheme://netloc of the request
    path: str
    query: dict[str, list[str]]
    raw_query: str
    # Lower-case names. Headers (Authorization) and body (a token request's form) hold
    # credentials: never in a repr.
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    region: Region | None  # None: loopback, any region
    host_kind: str  # auth | api | loopback | unknown
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    endpoint: str = "unknown"
    resource: str | None = None
    client_id: str | None = None
    auth_method: str | None = None
    environment_id: str | None = None
    fault: str | None = None
    delay: float = 0.0  # injected latency, added to whatever the request is answered

    def param(self, name: str) -> str | None:
        """First value of a query parameter, or ``None``."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def content_type(self) -> str:
        """The request's media type, lower-case, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def url(self, path: str) -> str:
        """An absolute URL on the host the request came in on."""
        return f"{self.base}{path}"


@dataclass(frozen=True, slots=True)
class Detail:
    """One entry of an error body's ``details``."""

    code: str
    message: str
    target: str | None = None
    inner: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target is not None:
            item["target"] = self.target
        if self.inner:
            item["innerError"] = dict(self.inner)
        return item


def json_body(
    status: int,
    payload: Any,
    ctx: Ctx,
    *,
    content_type: str = JSON,
    extra: Mapping[str, str] | None = None,
) -> EmulatorResponse:
    """A JSON answer with PingOne's ``Correlation-Id`` header."""
    headers = {"Content-Type": content_type, "Correlation-Id": ctx.correlation_id}
    if extra:
        headers.update(extra)
    return EmulatorResponse(status, headers, json.dumps(payload).encode(), endpoint=ctx.endpoint)


def no_content(ctx: Ctx) -> EmulatorResponse:
    """``204 No Content`` (a successful DELETE)."""
    return EmulatorResponse(204, {"Correlation-Id": ctx.correlation_id}, b"", endpoint=ctx.endpoint)


def oauth_error(
    ctx: Ctx, status: int, error: str, description: str, extra: Mapping[str, str] | None = None
) -> EmulatorResponse:
    """An RFC 6749 §5.2 error body."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache", **(extra or {})}
    return json_body(status, {"error": error, "error_description": description}, ctx, extra=headers)


def api_error(
    ctx: Ctx,
    status: int,
    code: str,
    message: str,
    *,
    detail: str | None = None,
    target: str | None = None,
    detail_message: str | None = None,
    inner: Mapping[str, Any] | None = None,
    details: Sequence[Detail] = (),
    extra: Mapping[str, str] | None = None,
) -> EmulatorResponse:
    """A Platform API error body (the spec's ``ApiErrorResponse``):
    ``{"id", "code", "message", "details"}``; ``id`` is the correlation id."""
    body: dict[str, Any] = {"id": ctx.correlation_id, "code": code, "message": message}
    items = [d.to_json() for d in details]
    if detail is not None:
        items.insert(0, Detail(detail, detail_message or message, target, inner).to_json())
    if items:
        body["details"] = items
    return json_body(status, body, ctx, extra=extra)


def invalid_data(ctx: Ctx, *details: Detail) -> EmulatorResponse:
    """``400 INVALID_DATA`` with the given details (``REQUIRED_VALUE``, ``INVALID_VALUE`` …)."""
    return api_error(ctx, 400, "INVALID_DATA", INVALID_DATA_MESSAGE, details=details)


def not_emulated(ctx: Ctx) -> EmulatorResponse:
    """404 for a route (or method) the emulator does not serve."""
    return api_error(
        ctx,
        404,
        "NOT_FOUND",
        f"{ctx.method} {ctx.path} is not emulated by PingOneEmulator "
        "(see httpx_pingone_worker.emulator for the emulated endpoints)",
    )


def not_found(ctx: Ctx, what: str, ident: str) -> EmulatorResponse:
    """PingOne's ``404 NOT_FOUND`` for an unknown id."""
    return api_error(ctx, 404, "NOT_FOUND", f"Unable to find {what} with id {ident!r}.")


def read_json(ctx: Ctx, *media_types: str) -> dict[str, Any]:
    """The request body as a JSON object; raises ``Abort`` with PingOne's answer.

    A media type other than ``media_types`` (default ``application/json``) is
    ``415 INVALID_REQUEST``; a body that is not JSON is ``400 INVALID_REQUEST``; JSON that
    is not an object is ``400 INVALID_DATA``.
    """
    allowed = media_types or (JSON,)
    if ctx.content_type not in allowed:
        raise Abort(
            api_error(
                ctx,
                415,
                "INVALID_REQUEST",
                f"Unsupported media type {ctx.content_type or '(none)'!r} for {ctx.method} "
                f"{ctx.path}; use Content-Type: {' or '.join(allowed)}",
            )
        )
    try:
        payload = parse_json(ctx.body or b"")
    except BadJSON as exc:
        described = exc.describe("The request body") + "."
        raise Abort(api_error(ctx, 400, "INVALID_REQUEST", described)) from None
    if not isinstance(payload, dict):
        detail = Detail("INVALID_VALUE", "The request body must be a JSON object.")
        raise Abort(invalid_data(ctx, detail))
    return payload


def raise_action(resp: EmulatorResponse, method: str, url: str, lib: HttpLib | None = None) -> None:
    """Raise the injected transport failure as ``lib``'s exception (default httpx)."""
    if resp.action is None:
        return
    from httpx_pingone_worker._core._httplib import HTTPX

    lib = lib or HTTPX
    request = lib.Request(method, url)
    if resp.action == "connect":
        raise lib.ConnectError("emulator: injected connection failure", request=request)
    raise lib.ReadTimeout("emulator: injected timeout", request=request)
