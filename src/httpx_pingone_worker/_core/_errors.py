"""One exception tree for everything httpx-pingone-worker raises.

::

    PingOneError
    ├── ConfigurationError                 missing / conflicting settings, unknown region
    │   ├── InsecureTransportError         http:// for a non-loopback host, or without opt-in
    │   └── CredentialFormatError          ids / secret that cannot be right
    ├── TokenError
    │   ├── TokenRequestError              the token endpoint answered with an OAuth error
    │   ├── TokenProtocolError             the answer was not a usable token response
    │   ├── TokenEndpointUnreachableError  network failure, timeout, retry budget exhausted
    │   └── ScopeError                     strict_scopes and a requested scope was not granted
    ├── JWTError                           a token could not be decoded or failed verification
    ├── IntrospectionError
    ├── ManagementApiError                 PingOne Platform API error body
    │   ├── ConflictError                  a unique value is taken (UNIQUENESS_VIOLATION)
    │   ├── NotFoundError                  404: no such resource (or membership)
    │   ├── PermissionDeniedError          403: the worker app's roles do not allow it
    │   ├── RateLimitedError               429 after the retries: retry_after seconds
    │   ├── InvalidRequestError            400: PingOne refused fields (details per field)
    │   └── TLSVerificationError           a certificate is not trusted (API host or token
    │                                      endpoint; also a TokenEndpointUnreachableError)
    ├── InvalidArgumentError (ValueError)  a bad argument to a Management API write
    ├── StorageError                       encrypted credential store / token cache problems
    └── EmulatorError

Every field is keyword-only and structured. No message ever contains a secret, a full
token or a raw response body: callers build messages from field names, status codes and
PingOne's own ``error``/``code`` values only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "CredentialFormatError",
    "EmulatorError",
    "InsecureTransportError",
    "IntrospectionError",
    "InvalidArgumentError",
    "InvalidRequestError",
    "JWTError",
    "ManagementApiError",
    "NotFoundError",
    "PermissionDeniedError",
    "PingOneError",
    "RateLimitedError",
    "ScopeError",
    "StorageError",
    "TLSVerificationError",
    "TokenEndpointUnreachableError",
    "TokenError",
    "TokenProtocolError",
    "TokenRequestError",
]


class PingOneError(Exception):
    """Base class of every error raised by httpx-pingone-worker.

    Structured context lives in attributes, never only in the message:

    - ``error`` / ``error_description``: RFC 6749 error fields, when the server sent them.
    - ``status_code``: HTTP status of the response that caused the error.
    - ``correlation_id``: PingOne's ``Correlation-Id`` header (support asks for it).
    - ``code`` / ``details``: PingOne Platform API error code and detail list.
    - ``hint``: one sentence on how to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        error_description: str | None = None,
        status_code: int | None = None,
        correlation_id: str | None = None,
        code: str | None = None,
        details: Sequence[Mapping[str, Any]] | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.error = error
        self.error_description = error_description
        self.status_code = status_code
        self.correlation_id = correlation_id
        self.code = code
        self.details: tuple[Mapping[str, Any], ...] = tuple(details or ())
        self.hint = hint
        super().__init__(self._compose())

    def _compose(self) -> str:
        parts = [self.message]
        if self.correlation_id:
            parts.append(f"(correlation id {self.correlation_id})")
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return " ".join(parts)

    def __repr__(self) -> str:
        fields = [f"{self.message!r}"]
        for name in ("error", "status_code", "code", "correlation_id"):
            value = getattr(self, name)
            if value is not None:
                fields.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep exceptions picklable (multiprocessing, pytest-xdist) with their fields.
        return (_rebuild, (type(self), self.message, self._kwargs()))

    def _kwargs(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_description": self.error_description,
            "status_code": self.status_code,
            "correlation_id": self.correlation_id,
            "code": self.code,
            "details": list(self.details),
            "hint": self.hint,
        }


def _rebuild(cls: type[PingOneError], message: str, kwargs: dict[str, Any]) -> PingOneError:
    err = cls.__new__(cls)
    cls.__init__(err, message, **kwargs)  # the subclass __init__ takes its own fields
    return err


class ConfigurationError(PingOneError):
    """A setting is missing, malformed or contradicts another one."""


class InsecureTransportError(ConfigurationError):
    """An endpoint is not HTTPS (plain http is allowed only for opted-in loopback hosts)."""


class CredentialFormatError(ConfigurationError):
    """Client id, environment id or secret cannot be valid.

    ``problems`` lists every problem found, each a ``CredentialProblem`` with the field
    name and a hint; the secret's value is never part of it.
    """

    def __init__(self, message: str, *, problems: Sequence[Any] = (), **kwargs: Any) -> None:
        self.problems = tuple(problems)
        super().__init__(message, **kwargs)

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "problems": list(self.problems)}


class TokenError(PingOneError):
    """Getting a token failed."""


class TokenRequestError(TokenError):
    """The token endpoint answered with an OAuth 2.0 error (RFC 6749 §5.2)."""


class TokenProtocolError(TokenError):
    """The token endpoint's answer was not a valid token response (not JSON, bad fields)."""


class TokenEndpointUnreachableError(TokenError):
    """The token endpoint could not be reached, or retries ran out of budget."""


class ScopeError(TokenError):
    """``strict_scopes`` is on and the server did not grant every requested scope."""


class JWTError(PingOneError):
    """A JWT could not be decoded, or failed a verification check (named in ``error``)."""


class IntrospectionError(PingOneError):
    """Token introspection (RFC 7662) failed."""


class ManagementApiError(PingOneError):
    """The PingOne Management (Platform) API returned an error.

    ``code`` is PingOne's error code (``ACCESS_FAILED``, ``INSUFFICIENT_PERMISSIONS`` …),
    ``details`` its detail list, ``correlation_id`` the ``Correlation-Id`` header.
    """


class ConflictError(ManagementApiError):
    """PingOne refused a write because a unique value is taken (``UNIQUENESS_VIOLATION``).

    `existing_id` is the id of the resource that holds the value, when PingOne names it
    (a taken username: the existing user; an existing membership: the group), else `None`.
    """

    def __init__(self, message: str, *, existing_id: str | None = None, **kwargs: Any) -> None:
        self.existing_id = existing_id
        super().__init__(message, **kwargs)

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "existing_id": self.existing_id}


class NotFoundError(ManagementApiError):
    """PingOne answered 404: the resource (or membership) in the path does not exist."""


class PermissionDeniedError(ManagementApiError):
    """PingOne answered 403: the worker app's roles do not allow the call.

    The `hint` names the role that would allow it, where known.
    """


class RateLimitedError(ManagementApiError):
    """PingOne answered 429 (``REQUEST_LIMITED``) and the retries ran out.

    `retry_after` is the wait PingOne asked for, in seconds (`None` when it named none).
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "retry_after": self.retry_after}


class InvalidRequestError(ManagementApiError):
    """PingOne answered 400 (``INVALID_DATA``, ``INVALID_REQUEST`` …): fields were refused.

    `details` holds PingOne's detail objects (`code`, `target`, `message`); `field_errors`
    maps each named field to PingOne's messages about it.
    """

    @property
    def field_errors(self) -> dict[str, list[str]]:
        """``{target: [message, …]}`` from `details` (``""`` for a detail naming no field)."""
        out: dict[str, list[str]] = {}
        for detail in self.details:
            target = detail.get("target")
            message = detail.get("message")
            key = target if isinstance(target, str) else ""
            out.setdefault(key, []).append(
                message if isinstance(message, str) else str(detail.get("code", ""))
            )
        return out


class TLSVerificationError(ManagementApiError, TokenEndpointUnreachableError):
    """A server's TLS certificate is not trusted (the API host's, or the token endpoint's):
    the host and the CA setting to change are named. Never retried: another attempt fails the
    same way. Both a `ManagementApiError` and a `TokenEndpointUnreachableError`, so either
    ``except`` catches it."""


class InvalidArgumentError(PingOneError, ValueError):
    """An argument of a Management API call cannot be sent (an empty username, a group id
    that is not a string …); nothing was sent. A `ValueError`, so ordinary argument checks
    catch it; settings problems are `ConfigurationError`."""


class StorageError(PingOneError):
    """Encrypted credential storage or the file token cache failed (the file is named).

    ``path`` is the file or directory concerned (a ``str``), when there is one.
    """

    def __init__(self, message: str, *, path: str | None = None, **kwargs: Any) -> None:
        self.path = path
        super().__init__(message, **kwargs)

    def _kwargs(self) -> dict[str, Any]:
        return {**super()._kwargs(), "path": self.path}


class EmulatorError(PingOneError):
    """The emulator was asked for something it does not support."""
