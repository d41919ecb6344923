"""`TokenClients`: which httpx client sends one auth's token requests.

1. `http_client` (sync) / `async_http_client` (async), when given: used as they are;
2. else the client whose request needs the token (its transport, proxies, TLS settings and
   mocks apply). httpx's `Auth` API does not hand the client to the flow, so the flow reads
   it from the calling frame; only an open client of the library counts, and never one this
   auth first saw in another process (a client used before a fork shares its keep-alive
   sockets with the parent and every sibling: their responses can cross);
3. else the internal client, made on first use in this process (sync; closed by `close()`),
   or a short-lived one per request (async).

In a forked child the internal client is forgotten, not closed (its sockets are the
parent's), and the locks are new (a parent thread may have held them).
"""

from __future__ import annotations

import os
import threading
import weakref
from types import FrameType
from typing import Any

from httpx_pingone_worker._core._fork import ForkGuard
from httpx_pingone_worker._core._fork import register as fork_register
from httpx_pingone_worker._core._httplib import HttpLib
from httpx_pingone_worker._core._logging import get_logger

__all__ = ["TokenClients"]

_log = get_logger("auth")


class TokenClients:
    """The clients one auth object may send token requests through (see the module)."""

    __slots__ = (
        "__weakref__",
        "_fork",
        "_own",
        "_own_lock",
        "_seen",
        "_seen_lock",
        "async_http_client",
        "http_client",
        "lib",
    )

    def __init__(self, lib: HttpLib, http_client: Any, async_http_client: Any) -> None:
        self.lib = lib
        self.http_client = http_client
        self.async_http_client = async_http_client
        self._own: Any = None
        self._own_lock = threading.Lock()
        #: The pid each calling client was first seen in (see `used_before_fork`).
        self._seen: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._seen_lock = threading.Lock()
        self._fork = ForkGuard()
        fork_register(self)

    def _after_fork(self) -> None:
        """In a forked child: fresh locks and no internal client (not closed: closing would
        touch the parent's connections)."""
        self._own_lock = threading.Lock()
        self._own = None
        self._seen_lock = threading.Lock()
        self._fork.pid = os.getpid()

    def calling(self, frame: FrameType | None) -> Any:
        """The client whose request is running the auth flow, or `None`.

        The client's `_send_handling_auth` resumes the flow, so the flow's caller frame has the
        client as `self`. Only read off the hot path (a refresh or a fetch is due); anything
        that is not an open client of this library (a flow driven by hand) is no client.
        """
        candidate = frame.f_locals.get("self") if frame is not None else None
        lib = self.lib
        if isinstance(candidate, (lib.Client, lib.AsyncClient)) and not candidate.is_closed:
            return candidate
        return None

    def sync(self) -> Any:
        """`http_client`, else the internal client (made on first use)."""
        if self.http_client:
            return self.http_client
        return self.internal()

    def internal(self) -> Any:
        """This process's internal client (made on first use, closed by `close_internal`)."""
        if self._fork.forked():  # a fork the at-fork hook did not see
            self._after_fork()
        with self._own_lock:
            if self._own is None:
                self._own = self.lib.Client(timeout=10.0)
            return self._own

    @property
    def own(self) -> Any:
        """The internal client if one was made (for tests and diagnostics)."""
        return self._own

    def close_internal(self) -> None:
        """Close the internal client (a later request makes a new one)."""
        with self._own_lock:
            client, self._own = self._own, None
        if client is not None:
            client.close()

    def used_before_fork(self, client: Any) -> bool:
        """True when this auth first saw `client` in another process (see the module)."""
        pid = os.getpid()
        with self._seen_lock:
            seen = self._seen.setdefault(client, pid)
        if seen != pid:
            _log.debug("a client used before fork; token requests use the internal client")
        return seen != pid

    def via(self, caller: Any) -> Any:
        """The client a sync token request goes through: `http_client`, else the calling
        client, else `None` (the flow's driver yields the request); the internal client
        instead of a calling client used before a fork."""
        if self.http_client:
            return self.http_client
        if caller is not None and self.used_before_fork(caller):
            return self.internal()
        return caller

    def async_via(self, caller: Any) -> Any:
        """The client an async token request of a request flow goes through, or `None`."""
        return self.async_http_client or caller

    def for_thread_refresh(self, caller: Any) -> Any:
        """The client a background refresh thread uses: as `via`, for an open sync calling
        client only; `None` means the internal client."""
        lib = self.lib
        return self.via(caller if isinstance(caller, lib.Client) and not caller.is_closed else None)

    def for_task_refresh(self, caller: Any) -> Any:
        """The client a background refresh task uses: `async_http_client`, else an open async
        calling client; `None` means a short-lived client."""
        lib = self.lib
        return self.async_http_client or (
            caller if isinstance(caller, lib.AsyncClient) and not caller.is_closed else None
        )
