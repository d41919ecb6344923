"""The lead: every decision around a token fetch, as generators of actions (sans-IO).

`Lead.obtain()` is what a caller without a fresh token runs: use the token in memory, start
a background refresh and use the valid one, wait for another caller's fetch, or lead a
fetch itself. Leading (`Lead.lead(plan)`) means: look at the shared cache without its lock
(a valid token there ends the fetch), take the lock (a refresh tries it once and defers to
the process holding it), run the engine's fetch flow, then complete the plan (or abandon it
when the leader is cancelled); a token adopted from the shared cache that is already past
its refresh point is refreshed right away, in the caller (a short-lived process must not
exit before the refresh is stored). `Lead.auth_flow(request)` wraps that around one
request: set the header, send, and after a 401 invalidate exactly the token sent and resend
once with a new one.

Nothing here blocks or does I/O: the generators yield actions (the flow's `CacheRead`,
`SendRequest`, `Sleep`, `CacheWrite`, `ReloadSecret`, and the ones below) and receive their
outcomes, like httpx's `Auth.auth_flow`. The auth shell's small sync and async drivers
perform them; a unit test drives them with `next()` / `send()`.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

from httpx_pingone_worker._core._errors import TokenEndpointUnreachableError
from httpx_pingone_worker._core._logging import get_logger
from httpx_pingone_worker._core._token import Token

from ._engine import Plan, TokenEngine
from ._flight import Flight
from ._flow import CacheRead

__all__ = [
    "DeleteIf",
    "EnterLock",
    "ExitLock",
    "Lead",
    "ReadBody",
    "StartRefresh",
    "WaitFlight",
]

_log = get_logger("auth")


@dataclass(frozen=True, slots=True)
class StartRefresh:
    """Start a background job that leads `plan` (a refresh: the caller goes on with the valid
    token). Reply: nothing."""

    plan: Plan


@dataclass(frozen=True, slots=True)
class WaitFlight:
    """Wait up to `timeout` seconds for another caller's fetch. Reply: True when it ended."""

    flight: Flight
    timeout: float


@dataclass(frozen=True, slots=True)
class EnterLock:
    """Enter the shared cache's fetch lock: `try_once` (a refresh) makes one attempt without
    waiting where the cache can, otherwise wait for it. Reply: True to lead, False when
    another process holds it (a refresh only)."""

    try_once: bool


@dataclass(frozen=True, slots=True)
class ExitLock:
    """Leave the fetch lock entered last (nothing when none is held). Reply: nothing."""


@dataclass(frozen=True, slots=True)
class DeleteIf:
    """Delete the shared cache's entry if it still holds `token`. Reply: nothing."""

    token: Token = field(repr=False)


@dataclass(frozen=True, slots=True)
class ReadBody:
    """Read the body of `response` (a 401, before fetching: its connection goes back to the
    pool, so a fetch through the caller's client cannot starve a small pool). Reply: nothing."""

    response: Any = field(repr=False)


class _Request(Protocol):
    @property
    def headers(self) -> Any: ...


class Lead:
    """One auth's decisions around a fetch, over its engine (see the module docstring)."""

    __slots__ = ("engine", "locking", "wait_timeout")

    def __init__(self, engine: TokenEngine, *, locking: bool, wait_timeout: float) -> None:
        self.engine = engine
        #: The cache is shared between processes (it has a fetch lock).
        self.locking = locking
        self.wait_timeout = wait_timeout

    def header_for(self, token: Token) -> str:
        """`Authorization` value of `token` (the engine's precomputed one when it holds it)."""
        entry = self.engine.entry
        if entry is not None and entry.token is token:
            return entry.header
        return token.authorization_header()

    def wait_timed_out(self) -> TokenEndpointUnreachableError:
        """The error of a caller that waited `wait_timeout` for another caller's fetch."""
        engine = self.engine
        return TokenEndpointUnreachableError(
            f"waited {self.wait_timeout:.0f}s for another caller's token request to "
            f"{engine.token_endpoint or engine.issuer}",
            hint="the token endpoint is very slow or the request hangs; check timeouts",
        )

    # -- one token ---------------------------------------------------------------------------

    def obtain(self) -> Generator[Any, Any, Token]:
        """A valid token. A due refresh starts in the background and the valid token is used
        at once; a caller only ever waits when there is no valid token."""
        engine = self.engine
        while True:
            plan = engine.plan()
            if plan.kind == "use":
                assert plan.token is not None  # noqa: S101
                return plan.token
            if plan.kind == "refresh":
                assert plan.token is not None  # noqa: S101
                yield StartRefresh(plan)
                return plan.token
            assert plan.flight is not None  # noqa: S101
            if plan.kind == "fetch":
                break
            if not (yield WaitFlight(plan.flight, self.wait_timeout)):
                raise self.wait_timed_out()
            token = engine.follower_result(plan.flight)
            if token is not None:
                return token
        token = yield from self.lead(plan)
        stale = self.stale_refresh_plan(plan)
        if stale is not None:
            # Refreshed here, in the caller: one attempt, bounded by the client's timeout;
            # on failure (or when another process leads) the valid token comes back.
            token = yield from self.lead(stale)
        return token

    def lead(self, plan: Plan) -> Generator[Any, Any, Token]:
        """Lead `plan` (a fetch, or a refresh with a valid token in hand) to its end: the
        token every waiter gets, or the error they get (a refresh falls back to its token)."""
        engine = self.engine
        if self.locking and plan.kind == "fetch":
            found = self.from_shared_cache(plan, (yield CacheRead(engine.cache_key)))
            if found is not None:
                return found
        try:
            if not (yield EnterLock(try_once=plan.kind == "refresh")):
                token = engine.defer(plan)  # another process refreshes the shared token
                yield ExitLock()
                return token
            token = yield from engine.fetch_flow(plan)
            yield ExitLock()
        except Exception as exc:  # noqa: BLE001 - published to every waiter, then re-raised
            error: Exception = exc
            try:
                yield ExitLock()
            except Exception as late:  # noqa: BLE001 - as a `with` block would: the later one
                error = late
            return engine.complete(plan, error)
        except BaseException:
            engine.abandon(plan)
            raise
        return engine.complete(plan, token)

    def from_shared_cache(self, plan: Plan, cached: object) -> Token | None:
        """A fetch's lock-free look at the shared cache: a valid token there (stale is fine)
        completes `plan` at once, without the fetch lock another process may hold for a
        while (refreshing); None to fetch."""
        usable = self.engine.usable_from_cache(cached)
        if usable is None:
            return None
        assert plan.flight is not None  # noqa: S101 - fetch plans lead a flight
        plan.flight.from_cache = True  # an invalidate() meanwhile rejects it (complete)
        _log.debug("using a valid token from the shared cache without its fetch lock")
        return self.engine.complete(plan, usable)

    def stale_refresh_plan(self, done: Plan) -> Plan | None:
        """After a fetch that adopted a token from the shared cache: a refresh plan when that
        token is already past its refresh point, for the caller to lead in the foreground (a
        background thread would die with a short-lived process); None otherwise."""
        flight = done.flight
        if done.kind != "fetch" or flight is None or not flight.from_cache:
            return None
        if not self.engine.refresh_due():
            return None
        plan = self.engine.plan()
        if plan.kind == "refresh":
            return plan
        return None  # backing off, or another caller of ours leads: the valid token it is

    # -- one request -------------------------------------------------------------------------

    def auth_flow(self, request: _Request, *, replayable: bool) -> Generator[Any, Any, None]:
        """Obtain a token, send `request` with it (yields the request itself, receives the
        response) and handle a 401 (`after_401`)."""
        token = yield from self.obtain()
        request.headers["Authorization"] = self.header_for(token)
        response = yield request
        if response.status_code == 401:
            yield from self.after_401(request, token, response, replayable=replayable)

    def after_401(
        self, request: _Request, token: Token, response: Any, *, replayable: bool
    ) -> Generator[Any, Any, None]:
        """`request` sent with `token` got a 401: invalidate exactly that token (in memory,
        and compare-and-delete in the cache), then, when the body can be replayed, resend once
        with a new token (not when the new token is the one refused)."""
        if self.engine.invalidate_if(token):
            yield DeleteIf(token)
        if not replayable:
            _log.debug("401 on a request whose body cannot be replayed; not resending")
            return
        yield ReadBody(response)
        fresh = yield from self.obtain()
        if fresh.access_token == token.access_token:
            return
        request.headers["Authorization"] = self.header_for(fresh)
        yield request
