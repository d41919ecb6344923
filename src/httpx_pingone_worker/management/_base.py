"""What the sync and async Management API clients share: construction, properties, repr."""

from __future__ import annotations

import random
import time
from collections.abc import (
    Callable,
    Mapping,
)
from typing import Any, ClassVar, Generic, Literal, TypeVar

import httpx

from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker._core._retry import RetryPolicy
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._testtime import TestTime, current_test_time, set_test_time
from httpx_pingone_worker._core._token import Token

from ._lib import _AuthLike, _timeout_for
from ._ratelimit import RateLimiter
from ._sansio import DEFAULT_TIMEOUT, USER_AGENT, _SansIO

__all__ = ["TestTime", "set_test_time"]


_HttpT = TypeVar("_HttpT")  # the underlying client: httpx.Client or httpx.AsyncClient
_TransportT = TypeVar("_TransportT")
_SleepT = TypeVar("_SleepT")  # what ``sleep`` returns: None, or an awaitable


class _ClientBase(Generic[_HttpT, _TransportT, _SleepT]):
    """Construction, properties and repr shared by ``PingOneClient`` and its async twin.

    ``_HttpT`` is the underlying client (``httpx.Client`` / ``httpx.AsyncClient``), created
    from the chosen library's ``_http_class``; ``sleep=None`` means the shell's
    ``_default_sleep`` (``time.sleep`` / ``anyio.sleep``).
    """

    _http_class: ClassVar[str]

    def __init__(
        self,
        *,
        auth: httpx.Auth | _AuthLike | None = None,
        token: str | Secret | Token | None = None,
        environment_id: str | None = None,
        region: Region | str | None = None,
        api_base_url: str | None = None,
        transport: _TransportT | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
        rate_limiter: RateLimiter | Literal[False] | None = None,
        retry: RetryPolicy | Literal[False] | None = None,
        headers: Mapping[str, str] | None = None,
        allow_loopback_http: bool = False,
        sleep: Callable[[float], _SleepT] | None = None,
        rng: random.Random | None = None,
        clock: Callable[[], float] | None = None,
        **httpx_kwargs: Any,
    ) -> None:
        test_time = current_test_time()
        if test_time is not None:  # an emulator-mode test: wait on the emulator's clock
            clock = clock or test_time.clock
            if sleep is None:
                sleep = self._test_sleep(test_time)
            if rate_limiter is None:
                rate_limiter = RateLimiter(
                    clock=test_time.clock,
                    sleep=test_time.sleep,
                    async_sleep=test_time.async_sleep,
                )
        clock = clock or time.monotonic
        if isinstance(token, str):  # wrapped first: no frame of a failure holds it raw
            token = Secret(token)
        self._sansio = _SansIO(
            auth=auth,
            token=token,
            transport=transport,
            environment_id=environment_id,
            region=region,
            api_base_url=api_base_url,
            rate_limiter=rate_limiter,
            retry=retry,
            allow_loopback_http=allow_loopback_http,
            rng=rng,
            clock=clock,
        )
        self._sleep: Callable[[float], _SleepT] = sleep or self._default_sleep()
        #: The underlying client: an ``httpx2`` client when auth/transport are httpx2's.
        self.http: _HttpT = getattr(self._sansio.lib, self._http_class)(
            auth=self._sansio.auth,
            transport=transport,
            timeout=_timeout_for(self._sansio.lib, timeout),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})},
            **httpx_kwargs,
        )

    def _default_sleep(self) -> Callable[[float], _SleepT]:
        raise NotImplementedError  # pragma: no cover - each shell defines it

    def _test_sleep(self, test_time: TestTime) -> Callable[[float], _SleepT]:
        raise NotImplementedError  # pragma: no cover - each shell defines it

    @property
    def environment_id(self) -> str | None:
        """The default environment of ``{env}`` paths and the typed getters."""
        return self._sansio.environment_id

    @property
    def auth(self) -> httpx.Auth:
        """The ``httpx.Auth`` (``httpx2.Auth`` with httpx2) used for every request."""
        auth: httpx.Auth = self._sansio.auth
        return auth

    @property
    def api_base_url(self) -> str:
        """``https://api.pingone.<tld>/v1`` or the override."""
        return self._sansio.api_base_url

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The client-side limiter (shareable), or ``None`` when disabled."""
        return self._sansio.rate_limiter

    def __repr__(self) -> str:
        try:
            return (
                f"{type(self).__name__}(api_base_url={self.api_base_url!r}, "
                f"environment_id={self.environment_id!r})"
            )
        except AttributeError:  # half-built (__init__ raised): tracebacks with locals repr it
            return f"{type(self).__name__}(<not initialised>)"
