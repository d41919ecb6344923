"""`Performer`: performs the lead's actions with an httpx-compatible library (the I/O).

The lead (`_lead.py`) decides and yields actions; this is where they happen, for one auth
object: token requests through a client (`send` / `asend`: never redirected, no event hooks,
the library's errors turned into a `TransportFailure` since their `.request` holds the
credentials), cache reads and writes through the `GuardedCache`, the fetch lock entered and
left, waits for another caller's flight, retry sleeps that `close()` cuts short, the secret
provider asked again, and background refreshes started on the refresh pool (sync) or as a
task of the running loop (async). `run` / `drive` (sync) and `arun` / `adrive_request`
(async) are the drivers; `drive_request` / `adrive_request` run a request flow, yielding the
caller's request (and token requests when no client is known) to the auth's
`sync_auth_flow` / `async_auth_flow`, which hand them to httpx.

An error an action raises is thrown into the flow outside any except block here, so an
error the flow raises never carries it as `__context__`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, TypeVar

from httpx_pingone_worker._core._httplib import HttpLib
from httpx_pingone_worker._core._logging import get_logger

from ._background import RefreshJobs
from ._clients import TokenClients
from ._drivers import (
    asend_token_request,
    http_result,
    send_token_request,
    to_httpx_request,
    transport_failure,
)
from ._engine import Plan, TokenEngine
from ._flow import CacheRead, CacheWrite, ReloadSecret, SendRequest, Sleep
from ._guarded_cache import GuardedCache
from ._lead import DeleteIf, EnterLock, ExitLock, Lead, ReadBody, StartRefresh, WaitFlight
from ._lifecycle import CloseSignal, SecretReload

__all__ = ["Drive", "Performer"]

_log = get_logger("auth")

_T = TypeVar("_T")


class Drive:
    """What one run of a driver keeps: the calling client, the lock the lead holds, and the
    retry sleep of the fetch it leads (which ends early when the auth is closed)."""

    __slots__ = ("alocks", "asleep", "caller", "locks", "sleep")

    def __init__(self, caller: Any) -> None:
        self.caller = caller
        self.locks: contextlib.ExitStack = contextlib.ExitStack()
        self.alocks: contextlib.AsyncExitStack = contextlib.AsyncExitStack()
        self.sleep: Callable[[float], None] | None = None
        self.asleep: Callable[[float], Awaitable[None]] | None = None


class Performer:
    """Performs one auth object's lead actions (see the module docstring)."""

    def __init__(
        self,
        *,
        lib: HttpLib,
        engine: TokenEngine,
        lead: Lead,
        store: GuardedCache,
        clients: TokenClients,
        closing: CloseSignal,
        reload_secret: SecretReload,
        jobs: RefreshJobs,
        sleep: Callable[[float], None] | None,
        async_sleep: Callable[[float], Any] | None,
    ) -> None:
        self.lib = lib
        self.engine = engine
        self.lead = lead
        self.store = store
        self.clients = clients
        self.closing = closing
        self.reload_secret = reload_secret
        self.jobs = jobs
        #: The caller's ``sleep=`` / ``async_sleep=`` (tests), else sleeps ``close()`` cuts short.
        self.sleep = sleep
        self.async_sleep = async_sleep

    def lead_sleep(self) -> Callable[[float], None]:
        """The sleep between retries of one fetch: ``sleep=`` if given, else one that ends
        early, with the closed error, when `close()` runs after the fetch started."""
        return self.sleep if self.sleep is not None else self.closing.sleeper()

    def lead_asleep(self) -> Callable[[float], Awaitable[None]]:
        """Async `lead_sleep` (``async_sleep=`` if given)."""
        if self.async_sleep is not None:
            return self._asleep
        return self.closing.async_sleeper()

    def _start_failed(self, plan: Plan, exc: BaseException) -> None:
        """The background job could not start (e.g. no threads at interpreter exit)."""
        if isinstance(exc, Exception):
            self.engine.complete(plan, exc)  # a refresh: backs off, keeps the valid token
        else:
            self.engine.abandon(plan)

    def refresh_in_thread(self, plan: Plan, caller: Any) -> None:
        """Lead ``plan`` (a refresh: a valid token is in hand) on the process-wide pool.

        The token request goes through ``http_client``, else the client whose request
        reached the refresh point, else the internal client; one attempt (no retries), the
        valid token is the fallback and a failure backs off.
        """
        client = self.clients.for_thread_refresh(caller)
        self.jobs.start_thread(
            lambda: self._thread_refresh(plan, client),
            lambda exc: self._start_failed(plan, exc),
        )

    def _thread_refresh(self, plan: Plan, client: Any) -> None:
        get_client = (lambda: client) if client is not None else self.clients.sync
        try:
            # Every exception of the send (a closed client, too) is the refresh's failure.
            self.run(self.lead.lead(plan), get_client, errors=(Exception,))
        except BaseException as exc:  # noqa: BLE001 - nothing may reach threading.excepthook
            _log.debug("background refresh ended by %s", type(exc).__name__)
        finally:
            self.engine.abandon(plan)  # no-op once completed

    def refresh_in_task(self, plan: Plan, caller: Any) -> None:
        """Async twin of `refresh_in_thread`: a task on the running event loop
        (asyncio), or a trio system task (cancelled when ``trio.run`` ends)."""
        client = self.clients.for_task_refresh(caller)
        self.jobs.start_task(
            lambda: self._task_refresh(plan, client),
            lambda: self.engine.abandon(plan),
            lambda exc: self._start_failed(plan, exc),
        )

    async def _task_refresh(self, plan: Plan, client: Any) -> None:
        try:
            await self.arun(self.lead.lead(plan), client, errors=(Exception,))
        except Exception as exc:  # noqa: BLE001 - a background failure reaches nobody
            _log.debug("background refresh ended by %s", type(exc).__name__)
        finally:
            self.engine.abandon(plan)  # no-op once completed

    # -- sync ----------------------------------------------------------------------------

    def run(
        self,
        flow: Generator[Any, Any, _T],
        get_client: Callable[[], Any],
        *,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> _T:
        """Run ``flow`` to its end, sending its token requests through ``get_client()``."""
        driver = self.drive(flow, None, get_client, errors=errors)
        try:
            next(driver)  # with a client nothing is yielded: the flow sends no request itself
        except StopIteration as stop:
            result: _T = stop.value
            return result
        driver.close()
        raise RuntimeError("a token flow yielded a request to a client driver")  # pragma: no cover

    def drive(
        self,
        flow: Generator[Any, Any, _T],
        caller: Any,
        get_client: Callable[[], Any] | None,
        *,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> Generator[Any, Any, _T]:
        """Perform ``flow``'s actions. Token requests go through ``get_client()`` (an error
        of ``errors``, default the library's HTTP error, is the flow's to handle; any other
        ends the flow) or, without one, are yielded like the caller's own request; an error
        of any other action is thrown into the flow, outside this frame's except blocks."""

        lib = self.lib
        drive = Drive(caller)
        outcome: Any = None
        error: BaseException | None = None
        with contextlib.ExitStack() as drive.locks:
            try:
                while True:
                    try:
                        action = flow.send(outcome) if error is None else flow.throw(error)
                    except StopIteration as stop:
                        result: _T = stop.value
                        return result
                    outcome = error = None
                    if isinstance(action, SendRequest) and get_client is not None:
                        outcome, error = self.send(get_client, action, errors)
                        continue
                    try:
                        if isinstance(action, SendRequest):
                            try:
                                response = yield to_httpx_request(action.request, lib)
                                response.read()
                            except lib.HTTPError as exc:  # never raised: .request has secrets
                                outcome = transport_failure(exc, lib)
                            else:
                                outcome = http_result(response)
                        elif isinstance(action, lib.Request):
                            outcome = yield action
                        else:
                            outcome = self.perform(action, drive)
                    except BaseException as exc:  # noqa: BLE001 - the flow decides
                        error = exc
            finally:
                flow.close()  # a lead suspended in it abandons its flight at once

    def drive_request(
        self, flow: Generator[Any, Any, None], caller: Any
    ) -> Generator[Any, Any, None]:
        """`drive` for a request flow: token requests go through ``http_client`` or the
        calling client; without either they are yielded, like the caller's request, to the
        auth's `sync_auth_flow`, which hands them to httpx."""
        via = self.clients.via(caller)
        return self.drive(flow, caller, None if via is None else lambda: via)

    def send(
        self,
        get_client: Callable[[], Any],
        action: Any,
        errors: tuple[type[BaseException], ...] | None,
    ) -> tuple[Any, BaseException | None]:
        """Send a token request with ``get_client()`` (see `send_token_request`)."""
        lib = self.lib
        caught = errors if errors is not None else (lib.HTTPError,)
        try:
            client = get_client()
        except caught as exc:
            if isinstance(exc, lib.HTTPError):
                return transport_failure(exc, lib), None
            return None, exc
        return send_token_request(client, action, lib, errors)

    def perform(self, action: Any, drive: Drive) -> Any:
        """Perform one action of the lead other than a send; return its outcome."""

        if isinstance(action, CacheRead):
            return self.store.get(action.key)
        if isinstance(action, WaitFlight):
            return action.flight.wait(action.timeout)
        if isinstance(action, EnterLock):
            drive.sleep = self.lead_sleep()  # a close() from now on ends its retry sleeps
            return drive.locks.enter_context(self.store.lead_lock(refresh=action.try_once))
        if isinstance(action, ExitLock):
            drive.locks.close()
        elif isinstance(action, CacheWrite):
            self.store.set(action.key, action.token)
        elif isinstance(action, Sleep):
            (drive.sleep or self.lead_sleep())(action.seconds)
        elif isinstance(action, ReloadSecret):
            return self.reload_secret()
        elif isinstance(action, StartRefresh):
            self.refresh_in_thread(action.plan, drive.caller)
        elif isinstance(action, DeleteIf):
            self.store.delete_if(action.token)
        elif isinstance(action, ReadBody):
            action.response.read()
        return None

    # -- async ---------------------------------------------------------------------------

    async def _asleep(self, seconds: float) -> None:
        if self.async_sleep is not None:
            await self.async_sleep(seconds)
            return
        await self.lead_asleep()(seconds)

    async def arun(
        self,
        flow: Generator[Any, Any, _T],
        client: Any,
        *,
        errors: tuple[type[BaseException], ...] | None = None,
    ) -> _T:
        """Async twin of `run`: token requests go through ``client`` (``None``: a
        short-lived client of the library, made when the first request is due)."""

        own: Any = None
        drive = Drive(None)
        outcome: Any = None
        error: BaseException | None = None
        try:
            async with contextlib.AsyncExitStack() as drive.alocks:
                try:
                    while True:
                        try:
                            action = flow.send(outcome) if error is None else flow.throw(error)
                        except StopIteration as stop:
                            result: _T = stop.value
                            return result
                        outcome = error = None
                        if isinstance(action, SendRequest):
                            if client is None:
                                own = client = self.lib.AsyncClient(timeout=10.0)
                            outcome, error = await self.asend(client, action, errors)
                            continue
                        try:
                            outcome = await self.aperform(action, drive)
                        except BaseException as exc:  # noqa: BLE001 - the flow decides
                            error = exc
                finally:
                    flow.close()
        finally:
            if own is not None:
                await own.aclose()

    async def adrive_request(
        self, flow: Generator[Any, Any, None], caller: Any
    ) -> AsyncGenerator[Any, Any]:
        """Async `drive_request`: token requests go through ``async_http_client`` or the
        calling client; without either they are yielded, like
        the caller's request, to the auth's `async_auth_flow`, which hands them to httpx."""
        lib = self.lib
        client = self.clients.async_via(caller)
        drive = Drive(caller)
        outcome: Any = None
        error: BaseException | None = None
        async with contextlib.AsyncExitStack() as drive.alocks:
            try:
                while True:
                    try:
                        action = flow.send(outcome) if error is None else flow.throw(error)
                    except StopIteration:
                        return
                    outcome = error = None
                    if isinstance(action, SendRequest) and client is not None:
                        outcome, error = await self.asend(client, action, None)
                        continue
                    try:
                        if isinstance(action, SendRequest):
                            try:
                                response = yield to_httpx_request(action.request, lib)
                                await response.aread()
                            except lib.HTTPError as exc:  # never raised: .request has secrets
                                outcome = transport_failure(exc, lib)
                            else:
                                outcome = http_result(response)
                        elif isinstance(action, lib.Request):
                            outcome = yield action
                        else:
                            outcome = await self.aperform(action, drive)
                    except BaseException as exc:  # noqa: BLE001 - the flow decides
                        error = exc
            finally:
                flow.close()

    async def asend(
        self, client: Any, action: Any, errors: tuple[type[BaseException], ...] | None
    ) -> tuple[Any, BaseException | None]:
        """Async `send` (see `asend_token_request`)."""
        return await asend_token_request(client, action, self.lib, errors)

    async def aperform(self, action: Any, drive: Drive) -> Any:
        """Async `perform`."""

        if isinstance(action, CacheRead):
            return await self.store.aget(action.key)
        if isinstance(action, WaitFlight):
            return await action.flight.wait_async(action.timeout)
        if isinstance(action, EnterLock):
            drive.asleep = self.lead_asleep()  # a close() from now on ends its retry sleeps
            lock = self.store.alead_lock(refresh=action.try_once)
            return await drive.alocks.enter_async_context(lock)
        if isinstance(action, ExitLock):
            await drive.alocks.aclose()
        elif isinstance(action, CacheWrite):
            await self.store.aset(action.key, action.token)
        elif isinstance(action, Sleep):
            await (drive.asleep or self.lead_asleep())(action.seconds)
        elif isinstance(action, ReloadSecret):
            return await self.reload_secret.acall()
        elif isinstance(action, StartRefresh):
            self.refresh_in_task(action.plan, drive.caller)
        elif isinstance(action, DeleteIf):
            await self.store.adelete_if(action.token)
        elif isinstance(action, ReadBody):
            await action.response.aread()
        return None
