""":class:`AsyncPingOneClient`: the Management API client over ``httpx.AsyncClient``.

An I/O shell (asyncio or trio): it performs the steps of :meth:`_Core.exchange` with awaits.
"""

from __future__ import annotations

import contextlib
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Mapping,
)
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

if TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

    from ._lib import _AsyncTransportLike  # noqa: F401 - named in the base class subscript string


from ._base import _ClientBase
from ._core import (
    _Acquire,
    _Close,
    _groups_query,
    _json_or_none,
    _populations_query,
    _Query,
    _RequestOptions,
    _role_assignments_query,
    _Send,
    _Step,
)
from ._models import Application, Environment, Group, Population, Role, RoleAssignment, User
from ._paging import MAX_PAGES, Page, _Pager

__all__ = [
    "AsyncPingOneClient",
]

_T = TypeVar("_T")


# --- the clients: one shared base, sync and async I/O shells ------------------------------


async def _anyio_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


class AsyncPingOneClient(
    _ClientBase[
        "httpx.AsyncClient", "httpx.AsyncBaseTransport | _AsyncTransportLike", Awaitable[None]
    ]
):
    """The async twin of :class:`PingOneClient` over ``httpx.AsyncClient`` (asyncio or trio).

    Same constructor; ``sleep`` is an async callable (default ``anyio.sleep``).
    """

    _http_class = "AsyncClient"

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return _anyio_sleep

    async def aclose(self) -> None:
        """Close the underlying ``httpx.AsyncClient``."""
        await self.http.aclose()

    async def __aenter__(self) -> AsyncPingOneClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        transaction_id: str | None = None,
        session_id: str | None = None,
        safe_to_retry: bool = False,
    ) -> Any:
        """Send one API request; see :meth:`PingOneClient.request`."""
        opts = _RequestOptions(params, json, headers, transaction_id, session_id, safe_to_retry)
        flow = self._core.exchange(self.http.build_request, method, path, opts)
        return _json_or_none(await self._send(flow))

    async def _send(self, flow: Generator[_Step, Any, httpx.Response]) -> httpx.Response:
        reply: Any = None
        while True:
            try:
                step = flow.send(reply)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            reply = None
            if isinstance(step, _Send):
                try:
                    reply = await self.http.send(step.request)
                except self._core.lib.TransportError as exc:
                    reply = exc
            elif isinstance(step, _Acquire):
                await step.limiter.aacquire()
            elif isinstance(step, _Close):
                await step.response.aclose()
            else:
                await self._sleep(step.seconds)

    async def get(self, path: str, **kw: Any) -> Any:
        """``GET path``."""
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> Any:
        """``POST path`` (retried only with ``safe_to_retry=True``)."""
        return await self.request("POST", path, **kw)

    async def put(self, path: str, **kw: Any) -> Any:
        """``PUT path``."""
        return await self.request("PUT", path, **kw)

    async def patch(self, path: str, **kw: Any) -> Any:
        """``PATCH path`` (retried only with ``safe_to_retry=True``)."""
        return await self.request("PATCH", path, **kw)

    async def delete(self, path: str, **kw: Any) -> Any:
        """``DELETE path``."""
        return await self.request("DELETE", path, **kw)

    async def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        max_pages: int = MAX_PAGES,
        **kw: Any,
    ) -> AsyncGenerator[Page, None]:
        """Yield collection pages lazily, following ``_links.next.href``."""
        pager = _Pager(path, params, key, self._core.url_for(path), max_pages)
        while (nxt := pager.request()) is not None:
            yield pager.feed(await self.request("GET", nxt[0], params=nxt[1], **kw))

    async def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        max_pages: int = MAX_PAGES,
        **kw: Any,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Yield every item of a collection lazily; see :meth:`PingOneClient.paginate`."""
        async with contextlib.aclosing(
            self.pages(path, params, key=key, max_pages=max_pages, **kw)
        ) as pages:
            async for page in pages:
                for item in page.items:
                    yield dict(item)

    # typed getters ---------------------------------------------------------------------
    async def _one(self, query: _Query[_T]) -> _T:
        return query.parse(await self.get(query.path))

    async def _each(self, query: _Query[_T]) -> AsyncGenerator[_T, None]:
        items = self.paginate(query.path, query.params or None, key=query.key)
        async with contextlib.aclosing(items):
            async for item in items:
                yield query.parse(item)

    async def get_environment(self, environment_id: str | None = None) -> Environment:
        """The environment (name, type, region, license, organization, products)."""
        return await self._one(self._core.env_query(environment_id, "", Environment.from_json))

    async def get_application(
        self, app_id: str, *, environment_id: str | None = None
    ) -> Application:
        """One application (for a worker app, its id is its client id)."""
        path = f"/applications/{app_id}"
        return await self._one(self._core.env_query(environment_id, path, Application.from_json))

    async def list_applications(self, *, environment_id: str | None = None) -> list[Application]:
        """Every application of the environment."""
        query = self._core.env_query(environment_id, "/applications", Application.from_json)
        return [app async for app in self._each(query)]

    async def list_role_assignments(
        self, app_id: str, *, environment_id: str | None = None
    ) -> list[RoleAssignment]:
        """The application's role assignments."""
        query = _role_assignments_query(self._core, app_id, environment_id)
        return [assignment async for assignment in self._each(query)]

    async def get_role(self, role_id: str) -> Role:
        """A role by id (``GET /roles/{roleId}``)."""
        return await self._one(_Query(f"/roles/{role_id}", Role.from_json))

    async def get_user(self, user_id: str, *, environment_id: str | None = None) -> User:
        """One user."""
        query = self._core.env_query(environment_id, f"/users/{user_id}", User.from_json)
        return await self._one(query)

    async def iter_users(
        self,
        *,
        filter: str | None = None,
        limit: int | None = None,
        environment_id: str | None = None,
    ) -> AsyncGenerator[User, None]:
        """Users of the environment, lazily (``filter`` is PingOne's SCIM-like filter)."""
        async with contextlib.aclosing(
            self._each(self._core.users_query(filter, limit, environment_id))
        ) as users:
            async for user in users:
                yield user

    async def iter_groups(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[Group, None]:
        """Groups of the environment, lazily."""
        async with contextlib.aclosing(
            self._each(_groups_query(self._core, environment_id))
        ) as groups:
            async for group in groups:
                yield group

    async def iter_populations(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[Population, None]:
        """Populations of the environment, lazily."""
        query = _populations_query(self._core, environment_id)
        async with contextlib.aclosing(self._each(query)) as populations:
            async for population in populations:
                yield population
