"""The sans-IO lead, driven by hand: every decision around a fetch, no client, no thread.

Like httpx's own tests of `Auth.auth_flow`: the generators are advanced with `next()` /
`send()` / `throw()`, and each test checks the actions they ask for and what they return.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import httpx
import pytest

from httpx_pingone_worker import Secret, Token, TokenEndpointUnreachableError, TokenRequestError
from httpx_pingone_worker._engine._config import AuthConfig
from httpx_pingone_worker._engine._engine import TokenEngine
from httpx_pingone_worker._engine._flow import CacheRead, CacheWrite, SendRequest
from httpx_pingone_worker._engine._lead import (
    DeleteIf,
    EnterLock,
    ExitLock,
    Lead,
    ReadBody,
    StartRefresh,
    WaitFlight,
)
from httpx_pingone_worker.oauth._token_request import HttpResult

ENV_ID = "11111111-2222-3333-4444-555555555555"
LIFETIME = 3600


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def make_lead(*, locking: bool = False) -> tuple[Lead, TokenEngine, Clock]:
    clock = Clock()
    config = AuthConfig.build("client", Secret("secret"), ENV_ID, clock=clock)
    engine = TokenEngine(config)
    return Lead(engine, locking=locking, wait_timeout=5.0), engine, clock


def token(value: str, clock: Clock, *, age: float = 0.0) -> Token:
    return Token(Secret(value), "Bearer", LIFETIME, clock.now - age)


def granted(value: str) -> HttpResult:
    body = {"access_token": value, "token_type": "Bearer", "expires_in": LIFETIME}
    return HttpResult(200, {"content-type": "application/json"}, json.dumps(body).encode())


def finish(gen: Generator[Any, Any, Any], reply: Any = None) -> Any:
    """Send ``reply``; the generator must end: return its value."""
    with pytest.raises(StopIteration) as stop:
        gen.send(reply)
    return stop.value.value


def run_fetch(gen: Generator[Any, Any, Any], value: str, *, first: Any = None) -> Any:
    """From the lock on: take it, miss the cache, grant ``value``, store it, leave the lock."""
    action = first if first is not None else next(gen)
    assert action == EnterLock(try_once=False)
    assert isinstance(gen.send(True), CacheRead)
    assert isinstance(gen.send(None), SendRequest)
    stored = gen.send(granted(value))
    assert isinstance(stored, CacheWrite)
    assert stored.token.access_token == Secret(value)
    assert isinstance(gen.send(None), ExitLock)
    return finish(gen)


def test_a_fresh_token_is_used_without_any_action() -> None:
    """`use`: a fresh token in memory comes back at once."""
    lead, engine, clock = make_lead()
    engine.adopt(token("fresh", clock))
    gen = lead.obtain()
    with pytest.raises(StopIteration) as stop:
        next(gen)
    assert stop.value.value.access_token == Secret("fresh")


def test_a_due_refresh_starts_in_the_background_and_the_valid_token_is_used() -> None:
    """`refresh`: one StartRefresh, then the still-valid token."""
    lead, engine, clock = make_lead()
    engine.adopt(token("stale", clock, age=0.9 * LIFETIME))
    gen = lead.obtain()
    action = next(gen)
    assert isinstance(action, StartRefresh)
    assert action.plan.kind == "refresh"
    assert finish(gen).access_token == Secret("stale")
    # A second caller meanwhile just uses the valid token: one refresh at a time.
    with pytest.raises(StopIteration):
        next(lead.obtain())


def test_no_token_the_caller_leads_a_fetch() -> None:
    """`fetch`: lock (blocking), cache re-read, request, store, unlock, token."""
    lead, engine, _ = make_lead()
    got = run_fetch(lead.obtain(), "first")
    assert got.access_token == Secret("first")
    assert engine.current_token is got


def test_a_second_caller_waits_for_the_flight_and_gets_its_token() -> None:
    """`wait`: WaitFlight, then the leader's token."""
    lead, _, _ = make_lead()
    leader = lead.obtain()
    assert next(leader) == EnterLock(try_once=False)
    follower = lead.obtain()
    wait = next(follower)
    assert isinstance(wait, WaitFlight)
    assert wait.timeout == 5.0
    run_fetch(leader, "shared", first=EnterLock(try_once=False))
    assert finish(follower, True).access_token == Secret("shared")


def test_a_wait_that_times_out_is_an_unreachable_error() -> None:
    """A flight that does not end within wait_timeout: TokenEndpointUnreachableError."""
    lead, _, _ = make_lead()
    leader = lead.obtain()
    next(leader)  # the leader, stuck (kept: a collected generator abandons its flight)
    follower = lead.obtain()
    assert isinstance(next(follower), WaitFlight)
    with pytest.raises(TokenEndpointUnreachableError, match="waited 5s"):
        follower.send(False)


def test_an_abandoned_leader_hands_the_fetch_to_a_waiter() -> None:
    """The leader goes away (closed mid-request): a waiter plans again and leads."""
    lead, _, _ = make_lead()
    leader = lead.obtain()
    next(leader)
    leader.send(True)  # CacheRead
    follower = lead.obtain()
    assert isinstance(next(follower), WaitFlight)
    leader.close()  # GeneratorExit at the CacheRead: the lead abandons its flight
    assert follower.send(True) == EnterLock(try_once=False)
    assert run_fetch(follower, "second", first=EnterLock(try_once=False)).access_token == Secret(
        "second"
    )


def test_a_failed_fetch_reaches_the_leader_and_the_waiters() -> None:
    """A refused token request: the lock is left, the leader raises, a waiter raises too."""
    lead, _, _ = make_lead()
    leader = lead.obtain()
    next(leader)
    follower = lead.obtain()
    assert isinstance(next(follower), WaitFlight)
    leader.send(True)
    assert isinstance(leader.send(None), SendRequest)
    refused = HttpResult(401, {}, b'{"error":"invalid_client"}')
    assert isinstance(leader.send(refused), ExitLock)
    with pytest.raises(TokenRequestError):
        leader.send(None)
    with pytest.raises(TokenRequestError):
        follower.send(True)


def test_a_shared_cache_is_read_first_without_its_lock() -> None:
    """With a shared cache: a valid token there ends the fetch before any lock."""
    lead, _, clock = make_lead(locking=True)
    gen = lead.obtain()
    assert isinstance(next(gen), CacheRead)
    assert finish(gen, token("from-fleet", clock)).access_token == Secret("from-fleet")


def test_a_shared_cache_miss_then_the_fetch_takes_the_lock() -> None:
    """With a shared cache that misses: lock, fetch as usual."""
    lead, _, _ = make_lead(locking=True)
    gen = lead.obtain()
    assert isinstance(next(gen), CacheRead)
    got = run_fetch(gen, "new", first=gen.send(None))
    assert got.access_token == Secret("new")


def test_a_stale_shared_token_is_refreshed_in_the_foreground() -> None:
    """A shared token already past its refresh point: the caller refreshes it now, trying the
    lock once; when another process holds it, the valid token is used."""
    lead, engine, clock = make_lead(locking=True)
    gen = lead.obtain()
    next(gen)
    assert gen.send(token("stale-shared", clock, age=0.9 * LIFETIME)) == EnterLock(try_once=True)
    assert isinstance(gen.send(False), ExitLock)  # deferred to the process holding the lock
    assert finish(gen).access_token == Secret("stale-shared")
    assert engine.current_token is not None


def test_a_refresh_that_wins_the_lock_replaces_the_token() -> None:
    """A refresh leading in the background: one attempt, the new token is stored."""
    lead, engine, clock = make_lead()
    engine.adopt(token("old", clock, age=0.9 * LIFETIME))
    start = next(lead.obtain())
    assert isinstance(start, StartRefresh)
    gen = lead.lead(start.plan)
    assert next(gen) == EnterLock(try_once=True)
    assert isinstance(gen.send(True), CacheRead)
    assert isinstance(gen.send(None), SendRequest)
    assert isinstance(gen.send(granted("new")), CacheWrite)
    assert isinstance(gen.send(None), ExitLock)
    assert finish(gen).access_token == Secret("new")


def test_a_failed_refresh_keeps_the_valid_token() -> None:
    """A refresh whose request fails (a 503, one attempt) falls back to the valid token."""
    lead, engine, clock = make_lead()
    engine.adopt(token("old", clock, age=0.9 * LIFETIME))
    plan = next(lead.obtain()).plan
    gen = lead.lead(plan)
    next(gen)
    gen.send(True)
    assert isinstance(gen.send(None), SendRequest)
    assert isinstance(gen.send(HttpResult(503, {}, b"")), ExitLock)
    assert finish(gen).access_token == Secret("old")


def test_a_401_invalidates_the_token_sent_and_resends_once_with_a_new_one() -> None:
    """auth_flow: the request goes out with the token; a 401 deletes exactly that token from
    the cache, reads the 401, fetches a new token and resends the request once."""
    lead, engine, clock = make_lead()
    engine.adopt(token("refused", clock))
    request = httpx.Request("GET", "https://api.pingone.com/v1/environments")
    gen = lead.auth_flow(request, replayable=True)
    assert next(gen) is request
    assert request.headers["Authorization"] == "Bearer refused"
    unauthorized = httpx.Response(401, request=request)
    delete = gen.send(unauthorized)
    assert isinstance(delete, DeleteIf)
    assert delete.token.access_token == Secret("refused")
    assert gen.send(None) == ReadBody(unauthorized)
    run_until_request = run_fetch_then(gen, "accepted")
    assert run_until_request is request
    assert request.headers["Authorization"] == "Bearer accepted"
    finish(gen, httpx.Response(200, request=request))


def run_fetch_then(gen: Generator[Any, Any, Any], value: str) -> Any:
    assert gen.send(None) == EnterLock(try_once=False)
    assert isinstance(gen.send(True), CacheRead)
    assert isinstance(gen.send(None), SendRequest)
    assert isinstance(gen.send(granted(value)), CacheWrite)
    assert isinstance(gen.send(None), ExitLock)
    return gen.send(None)


def test_a_401_on_a_body_that_cannot_be_replayed_is_not_resent() -> None:
    """after_401 with a streamed body: the token is invalidated, nothing is resent."""
    lead, engine, clock = make_lead()
    sent = token("refused", clock)
    engine.adopt(sent)
    request = httpx.Request("POST", "https://api.pingone.com/v1/x")
    gen = lead.after_401(request, sent, httpx.Response(401), replayable=False)
    assert isinstance(next(gen), DeleteIf)
    finish(gen)
    assert engine.current_token is None


def test_a_401_for_a_token_already_replaced_deletes_nothing() -> None:
    """Compare-and-invalidate: a 401 for a token another caller already replaced leaves the
    new one alone and resends with it (no fetch)."""
    lead, engine, clock = make_lead()
    old = token("old", clock)
    engine.adopt(token("newer", clock))
    request = httpx.Request("GET", "https://api.pingone.com/v1/x")
    gen = lead.after_401(request, old, httpx.Response(401), replayable=True)
    assert isinstance(next(gen), ReadBody)
    assert gen.send(None) is request
    assert request.headers["Authorization"] == "Bearer newer"
