"""One token request as a generator of actions: the retry loop, written once, sans-IO.

``request_token_flow`` yields ``SendRequest`` / ``Sleep`` (and the engine's
flows add ``CacheRead``, ``CacheWrite``, ``ReloadSecret``); a driver performs
each action and sends the outcome back.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from httpx_pingone_worker._core._errors import (
    TLSVerificationError,
    TokenEndpointUnreachableError,
    TokenError,
    TokenProtocolError,
)
from httpx_pingone_worker._core._logging import (
    EventKind,
    get_logger,
    log_event,
)
from httpx_pingone_worker._core._redirects import is_redirect
from httpx_pingone_worker._core._retry import (
    RetryPolicy,
    retry_after_from_headers,
)
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._tls import CA_HINT
from httpx_pingone_worker._core._token import Token
from httpx_pingone_worker.oauth._token_request import (
    HttpResult,
    TokenRequest,
    TransportFailure,
)
from httpx_pingone_worker.oauth._token_response import (
    error_from_response,
    parse_token_response,
    redirect_error,
)

__all__ = [
    "Action",
    "CacheRead",
    "CacheWrite",
    "Flow",
    "Outcome",
    "ReloadSecret",
    "SendRequest",
    "Sleep",
    "request_token_flow",
]

_log = get_logger("token")


# --- actions: what the sans-IO flows ask their driver to do -----------------------------


@dataclass(frozen=True, slots=True)
class SendRequest:
    """Send ``request``; reply with ``HttpResult`` or ``TransportFailure``."""

    request: TokenRequest
    purpose: Literal["token", "discovery"] = "token"


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` (sync or async sleep); reply with ``None``."""

    seconds: float


@dataclass(frozen=True, slots=True)
class CacheRead:
    """Read the cache entry ``key``; reply with a ``Token`` or ``None``."""

    key: str


@dataclass(frozen=True, slots=True)
class CacheWrite:
    """Store ``token`` under ``key``; reply with ``None``."""

    key: str
    token: Token


@dataclass(frozen=True, slots=True)
class ReloadSecret:
    """Ask the secret provider for the current secret; reply with it (or ``None``)."""


Action: TypeAlias = SendRequest | Sleep | CacheRead | CacheWrite | ReloadSecret
Outcome: TypeAlias = HttpResult | TransportFailure | Token | str | Secret | None
Flow: TypeAlias = Generator[Action, Any, Token]


def request_token_flow(
    build: Callable[[float], TokenRequest],
    *,
    endpoint: str,
    policy: RetryPolicy,
    clock: Callable[[], float],
    on_retry_after: Callable[[float], None] | None = None,
) -> Flow:
    """Request a token, retrying server faults under ``policy``.

    Server faults are transport failures, retryable statuses (408, 429, 5xx) and a 200 whose
    body is not a token response (an HTML maintenance page, a truncated JSON body, a bad
    field): each is retried under ``policy``'s backoff and budget. OAuth errors with other
    statuses (``invalid_client`` …) are raised at once. When attempts or budget run out,
    the last problem is raised: ``TokenProtocolError`` if the server kept answering 200
    with an unusable body, else ``TokenEndpointUnreachableError``, with the last error
    chained as ``__cause__``.

    A token's lifetime is counted from the moment its request was sent (RFC 6749 §4.2.2:
    ``expires_in`` is relative to the response's generation, which is after the request left),
    so a slow response can only make the library refresh early, never send an expired token.
    """
    state = policy.start(now=clock())
    while True:
        request = build(clock())
        log_event(
            EventKind.REQUESTING,
            "requesting token",
            logger="token",
            scopes=sorted(request.requested_scopes),
            attempt=state.attempts,
        )
        sent_at = clock()
        outcome = yield SendRequest(request)
        now = clock()
        retry_after: float | None = None
        if isinstance(outcome, TransportFailure) and outcome.certificate:
            # Fails the same way on every attempt: configuration, not a network hiccup.
            raise TLSVerificationError(
                f"TLS certificate verification failed for the token endpoint {endpoint} "
                "(not signed by a CA this client trusts)",
                hint=CA_HINT,
            )
        if isinstance(outcome, TransportFailure):
            last: TokenError = TokenEndpointUnreachableError(
                f"could not reach the token endpoint {endpoint} ({outcome.error_type})",
                hint="check network access, proxies and the region/auth_base_url setting",
            )
        elif isinstance(outcome, HttpResult):
            if is_redirect(outcome.status_code):  # never followed, never retried
                raise redirect_error(outcome.status_code, outcome.headers, endpoint=endpoint)
            if outcome.status_code == 200:
                try:
                    token = parse_token_response(
                        200,
                        outcome.headers,
                        outcome.body,
                        endpoint=endpoint,
                        requested_scopes=request.requested_scopes,
                        now=sent_at,
                    )
                except TokenProtocolError as exc:
                    last = exc  # a 200 that is no token response: a server fault, retried
                else:
                    log_event(
                        EventKind.RECEIVED,
                        "received",
                        logger="token",
                        expires=f"{token.expires_in}s",
                        scopes=sorted(token.scopes),
                        fingerprint=token.fingerprint,
                    )
                    return token
            elif not policy.is_retryable_status(outcome.status_code):
                raise error_from_response(
                    outcome.status_code, outcome.headers, outcome.body, endpoint=endpoint
                )
            else:
                last = error_from_response(
                    outcome.status_code, outcome.headers, outcome.body, endpoint=endpoint
                )
                retry_after = retry_after_from_headers(outcome.headers, now=now)
                if retry_after is not None and on_retry_after is not None:
                    on_retry_after(retry_after)
        else:  # pragma: no cover - a driver bug, not a server problem
            raise TypeError(f"unexpected outcome {type(outcome).__name__} for SendRequest")
        delay = state.next_delay(now=now, retry_after=retry_after)
        if delay is None:
            if state.attempts == 1 and policy.max_attempts == 1:
                raise last
            if isinstance(last, TokenProtocolError) and last.status_code == 200:
                raise TokenProtocolError(
                    f"giving up on the token endpoint {endpoint} after {state.attempts} "
                    f"attempt(s): {last.message}",
                    status_code=200,
                    correlation_id=last.correlation_id,
                    hint=last.hint
                    or "the server kept answering 200 without a token response; check that "
                    "the URL is the OAuth token endpoint and that no proxy rewrites the response",
                ) from last
            raise TokenEndpointUnreachableError(
                f"giving up on the token endpoint {endpoint} after {state.attempts} "
                f"attempt(s): {last.message}",
                error=last.error,
                error_description=last.error_description,
                status_code=last.status_code,
                correlation_id=last.correlation_id,
                # A network failure keeps its own hint (network, proxies, region); a server
                # that kept answering 429/5xx is worth another try later.
                hint=(
                    last.hint
                    if last.status_code is None and last.hint
                    else "the endpoint kept failing within the retry budget; try again later"
                ),
            ) from last
        _log.debug("token request failed (%s); retrying in %.2fs", type(last).__name__, delay)
        yield Sleep(delay)
