"""Failed Management API responses → ``ManagementApiError``.

PingOne's ``code``, ``details`` and ``Correlation-Id`` become fields; a 403 names the role the
worker app likely lacks. The response body is never quoted.
"""

from __future__ import annotations

from collections.abc import (
    Mapping,
    Sequence,
)
from typing import Any
from urllib.parse import urlsplit

import httpx

from httpx_pingone_worker._core._errors import (
    ConflictError,
    InvalidRequestError,
    ManagementApiError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    TLSVerificationError,
)
from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._retry import parse_retry_after
from httpx_pingone_worker._core._tls import CA_HINT, is_certificate_error

from ._models import _s

__all__ = [
    "error_from_response",
    "permission_hint",
]

_ROLE_HINTS: tuple[tuple[str, str, str], ...] = (
    # (path segment, read role(s), write role(s))
    ("users", '"Identity Data Read Only" or "Identity Data Admin"', '"Identity Data Admin"'),
    ("groups", '"Identity Data Read Only" or "Identity Data Admin"', '"Identity Data Admin"'),
    (
        "populations",
        '"Identity Data Read Only" or "Identity Data Admin"',
        '"Identity Data Admin" or "Environment Admin"',
    ),
    (
        "roleAssignments",
        '"Environment Admin" or "Identity Data Admin"',
        '"Environment Admin" (a role can only grant roles it holds)',
    ),
    (
        "applications",
        '"Client Application Developer" or "Environment Admin"',
        '"Client Application Developer" or "Environment Admin"',
    ),
    ("roles", "any admin role", '"Environment Admin"'),
)


def _path_only(path: str) -> str:
    """The path part of ``path`` (a path or a URL); ``""`` when it cannot be split."""
    try:
        return urlsplit(path).path
    except ValueError:
        return ""


def _segments(path: str) -> list[str]:
    return [s for s in _path_only(path).split("/") if s]


def permission_hint(method: str, path: str, detail_codes: Sequence[str] = ()) -> str:
    """One sentence naming the role a worker app likely lacks for ``method path``."""
    if "LICENSE_EXCEEDED" in detail_codes:
        return "the environment's license does not include this feature or its quota is used up"
    segs = _segments(path)
    write = method.upper() not in {"GET", "HEAD", "OPTIONS"}
    for seg in reversed(segs):
        for name, read_roles, write_roles in _ROLE_HINTS:
            if seg == name:
                roles = write_roles if write else read_roles
                return (
                    f"the worker app likely lacks a role for {name}: assign {roles} "
                    "to the app (Applications → the app → Roles) scoped to this environment"
                )
    if segs[-2:-1] == ["environments"] or segs[-1:] == ["environments"]:
        return (
            'the worker app likely lacks "Environment Admin" (or "Organization Admin") '
            "for this environment"
        )
    return (
        "the worker app's role assignments do not cover this endpoint; check the app's Roles "
        'tab ("Environment Admin" covers most configuration APIs)'
    )


def _error_hint(status: int, method: str, path: str, detail_codes: Sequence[str]) -> str | None:
    if status == 403:
        return permission_hint(method, path, detail_codes)
    if status == 401:
        return (
            "the access token was rejected (expired, revoked, or for another environment); "
            "check client id, environment id and region"
        )
    if status == 404:
        return _not_found_hint(method, path)
    if status == 429:
        return "PingOne rate limit hit; lower the RateLimiter rate or share one limiter"
    if status == 400 and detail_codes:
        return "fix the request fields named in details (filter syntax, values, limits)"
    if status >= 500:
        return "PingOne had a server-side problem; retry later and quote the correlation id"
    return None


def _not_found_hint(method: str, path: str) -> str:
    """What a 404 most likely means for this call (the resource named last in the path)."""
    segs = _segments(path)
    if "memberOfGroups" in segs[:-1]:
        if method.upper() == "DELETE":
            return (
                "the user is not a direct member of that group (or an id is wrong); "
                "remove_user_from_group(..., missing_ok=True) treats that as done"
            )
        return "the user is not a direct member of that group, or an id in the path is wrong"
    names = {"users": "user", "groups": "group", "populations": "population"}
    names |= {"applications": "application", "roleAssignments": "role assignment"}
    for index in range(len(segs) - 2, -1, -1):
        kind = names.get(segs[index])
        if kind is not None and index >= 2:
            return (
                f"no {kind} with that id in this environment (deleted, or from another "
                "environment); look it up again by name"
            )
    if segs[-2:-1] == ["environments"] or segs[-1:] == ["environments"]:
        return (
            "check the environment id and the region (each region has its own API host); "
            "just after creating an environment, retry shortly"
        )
    return "check the ids in the path, the environment id and the region"


def _error_class(status: int, detail_codes: Sequence[str]) -> type[ManagementApiError]:
    if "UNIQUENESS_VIOLATION" in detail_codes or status == 409:
        return ConflictError
    return {
        400: InvalidRequestError,
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitedError,
    }.get(status, ManagementApiError)


def _retry_after(response: httpx.Response, details: Sequence[Mapping[str, Any]]) -> float | None:
    import time

    seconds = parse_retry_after(response.headers.get("retry-after"), now=time.time())
    if seconds is not None:
        return seconds
    for detail in details:  # PingOne may name it in innerError.retryAfter instead
        inner = detail.get("innerError")
        value = inner.get("retryAfter") if isinstance(inner, Mapping) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None


def _clean(text: str, limit: int = 200) -> str:
    from httpx_pingone_worker._core._logging import redact

    text = " ".join(redact(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def error_from_response(response: httpx.Response, *, method: str, path: str) -> ManagementApiError:
    """Map a failed API response to ``ManagementApiError`` (the body is never quoted)."""
    status = response.status_code
    correlation_id = response.headers.get("correlation-id")
    code: str | None = None
    description: str | None = None
    details: list[Mapping[str, Any]] = []
    try:
        body = parse_json(response.content) if response.content else None
    except BadJSON:
        body = None
    if isinstance(body, Mapping):
        code = _s(body.get("code"))
        if _s(body.get("message")):
            description = _clean(body["message"])
        raw_details = body.get("details")
        if isinstance(raw_details, list):
            details = [d for d in raw_details if isinstance(d, Mapping)]
        if code is None and _s(body.get("error")):
            code = body["error"]  # an OAuth-style error body from a proxy/auth layer
    detail_codes = [c for c in (_s(d.get("code")) for d in details) if c]
    targets = [t for t in (_s(d.get("target")) for d in details) if t]
    clean_path = _path_only(path) or path
    msg = f"PingOne API {method.upper()} {clean_path} failed with HTTP {status}"
    if code:
        msg += f" {code}"
    if detail_codes:
        msg += f" ({', '.join(dict.fromkeys(detail_codes))}"
        msg += f" on {', '.join(dict.fromkeys(targets))})" if targets else ")"
    existing = [
        f"{_s(d.get('target')) or 'value'} already used by {inner['existingId']}"
        for d in details
        if d.get("code") == "UNIQUENESS_VIOLATION"
        and isinstance(inner := d.get("innerError"), Mapping)
        and isinstance(inner.get("existingId"), str)
    ]
    if existing:
        msg += f"; {'; '.join(existing)}"
    if body is None and response.content:
        msg += " (response body was not JSON)"
    cls = _error_class(status, detail_codes)
    extra: dict[str, Any] = {}
    hint = _error_hint(status, method, path, detail_codes)
    if cls is ConflictError:
        ids = [
            inner["existingId"]
            for d in details
            if d.get("code") == "UNIQUENESS_VIOLATION"
            and isinstance(inner := d.get("innerError"), Mapping)
            and isinstance(inner.get("existingId"), str)
        ]
        extra["existing_id"] = ids[0] if ids else None
        hint = "the value is taken: read the existing resource (existing_id) or pick another value"
    elif cls is RateLimitedError:
        extra["retry_after"] = _retry_after(response, details)
    return cls(
        msg,
        status_code=status,
        code=code,
        details=details,
        correlation_id=correlation_id,
        error_description=description,
        hint=hint,
        **extra,
    )


def _unreachable(method: str, path: str, exc: Exception) -> ManagementApiError:
    if is_certificate_error(exc):
        host = _host_of(path)
        return TLSVerificationError(
            f"PingOne API {method.upper()} {_path_only(path) or path}: TLS certificate "
            f"verification failed for {host} (not signed by a CA this client trusts)",
            hint=CA_HINT,
        )
    return ManagementApiError(
        f"PingOne API {method.upper()} {_path_only(path) or path} could not be completed: "
        f"{type(exc).__name__}",
        hint="check network access to the API host (proxy, firewall, region)",
    )


def _host_of(url: str) -> str:
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the API host"
    return f"{parts.hostname}{port}" if parts.hostname else "the API host"
