"""``PingOneClient``: the Management API client over ``httpx.Client`` (or httpx2's).

An I/O shell: it performs the actions of `_SansIO.exchange` with blocking calls. Over 400 lines
because it is the public surface: one short typed method per Management API operation (their
logic lives in `_sansio`, `_writes` and `_provisioning`), each with its user-facing docstring.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import (
    Callable,
    Generator,
    Iterator,
    Mapping,
)
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from httpx_pingone_worker._core._errors import ConflictError, NotFoundError
from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import Token

if TYPE_CHECKING:  # pragma: no cover
    from types import TracebackType

    from ._lib import _TransportLike  # noqa: F401 - named in the base class subscript string


from . import _provisioning as _p
from . import _writes as _w
from ._actions import run_on
from ._base import TestTime, _ClientBase
from ._lib import _AuthLike, _split_from_env
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
from ._redirects import send_api
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
    "PingOneClient",
    "create_pingone_client",
]

_T = TypeVar("_T")


class PingOneClient(_ClientBase["httpx.Client", "httpx.BaseTransport | _TransportLike", None]):
    """A PingOne Management API client over ``httpx.Client`` (or ``httpx2.Client``).

    ```pycon
    >>> with PingOneClient(auth=auth, environment_id=env, region="EU") as client:
    ...     env = client.get_environment()
    ...     for user in client.paginate("/environments/{env}/users", params={"limit": 100}):
    ...         ...
    ```

    ``auth`` is a [`PingOneWorkerAuth`][httpx_pingone_worker.PingOneWorkerAuth] (its 401 resend-once
    applies) or any ``httpx.Auth``; ``token`` a static access token. With the
    ``PingOneWorkerAuth`` of ``httpx_pingone_worker.httpx2`` (or an httpx2 transport) the
    client runs on httpx2. ``rate_limiter=None``
    gives the client its own default limiter, ``False`` disables it; ``retry=None`` retries
    idempotent calls on 429/502/503/504 with jittered backoff, waiting out a ``Retry-After``
    of up to 60 s within a 120 s budget (pass a [`RetryPolicy`][httpx_pingone_worker.RetryPolicy] to
    tune), ``False`` disables retries. ``sleep`` (default ``time.sleep``), ``clock`` and ``rng`` are
    injectable for tests.
    """

    _http_class = "Client"

    @classmethod
    def from_env(cls, **kwargs: Any) -> PingOneClient:
        """A client whose auth comes from the same sources as `PingOneWorkerAuth.from_env`.

        ``PINGONE_CLIENT_ID``, ``PINGONE_CLIENT_SECRET``, ``PINGONE_ENVIRONMENT_ID``,
        ``PINGONE_REGION`` (and ``PINGONE_AUTH_BASE_URL`` / ``PINGONE_API_BASE_URL``, e.g. an
        emulator server's, whose CA ``SSL_CERT_FILE`` names), ``.env`` and settings files.
        Keywords of `PingOneWorkerAuth.from_env` (``env_file=`` …) go to the auth, the rest
        to the client.
        """
        auth_kwargs, client_kwargs = _split_from_env(kwargs)
        from httpx_pingone_worker._auth import PingOneWorkerAuth

        return cls(auth=PingOneWorkerAuth.from_env(**auth_kwargs), **client_kwargs)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def _test_sleep(self, test_time: TestTime) -> Callable[[float], None]:
        return test_time.sleep

    # lifetime --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the underlying ``httpx.Client``."""
        self.http.close()

    def __enter__(self) -> PingOneClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # requests --------------------------------------------------------------------------
    def request(
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
        """Send one API request; return the parsed JSON (``None`` for an empty body).

        429/502/503/504 and network errors are retried for idempotent methods, and for
        POST/PATCH only when ``safe_to_retry`` is true.
        """
        opts = _RequestOptions(params, json, headers, transaction_id, session_id, safe_to_retry)
        return _json_or_none(
            self._send(self._sansio.exchange(self.http.build_request, method, path, opts))
        )

    def _send(self, flow: Generator[_Action, Any, httpx.Response]) -> httpx.Response:
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
                    outcome = send_api(self.http, action.request)
                except self._sansio.lib.HTTPError as exc:  # its .request holds the token
                    outcome = exc
            elif isinstance(action, _AcquirePermit):
                action.limiter.acquire()
            elif isinstance(action, _CloseResponse):
                action.response.close()
            else:
                self._sleep(action.seconds)

    def get(self, path: str, **kw: Any) -> Any:
        """``GET path``; see ``request`` for keyword arguments."""
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        """``POST path`` (retried only with ``safe_to_retry=True``)."""
        return self.request("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        """``PUT path``."""
        return self.request("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Any:
        """``PATCH path`` (retried only with ``safe_to_retry=True``)."""
        return self.request("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        """``DELETE path``."""
        return self.request("DELETE", path, **kw)

    # paging ----------------------------------------------------------------------------
    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        max_pages: int = MAX_PAGES,
        **kw: Any,
    ) -> Iterator[Page]:
        """Yield collection pages lazily, following ``_links.next.href``."""
        pager = _Pager(path, params, key, self._sansio.url_for(path), max_pages)
        while (nxt := pager.request()) is not None:
            yield pager.feed(self.request("GET", nxt[0], params=nxt[1], **kw))

    def paginate(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        max_pages: int = MAX_PAGES,
        **kw: Any,
    ) -> Iterator[dict[str, Any]]:
        """Yield every item of a collection lazily; the next page is fetched when needed.

        Items come from ``_embedded[key]`` (default: the collection's only list). The
        returned page size is trusted, not the requested ``limit``. A repeated next link
        or cursor (one back to the first page included) stops paging with a logged warning;
        more than ``max_pages`` pages raise ``ManagementApiError``.
        """
        for page in self.pages(path, params, key=key, max_pages=max_pages, **kw):
            yield from map(dict, page.items)

    # typed getters ---------------------------------------------------------------------
    def _one(self, query: _Query[_T]) -> _T:
        return query.parse(self.get(query.path))

    def _each(self, query: _Query[_T]) -> Iterator[_T]:
        return map(query.parse, self.paginate(query.path, query.params or None, key=query.key))

    def get_environment(self, environment_id: str | None = None) -> Environment:
        """The environment (name, type, region, license, organization, products)."""
        return self._one(self._sansio.env_query(environment_id, "", Environment.from_json))

    def get_application(self, app_id: str, *, environment_id: str | None = None) -> Application:
        """One application (for a worker app, its id is its client id)."""
        path = f"/applications/{app_id}"
        return self._one(self._sansio.env_query(environment_id, path, Application.from_json))

    def list_applications(self, *, environment_id: str | None = None) -> list[Application]:
        """Every application of the environment."""
        query = self._sansio.env_query(environment_id, "/applications", Application.from_json)
        return list(self._each(query))

    def list_role_assignments(
        self, app_id: str, *, environment_id: str | None = None
    ) -> list[RoleAssignment]:
        """The application's role assignments (role ids and scopes; names via ``get_role``)."""
        return list(self._each(_role_assignments_query(self._sansio, app_id, environment_id)))

    def get_role(self, role_id: str) -> Role:
        """A role by id (``GET /roles/{roleId}``)."""
        return self._one(_Query(f"/roles/{role_id}", Role.from_json))

    def get_user(self, user_id: str, *, environment_id: str | None = None) -> User:
        """One user."""
        return self._one(
            self._sansio.env_query(environment_id, f"/users/{user_id}", User.from_json)
        )

    def iter_users(
        self,
        *,
        filter: str | None = None,
        limit: int | None = None,
        environment_id: str | None = None,
    ) -> Iterator[User]:
        """Users of the environment, lazily (``filter`` is PingOne's SCIM-like filter)."""
        yield from self._each(self._sansio.users_query(filter, limit, environment_id))

    def iter_groups(
        self, filter: str | None = None, *, environment_id: str | None = None
    ) -> Iterator[Group]:
        """Groups of the environment, lazily (``filter``: PingOne's filter, e.g.
        ``name eq "Sales"``)."""
        yield from self._each(_groups_query(self._sansio, environment_id, filter))

    def get_group(self, group_id: str, *, environment_id: str | None = None) -> Group:
        """One group by id (`NotFoundError` when there is none)."""
        path = f"/groups/{_w.checked_id(group_id, 'group_id')}"
        return self._one(self._sansio.env_query(environment_id, path, Group.from_json))

    def find_group(
        self,
        name: str,
        *,
        population_id: str | None = None,
        environment_id: str | None = None,
    ) -> Group | None:
        """The group called ``name`` (case-insensitive, as PingOne compares names), or `None`.

        ``population_id`` narrows the search to that population's groups; without it a name
        used in more than one population is ambiguous (`ManagementApiError`).
        """
        return run_on(_p.find_group(self._sansio, name, population_id, environment_id), self)

    def get_or_create_group(
        self,
        name: str,
        *,
        population_id: str | None = None,
        description: str | None = None,
        environment_id: str | None = None,
    ) -> tuple[Group, bool]:
        """The group called ``name``, created when missing; the `bool` is `True` when this
        call created it.

        Safe under concurrent callers (threads, processes): a racing creator's uniqueness
        violation is resolved by reading the winner, so every caller gets the one group.
        ``description`` is used only when creating.
        """
        flow = _p.get_or_create_group(
            self._sansio, name, population_id, description, environment_id
        )
        return run_on(flow, self)

    def find_user(
        self,
        *,
        username: str | None = None,
        email: str | None = None,
        environment_id: str | None = None,
    ) -> User | None:
        """The one user with this username and/or email (case-insensitive), or `None`.

        Values are quoted for PingOne's filter for you. More than one match (emails need not
        be unique) raises `ManagementApiError`; pass ``username=`` to be exact.
        """
        return run_on(_p.find_user(self._sansio, username, email, environment_id), self)

    def iter_user_groups(
        self, user_id: str, *, environment_id: str | None = None
    ) -> Iterator[Group]:
        """The groups ``user_id`` is a direct member of, lazily (paged).

        Each `Group` carries what the membership holds (`id`, `name`); `get_group` reads
        the rest. Memberships through nested groups are left out.
        """
        query = _user_groups_query(self._sansio, user_id, environment_id)
        for item in self.paginate(query.path):
            if item.get("type", "DIRECT") == "DIRECT":
                yield Group.from_json(item)

    def _collect(self, query: _Query[_T], accept: Callable[[_T], bool], limit: int) -> list[_T]:
        out: list[_T] = []
        for obj in self._each(query):
            if accept(obj):
                out.append(obj)
                if len(out) >= limit:
                    break
        return out

    def iter_populations(self, *, environment_id: str | None = None) -> Iterator[Population]:
        """Populations of the environment, lazily."""
        yield from self._each(_populations_query(self._sansio, environment_id))

    def iter_sign_on_policies(self, *, environment_id: str | None = None) -> Iterator[SignOnPolicy]:
        """Sign-on policies of the environment, lazily."""
        query = self._sansio.env_query(
            environment_id, "/signOnPolicies", SignOnPolicy.from_json, key="signOnPolicies"
        )
        yield from self._each(query)

    def iter_resources(self, *, environment_id: str | None = None) -> Iterator[Resource]:
        """Resources of the environment (PingOne API, openid, custom), lazily."""
        query = self._sansio.env_query(
            environment_id, "/resources", Resource.from_json, key="resources"
        )
        yield from self._each(query)

    # typed writes ----------------------------------------------------------------------
    def _write(self, write: _w._Write[_T]) -> _T:
        return write.parse(self.request(write.method, write.path, json=write.json))

    def create_user(
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
        """Create a user (default population unless ``population_id``; ``email`` is optional,
        as in PingOne); ``attributes`` adds any other PingOne user attribute. A taken username
        raises `ConflictError` whose ``existing_id`` is the existing user's id."""
        return self._write(
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

    def update_user(
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
        """Change some attributes of a user (``PATCH``: the rest are kept); returns the user.

        Pass a mapping of PingOne attributes, the keywords of `create_user`, other
        attributes as keywords (``title="Engineer"``), or a mix. ``population_id`` moves
        the user (`move_user`) and ``enabled`` goes to PingOne's enabled endpoint, as
        PingOne requires.
        """
        given: dict[str, Any] = {"username": username, "email": email, "name": name}
        given |= {"population_id": population_id, "enabled": enabled, **fields}
        flow = _p.update_user(user_id, attributes, given, environment_id)
        return run_on(flow, self)

    def _patch_user(
        self, user_id: str, attributes: Mapping[str, Any], *, environment_id: str | None = None
    ) -> User:
        return self._write(
            _w.update_user(
                self._sansio, user_id, attributes, replace=False, environment_id=environment_id
            )
        )

    def create_or_update_user(
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
        """The user ``username`` holding these values; the `bool` is `True` when created.

        A missing user is created (``email`` is then required); an existing one is changed
        only where it differs (``name`` and object attributes are compared part by part), so
        a re-run with the same values sends no write. A user created meanwhile by a racing
        caller is updated instead.
        """
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
        return run_on(flow, self)

    def move_user(
        self, user_id: str, population_id: str, *, environment_id: str | None = None
    ) -> None:
        """Move a user to another population (``PUT …/users/{id}/population``)."""
        self._write(_w.move_user(self._sansio, user_id, population_id, environment_id))

    def replace_user(
        self, user_id: str, attributes: Mapping[str, Any], *, environment_id: str | None = None
    ) -> User:
        """Replace a user (``PUT``: attributes not sent are removed; needs username, email)."""
        return self._write(
            _w.update_user(
                self._sansio, user_id, attributes, replace=True, environment_id=environment_id
            )
        )

    def delete_user(self, user_id: str, *, environment_id: str | None = None) -> None:
        """Delete a user."""
        self._write(_w.delete(self._sansio, "user", user_id, environment_id))

    def set_user_enabled(
        self, user_id: str, enabled: bool, *, environment_id: str | None = None
    ) -> bool:
        """Enable or disable a user; returns the new state."""
        return self._write(_w.set_enabled(self._sansio, user_id, enabled, environment_id))

    def create_group(
        self,
        *,
        name: str,
        description: str | None = None,
        population_id: str | None = None,
        environment_id: str | None = None,
    ) -> Group:
        """Create a group: of the environment, or of ``population_id`` (a taken name raises
        `ConflictError`; `get_or_create_group` is the idempotent form)."""
        return self._write(
            _w.create_group(
                self._sansio,
                name=name,
                description=description,
                population_id=population_id,
                environment_id=environment_id,
            )
        )

    def delete_group(self, group_id: str, *, environment_id: str | None = None) -> None:
        """Delete a group (its memberships go with it)."""
        self._write(_w.delete(self._sansio, "group", group_id, environment_id))

    def add_user_to_group(
        self,
        user_id: str,
        group_id: str,
        *,
        exist_ok: bool = False,
        environment_id: str | None = None,
    ) -> bool:
        """Make a user a direct member of a group; `True` when this call added it.

        An existing membership raises `ConflictError`, or returns `False` with
        ``exist_ok=True``.
        """
        try:
            self._write(_w.add_to_group(self._sansio, user_id, group_id, environment_id))
        except ConflictError:
            if exist_ok:
                return False
            raise
        return True

    def remove_user_from_group(
        self,
        user_id: str,
        group_id: str,
        *,
        missing_ok: bool = False,
        environment_id: str | None = None,
    ) -> bool:
        """End a user's direct membership of a group; `True` when this call removed it.

        No such membership raises `NotFoundError`, or returns `False` with
        ``missing_ok=True``.
        """
        try:
            self._write(_w.remove_from_group(self._sansio, user_id, group_id, environment_id))
        except NotFoundError:
            if missing_ok:
                return False
            raise
        return True

    def rotate_application_secret(
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
        return self._write(
            _w.rotate_secret(self._sansio, app_id, previous_expires_at, environment_id)
        )

    def get_bill_of_materials(self, *, environment_id: str | None = None) -> BillOfMaterials:
        """The environment's bill of materials (its products)."""
        query = self._sansio.env_query(
            environment_id, "/billOfMaterials", BillOfMaterials.from_json
        )
        return self._one(query)


def create_pingone_client(
    token_or_auth: str | Secret | Token | httpx.Auth | _AuthLike,
    environment_id: str | None = None,
    region: Region | str | None = None,
    **kw: Any,
) -> PingOneClient:
    """A ``PingOneClient`` from a static token or an ``httpx.Auth`` (the seed's helper)."""
    if isinstance(token_or_auth, str):  # wrapped first: no frame of a failure holds it raw
        token_or_auth = Secret(token_or_auth)
    if not isinstance(token_or_auth, (str, Secret, Token)):
        return PingOneClient(auth=token_or_auth, environment_id=environment_id, region=region, **kw)
    return PingOneClient(token=token_or_auth, environment_id=environment_id, region=region, **kw)
