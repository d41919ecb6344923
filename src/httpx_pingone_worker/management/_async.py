"""``AsyncPingOneClient``: the Management API client over ``httpx.AsyncClient``.

An I/O shell (asyncio or trio): it performs the actions of `_SansIO.exchange` with awaits. Over
400 lines for the same reason as `PingOneClient`: one short awaited method per operation.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import (
    AsyncGenerator,
    Awaitable,
    Callable,
    Generator,
    Mapping,
)
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from httpx_pingone_worker._core._errors import ConflictError, NotFoundError
from httpx_pingone_worker._core._secrets import Secret

if TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

    from ._lib import _AsyncTransportLike  # noqa: F401 - named in the base class subscript string


from . import _provisioning as _p
from . import _writes as _w
from ._actions import arun_on
from ._base import TestTime, _ClientBase
from ._lib import _split_from_env
from ._models import (
    Application,
    BillOfMaterials,
    Environment,
    Group,
    Population,
    Resource,
    Role,
    RoleAssignment,
    SignOnPolicy,
    User,
)
from ._paging import MAX_PAGES, Page, _Pager
from ._redirects import asend_api
from ._sansio import (
    _AcquirePermit,
    _Action,
    _CloseResponse,
    _groups_query,
    _json_or_none,
    _populations_query,
    _Query,
    _RequestOptions,
    _role_assignments_query,
    _SendRequest,
    _user_groups_query,
)

__all__ = [
    "AsyncPingOneClient",
]

_T = TypeVar("_T")


# --- the async I/O shell ---------------------------------------------------------------------


async def _anyio_sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)


class AsyncPingOneClient(
    _ClientBase[
        "httpx.AsyncClient", "httpx.AsyncBaseTransport | _AsyncTransportLike", Awaitable[None]
    ]
):
    """The async twin of ``PingOneClient`` over ``httpx.AsyncClient`` (asyncio or trio).

    Same constructor; ``sleep`` is an async callable (default ``anyio.sleep``).
    """

    _http_class = "AsyncClient"

    @classmethod
    def from_env(cls, **kwargs: Any) -> AsyncPingOneClient:
        """A client whose auth comes from the same sources as `PingOneWorkerAuth.from_env`
        (see `PingOneClient.from_env`)."""
        auth_kwargs, client_kwargs = _split_from_env(kwargs)
        from httpx_pingone_worker._auth import PingOneWorkerAuth

        return cls(auth=PingOneWorkerAuth.from_env(**auth_kwargs), **client_kwargs)

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        return _anyio_sleep

    def _test_sleep(self, test_time: TestTime) -> Callable[[float], Awaitable[None]]:
        return test_time.async_sleep

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
        """Send one API request; see ``PingOneClient.request``."""
        opts = _RequestOptions(params, json, headers, transaction_id, session_id, safe_to_retry)
        flow = self._sansio.exchange(self.http.build_request, method, path, opts)
        return _json_or_none(await self._send(flow))

    async def _send(self, flow: Generator[_Action, Any, httpx.Response]) -> httpx.Response:
        outcome: Any = None
        while True:
            try:
                action = flow.send(outcome)
            except StopIteration as done:
                response: httpx.Response = done.value
                return response
            outcome = None
            if isinstance(action, _SendRequest):
                try:
                    outcome = await asend_api(self.http, action.request)
                except self._sansio.lib.HTTPError as exc:  # its .request holds the token
                    outcome = exc
            elif isinstance(action, _AcquirePermit):
                await action.limiter.aacquire()
            elif isinstance(action, _CloseResponse):
                await action.response.aclose()
            else:
                await self._sleep(action.seconds)

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
        pager = _Pager(path, params, key, self._sansio.url_for(path), max_pages)
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
        """Yield every item of a collection lazily; see ``PingOneClient.paginate``."""
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
        return await self._one(self._sansio.env_query(environment_id, "", Environment.from_json))

    async def get_application(
        self, app_id: str, *, environment_id: str | None = None
    ) -> Application:
        """One application (for a worker app, its id is its client id)."""
        path = f"/applications/{app_id}"
        return await self._one(self._sansio.env_query(environment_id, path, Application.from_json))

    async def list_applications(self, *, environment_id: str | None = None) -> list[Application]:
        """Every application of the environment."""
        query = self._sansio.env_query(environment_id, "/applications", Application.from_json)
        return [app async for app in self._each(query)]

    async def list_role_assignments(
        self, app_id: str, *, environment_id: str | None = None
    ) -> list[RoleAssignment]:
        """The application's role assignments."""
        query = _role_assignments_query(self._sansio, app_id, environment_id)
        return [assignment async for assignment in self._each(query)]

    async def get_role(self, role_id: str) -> Role:
        """A role by id (``GET /roles/{roleId}``)."""
        return await self._one(_Query(f"/roles/{role_id}", Role.from_json))

    async def get_user(self, user_id: str, *, environment_id: str | None = None) -> User:
        """One user."""
        query = self._sansio.env_query(environment_id, f"/users/{user_id}", User.from_json)
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
            self._each(self._sansio.users_query(filter, limit, environment_id))
        ) as users:
            async for user in users:
                yield user

    async def iter_groups(
        self, filter: str | None = None, *, environment_id: str | None = None
    ) -> AsyncGenerator[Group, None]:
        """Groups of the environment, lazily (``filter``: PingOne's filter)."""
        async with contextlib.aclosing(
            self._each(_groups_query(self._sansio, environment_id, filter))
        ) as groups:
            async for group in groups:
                yield group

    async def get_group(self, group_id: str, *, environment_id: str | None = None) -> Group:
        """One group by id (`NotFoundError` when there is none)."""
        path = f"/groups/{_w.checked_id(group_id, 'group_id')}"
        return await self._one(self._sansio.env_query(environment_id, path, Group.from_json))

    async def find_group(
        self,
        name: str,
        *,
        population_id: str | None = None,
        environment_id: str | None = None,
    ) -> Group | None:
        """The group called ``name``, or `None` (see `PingOneClient.find_group`)."""
        flow = _p.find_group(self._sansio, name, population_id, environment_id)
        return await arun_on(flow, self)

    async def get_or_create_group(
        self,
        name: str,
        *,
        population_id: str | None = None,
        description: str | None = None,
        environment_id: str | None = None,
    ) -> tuple[Group, bool]:
        """The group called ``name``, created when missing (`True`); safe under concurrent
        tasks and processes (see `PingOneClient.get_or_create_group`)."""
        flow = _p.get_or_create_group(
            self._sansio, name, population_id, description, environment_id
        )
        return await arun_on(flow, self)

    async def find_user(
        self,
        *,
        username: str | None = None,
        email: str | None = None,
        environment_id: str | None = None,
    ) -> User | None:
        """The one user with this username and/or email, or `None` (see
        `PingOneClient.find_user`)."""
        return await arun_on(_p.find_user(self._sansio, username, email, environment_id), self)

    async def iter_user_groups(
        self, user_id: str, *, environment_id: str | None = None
    ) -> AsyncGenerator[Group, None]:
        """The groups ``user_id`` is a direct member of, lazily (paged)."""
        query = _user_groups_query(self._sansio, user_id, environment_id)
        async with contextlib.aclosing(self.paginate(query.path)) as items:
            async for item in items:
                if item.get("type", "DIRECT") == "DIRECT":
                    yield Group.from_json(item)

    async def _collect(
        self, query: _Query[_T], accept: Callable[[_T], bool], limit: int
    ) -> list[_T]:
        out: list[_T] = []
        async with contextlib.aclosing(self._each(query)) as objs:
            async for obj in objs:
                if accept(obj):
                    out.append(obj)
                    if len(out) >= limit:
                        break
        return out

    async def iter_populations(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[Population, None]:
        """Populations of the environment, lazily."""
        query = _populations_query(self._sansio, environment_id)
        async with contextlib.aclosing(self._each(query)) as populations:
            async for population in populations:
                yield population

    async def iter_sign_on_policies(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[SignOnPolicy, None]:
        """Sign-on policies of the environment, lazily."""
        query = self._sansio.env_query(
            environment_id, "/signOnPolicies", SignOnPolicy.from_json, key="signOnPolicies"
        )
        async with contextlib.aclosing(self._each(query)) as policies:
            async for policy in policies:
                yield policy

    async def iter_resources(
        self, *, environment_id: str | None = None
    ) -> AsyncGenerator[Resource, None]:
        """Resources of the environment (PingOne API, openid, custom), lazily."""
        query = self._sansio.env_query(
            environment_id, "/resources", Resource.from_json, key="resources"
        )
        async with contextlib.aclosing(self._each(query)) as resources:
            async for resource in resources:
                yield resource

    # typed writes ----------------------------------------------------------------------
    async def _write(self, write: _w._Write[_T]) -> _T:
        return write.parse(await self.request(write.method, write.path, json=write.json))

    async def create_user(
        self,
        *,
        username: str,
        email: str | None = None,
        population_id: str | None = None,
        name: Mapping[str, str] | None = None,
        enabled: bool | None = None,
        attributes: Mapping[str, Any] | None = None,
        environment_id: str | None = None,
    ) -> User:
        """Create a user (default population unless ``population_id``); ``attributes`` adds
        any other PingOne user attribute. A taken username raises ManagementApiError whose
        ``details`` name the field and the existing user's id."""
        return await self._write(
            _w.create_user(
                self._sansio,
                username=username,
                email=email,
                population_id=population_id,
                name=name,
                enabled=enabled,
                attributes=attributes,
                environment_id=environment_id,
            )
        )

    async def update_user(
        self,
        user_id: str,
        attributes: Mapping[str, Any] | None = None,
        /,
        *,
        username: str | None = None,
        email: str | None = None,
        population_id: str | None = None,
        name: Mapping[str, str] | None = None,
        enabled: bool | None = None,
        environment_id: str | None = None,
        **fields: Any,
    ) -> User:
        """Change some attributes of a user (``PATCH``); see `PingOneClient.update_user`."""
        given: dict[str, Any] = {"username": username, "email": email, "name": name}
        given |= {"population_id": population_id, "enabled": enabled, **fields}
        flow = _p.update_user(user_id, attributes, given, environment_id)
        return await arun_on(flow, self)

    async def _patch_user(
        self, user_id: str, attributes: Mapping[str, Any], *, environment_id: str | None = None
    ) -> User:
        return await self._write(
            _w.update_user(
                self._sansio, user_id, attributes, replace=False, environment_id=environment_id
            )
        )

    async def create_or_update_user(
        self,
        *,
        username: str,
        email: str | None = None,
        population_id: str | None = None,
        name: Mapping[str, str] | None = None,
        enabled: bool | None = None,
        attributes: Mapping[str, Any] | None = None,
        environment_id: str | None = None,
    ) -> tuple[User, bool]:
        """The user ``username`` holding these values; `True` when created (see
        `PingOneClient.create_or_update_user`)."""
        flow = _p.create_or_update_user(
            self._sansio,
            username=username,
            email=email,
            population_id=population_id,
            name=name,
            enabled=enabled,
            attributes=attributes,
            environment_id=environment_id,
        )
        return await arun_on(flow, self)

    async def move_user(
        self, user_id: str, population_id: str, *, environment_id: str | None = None
    ) -> None:
        """Move a user to another population (``PUT …/users/{id}/population``)."""
        await self._write(_w.move_user(self._sansio, user_id, population_id, environment_id))

    async def replace_user(
        self, user_id: str, attributes: Mapping[str, Any], *, environment_id: str | None = None
    ) -> User:
        """Replace a user (``PUT``: attributes not sent are removed; needs username, email)."""
        return await self._write(
            _w.update_user(
                self._sansio, user_id, attributes, replace=True, environment_id=environment_id
            )
        )

    async def delete_user(self, user_id: str, *, environment_id: str | None = None) -> None:
        """Delete a user."""
        await self._write(_w.delete(self._sansio, "user", user_id, environment_id))

    async def set_user_enabled(
        self, user_id: str, enabled: bool, *, environment_id: str | None = None
    ) -> bool:
        """Enable or disable a user; returns the new state."""
        return await self._write(_w.set_enabled(self._sansio, user_id, enabled, environment_id))

    async def create_group(
        self,
        *,
        name: str,
        description: str | None = None,
        population_id: str | None = None,
        environment_id: str | None = None,
    ) -> Group:
        """Create a group: of the environment, or of ``population_id`` (a taken name raises
        `ConflictError`)."""
        return await self._write(
            _w.create_group(
                self._sansio,
                name=name,
                description=description,
                population_id=population_id,
                environment_id=environment_id,
            )
        )

    async def delete_group(self, group_id: str, *, environment_id: str | None = None) -> None:
        """Delete a group (its memberships go with it)."""
        await self._write(_w.delete(self._sansio, "group", group_id, environment_id))

    async def add_user_to_group(
        self,
        user_id: str,
        group_id: str,
        *,
        exist_ok: bool = False,
        environment_id: str | None = None,
    ) -> bool:
        """Make a user a direct member of a group; `True` when this call added it
        (``exist_ok=True``: an existing membership returns `False`)."""
        try:
            await self._write(_w.add_to_group(self._sansio, user_id, group_id, environment_id))
        except ConflictError:
            if exist_ok:
                return False
            raise
        return True

    async def remove_user_from_group(
        self,
        user_id: str,
        group_id: str,
        *,
        missing_ok: bool = False,
        environment_id: str | None = None,
    ) -> bool:
        """End a user's direct membership of a group; `True` when this call removed it
        (``missing_ok=True``: no such membership returns `False`)."""
        try:
            await self._write(_w.remove_from_group(self._sansio, user_id, group_id, environment_id))
        except NotFoundError:
            if missing_ok:
                return False
            raise
        return True

    async def rotate_application_secret(
        self,
        app_id: str,
        *,
        previous_expires_at: dt.datetime | None = None,
        environment_id: str | None = None,
    ) -> Secret:
        """Give an application a new client secret and return it (masked ``Secret``).

        The old secret keeps working until ``previous_expires_at`` (an aware datetime), or
        stops at once without it. Store the new secret before the old one expires.
        """
        return await self._write(
            _w.rotate_secret(self._sansio, app_id, previous_expires_at, environment_id)
        )

    async def get_bill_of_materials(self, *, environment_id: str | None = None) -> BillOfMaterials:
        """The environment's bill of materials (its products)."""
        query = self._sansio.env_query(
            environment_id, "/billOfMaterials", BillOfMaterials.from_json
        )
        return await self._one(query)
