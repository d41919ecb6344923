"""Background refresh jobs: one bounded, process-wide pool of refresh threads, and the jobs of
one auth object (a pool thread, an asyncio task or a trio system task) behind one interface.

A refresh starts when a request finds its token past the refresh point; the request goes on
with the valid token while the job asks for a new one. Two things here are process-wide:

- ``RefreshPool``: at most ``MAX_REFRESH_THREADS`` daemon threads serve the sync
  refreshes of every auth object in the process (200 auths crossing their refresh point
  together queue up instead of starting 200 threads). Idle threads end after a while; a
  process exiting never waits for a refresh (daemon threads).
- the at-fork reset: a child forked during a refresh has neither the parent's pool threads
  nor its jobs, so both the pool and every ``RefreshJobs`` start empty there (a job the
  child inherited would never finish, and ``wait_for_refresh`` / ``close`` would wait for it).

``RefreshJobs`` runs a callable handed in: it knows nothing of tokens or of the auth.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._logging import get_logger

__all__ = ["MAX_REFRESH_THREADS", "RefreshJobs", "RefreshPool", "refresh_pool"]

_log = get_logger("auth")

#: Most threads the process-wide pool runs at once (each refresh is one bounded attempt).
MAX_REFRESH_THREADS = 4

#: Seconds an idle pool thread waits for work before it ends.
IDLE_SECONDS = 30.0


class RefreshPool:
    """A small pool of daemon threads shared by every auth object of the process."""

    def __init__(
        self,
        max_threads: int = MAX_REFRESH_THREADS,
        idle: float = IDLE_SECONDS,
        name: str = "pingone-token-refresh",
    ) -> None:
        self.max_threads = max_threads
        self.idle = idle
        self.name = name
        self._reset()
        fork_register(self)

    def _reset(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue: collections.deque[Callable[[], None]] = collections.deque()
        self._threads = 0
        self._idle_threads = 0

    def _after_fork(self) -> None:
        """In a forked child: the parent's pool threads are not here, nor is their work."""
        self._reset()

    @property
    def threads(self) -> int:
        """Pool threads alive now (for tests and diagnostics)."""
        with self._cond:
            return self._threads

    def submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` on a pool thread (it must not raise); starts a thread only when none
        is idle and the pool is below its bound. Raises what ``Thread.start`` raises when no
        thread can be started and none is running to take the work."""
        with self._cond:
            self._queue.append(work)
            if self._idle_threads >= len(self._queue) or self._threads >= self.max_threads:
                self._cond.notify()
                return
            self._threads += 1
        thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
        try:
            thread.start()
        except BaseException:
            with self._cond:
                self._threads -= 1
                if self._threads == 0:  # nobody will ever take it: hand it back
                    with contextlib.suppress(ValueError):
                        self._queue.remove(work)
                    raise
                self._cond.notify()

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._queue:
                    self._idle_threads += 1
                    woken = self._cond.wait(self.idle)
                    self._idle_threads -= 1
                    if not woken and not self._queue:
                        self._threads -= 1
                        return
                work = self._queue.popleft()
            try:
                work()
            except BaseException as exc:  # noqa: BLE001 - nothing may reach threading.excepthook
                _log.debug("background refresh ended by %s", type(exc).__name__)


_pool: RefreshPool | None = None
_pool_lock = threading.Lock()


def refresh_pool() -> RefreshPool:
    """The process-wide ``RefreshPool`` (made on first use)."""
    global _pool  # noqa: PLW0603
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                _pool = RefreshPool()
    return _pool


class _Job:
    """One background refresh: pool work, an asyncio task or a trio system task."""

    __slots__ = ("cancel", "done", "loop", "runner", "task", "threaded", "trio_done", "trio_token")

    def __init__(self, *, threaded: bool) -> None:
        self.done = threading.Event()
        self.threaded = threaded
        self.runner: threading.Thread | None = None  # the pool thread running it
        self.cancel: Callable[[], None] | None = None
        self.task: Any = None
        self.loop: Any = None
        self.trio_done: Any = None
        self.trio_token: Any = None


class RefreshJobs:
    """The background refresh jobs of one auth object: start, wait for, cancel."""

    def __init__(self) -> None:
        self._jobs: set[_Job] = set()
        self._changed = threading.Condition(threading.Lock())
        fork_register(self)

    def _after_fork(self) -> None:
        """In a forked child: the parent's jobs run (or ran) in the parent only."""
        self._jobs = set()
        self._changed = threading.Condition(threading.Lock())

    def _add(self, job: _Job) -> None:
        with self._changed:
            self._jobs.add(job)

    def _finish(self, job: _Job) -> None:
        with self._changed:
            self._jobs.discard(job)
            job.done.set()
            self._changed.notify_all()

    def __len__(self) -> int:
        """Jobs not finished yet."""
        with self._changed:
            return len(self._jobs)

    def running(self) -> list[_Job]:
        """The jobs not finished yet."""
        with self._changed:
            return list(self._jobs)

    def start_thread(
        self, work: Callable[[], None], on_start_failed: Callable[[BaseException], None]
    ) -> None:
        """Run ``work`` (it must not raise) on the process-wide pool; if no thread can run
        it, ``on_start_failed`` gets the reason and the job ends."""
        job = _Job(threaded=True)
        self._add(job)

        def run() -> None:
            job.runner = threading.current_thread()
            try:
                work()
            finally:
                self._finish(job)

        try:
            refresh_pool().submit(run)
        except BaseException as exc:  # noqa: BLE001 - e.g. "can't start new thread"
            self._finish(job)
            on_start_failed(exc)

    def start_task(
        self,
        work: Callable[[], Awaitable[None]],
        on_done: Callable[[], None],
        on_start_failed: Callable[[BaseException], None],
    ) -> None:
        """Run the coroutine ``work()`` (it must not raise) as a task on the running loop: an
        asyncio task, or a trio system task (cancelled when ``trio.run`` ends). ``on_done`` runs
        when it ends, also when it is cancelled before it ever ran."""
        from ._eventloop import current_async_library

        job = _Job(threaded=False)
        self._add(job)
        try:
            if current_async_library() == "trio":
                self._start_trio(job, work, on_done)
            else:
                self._start_asyncio(job, work, on_done)
        except BaseException as exc:  # noqa: BLE001
            self._finish(job)
            on_start_failed(exc)

    def _start_trio(
        self, job: _Job, work: Callable[[], Awaitable[None]], on_done: Callable[[], None]
    ) -> None:
        import trio

        scope = trio.CancelScope()
        trio_token = trio.lowlevel.current_trio_token()
        job.trio_token, job.trio_done = trio_token, trio.Event()

        def cancel() -> None:
            with contextlib.suppress(trio.RunFinishedError):
                trio_token.run_sync_soon(scope.cancel)

        async def run() -> None:
            try:
                with scope:
                    await work()
            finally:
                on_done()
                job.trio_done.set()
                self._finish(job)

        job.cancel = cancel
        trio.lowlevel.spawn_system_task(run, name="pingone-token-refresh")

    def _start_asyncio(
        self, job: _Job, work: Callable[[], Awaitable[None]], on_done: Callable[[], None]
    ) -> None:
        import asyncio

        loop = asyncio.get_running_loop()

        async def run() -> None:
            await work()

        task = loop.create_task(run())
        job.task, job.loop = task, loop

        def cancel() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed
                loop.call_soon_threadsafe(task.cancel)

        def done(_task: Any) -> None:  # also when cancelled before it ever ran
            on_done()
            self._finish(job)

        job.cancel = cancel
        task.add_done_callback(done)

    def cancel_tasks(self) -> list[_Job]:
        """Cancel every task job; return every job still running (threads included)."""
        jobs = self.running()
        for job in jobs:
            if not job.threaded and job.cancel is not None:
                job.cancel()
        return jobs

    def wait(self, timeout: float) -> bool:
        """Block until no job runs; False if one still runs after ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._jobs, timeout)

    async def await_all(self, timeout: float) -> bool:
        """Async ``wait``: waits for the running loop's tasks without blocking it, and
        for other jobs in a worker thread."""
        deadline = time.monotonic() + timeout
        while True:
            jobs = self.running()
            if not jobs:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            await self.await_job(jobs[0], left)

    async def await_job(self, job: _Job, timeout: float) -> None:
        """Wait (at most ``timeout``) for one job from async code."""
        from ._eventloop import current_async_library, run_in_thread

        if job.task is not None:
            import asyncio

            if job.loop is asyncio.get_running_loop():
                await asyncio.wait({job.task}, timeout=timeout)
                return
        if job.trio_done is not None and current_async_library() == "trio":
            import trio

            if job.trio_token is trio.lowlevel.current_trio_token():
                with trio.move_on_after(timeout):
                    await job.trio_done.wait()
                return
        await run_in_thread(lambda: job.done.wait(timeout))

    def stop(self, join_timeout: float) -> None:
        """Cancel task jobs and wait (at most ``join_timeout``) for pool jobs, each one bounded
        attempt; never for the job running on the calling thread (a refresh closing its auth)."""
        jobs = self.cancel_tasks()
        deadline = time.monotonic() + join_timeout
        me = threading.current_thread()
        for job in jobs:
            if job.threaded and job.runner is not me:
                job.done.wait(max(0.0, deadline - time.monotonic()))
