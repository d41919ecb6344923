"""What `close()` and an `invalid_client` answer reach inside a running fetch.

- `CloseSignal`: `close()` / `aclose()` set it; a fetch sleeping before a retry wakes at once
  and ends with a `TokenError` (`error="closed"`), which its waiters receive too. Each fetch
  waits on the signal current when it took the lock, so a fetch started after `close()` is
  not affected. A forked child starts with a signal of its own.
- `SecretReload`: asks the `secret_provider` once more after `invalid_client`; a provider
  that fails must not hide the `invalid_client` the user needs to see.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable

from httpx_pingone_worker._core._errors import TokenError
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._logging import EventKind, log_event
from httpx_pingone_worker._core._secrets import Secret, SecretProvider, take_secret

from ._flight import Wakeup

__all__ = ["CloseSignal", "SecretReload"]


def closed_error() -> TokenError:
    """The error of a fetch whose auth was closed while it waited to retry."""
    return TokenError(
        "PingOneWorkerAuth was closed while this token request waited to retry",
        error="closed",
        hint="close the auth only after the requests that use it have finished; "
        "a later call works again (with a new internal client)",
    )


class CloseSignal:
    """Set by `close()`: wakes the retry sleeps of fetches that started before it."""

    __slots__ = ("__weakref__", "_current", "_lock")

    def __init__(self) -> None:
        self._current = Wakeup()
        self._lock = threading.Lock()
        fork_register(self)

    def _after_fork(self) -> None:
        """In a forked child: a signal of its own (no fetch of the parent's runs here)."""
        self._current = Wakeup()
        self._lock = threading.Lock()

    def fire(self) -> None:
        """Wake every sleeping fetch (they end with the closed error); later fetches sleep on
        a new signal."""
        with self._lock:
            fired, self._current = self._current, Wakeup()
        fired.set()

    def sleeper(self) -> Callable[[float], None]:
        """A retry sleep that ends early, with the closed error, when `fire()` runs."""
        signal = self._current

        def sleep(seconds: float) -> None:
            if signal.wait(seconds):
                raise closed_error()

        return sleep

    def async_sleeper(self) -> Callable[[float], Awaitable[None]]:
        """Async `sleeper` (asyncio or trio, without blocking the loop)."""
        signal = self._current

        async def sleep(seconds: float) -> None:
            if await signal.wait_async(seconds):
                raise closed_error()

        return sleep


class SecretReload:
    """The `secret_provider` of an auth, asked once more after `invalid_client`."""

    __slots__ = ("provider",)

    def __init__(self, provider: SecretProvider | None) -> None:
        self.provider = provider

    def __call__(self) -> Secret | None:
        """The provider's secret now (wrapped at once), or None when it has none or fails."""
        if self.provider is None:
            return None
        try:
            # Wrapped at once: the fetch flow keeps it in a local while it retries, and a
            # second invalid_client unwinds through that frame.
            return take_secret(self.provider())[0]
        except Exception as exc:  # noqa: BLE001 - e.g. the stored entry was deleted
            log_event(
                EventKind.ERROR,
                "could not re-read the client secret",
                level=30,
                logger="auth",
                type=type(exc).__name__,
            )
            return None

    async def acall(self) -> Secret | None:
        """`__call__` in a worker thread (a provider may read a file or a keyring)."""
        from ._eventloop import run_in_thread

        secret: Secret | None = await run_in_thread(self)
        return secret
