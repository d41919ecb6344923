"""Typed lookups, idempotent writes and typed errors, sync and async, against the emulator.

Concurrent `get_or_create_group` callers are made to race for real: a transport gate holds
every caller's create until all of them have sent one, so each has looked and found nothing.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mgmt_support import FakeSleep

from httpx_pingone_worker import (
    AsyncPingOneClient,
    ConfigurationError,
    ConflictError,
    Group,
    InvalidArgumentError,
    InvalidRequestError,
    ManagementApiError,
    NotFoundError,
    PermissionDeniedError,
    PingOneClient,
    PingOneWorkerAuth,
    RateLimitedError,
    TLSVerificationError,
    User,
    UserName,
)
from httpx_pingone_worker.emulator import PingOneEmulator


def _auth(emu: PingOneEmulator, roles: tuple[str, ...] | None = None) -> PingOneWorkerAuth:
    c = emu.credentials if roles is None else emu.add_worker_app(roles=roles)
    return PingOneWorkerAuth(c.client_id, c.client_secret, c.environment_id, region=emu.region)


def _client(emu: PingOneEmulator, transport: Any = None, **kw: Any) -> PingOneClient:
    fake = FakeSleep()
    return PingOneClient(
        auth=kw.pop("auth", None) or _auth(emu),
        transport=transport or emu.transport(),
        rate_limiter=False,
        sleep=fake,
        clock=fake.clock,
        rng=random.Random(0),
        **kw,
    )


@pytest.fixture
def emu() -> PingOneEmulator:
    """A fresh emulator per test."""
    return PingOneEmulator(users=5)


@pytest.fixture
def client(emu: PingOneEmulator) -> Iterator[PingOneClient]:
    """An Environment Admin client on the emulator's transport."""
    with _client(emu) as c:
        yield c


def _writes(emu: PingOneEmulator) -> list[str]:
    return [f"{r.method} {r.path}" for r in emu.requests if r.method != "GET"]


def _population(client: PingOneClient, name: str) -> str:
    body = client.post("/environments/{env}/populations", json={"name": f"Test {name}"})
    return str(body["id"])


# --- lookups ------------------------------------------------------------------------------


def test_find_user_quotes_values_and_matches_exactly_one(
    client: PingOneClient, emu: PingOneEmulator
) -> None:
    """Quotes and backslashes in a username are quoted for PingOne's filter by the library."""
    tricky = 'o"brien\\x'
    emu.add_user(username=tricky, email="ob@example.com")
    emu.add_user(username="obrien", email="ob2@example.com")
    user = client.find_user(username=tricky)
    assert isinstance(user, User)
    assert user.username == tricky
    assert client.find_user(username='O"BRIEN\\x') == user  # PingOne compares case-insensitively
    assert client.find_user(email="ob2@example.com").username == "obrien"  # type: ignore[union-attr]
    assert client.find_user(username=tricky, email="ob@example.com") == user
    assert client.find_user(username=tricky, email="ob2@example.com") is None
    assert client.find_user(username="nobody") is None


def test_find_user_ambiguous_email_and_bad_arguments(
    client: PingOneClient, emu: PingOneEmulator
) -> None:
    """Two users sharing an email are ambiguous; no criterion or an empty one is a ValueError."""
    emu.add_user(username="a1", email="shared@example.com")
    emu.add_user(username="a2", email="shared@example.com")
    with pytest.raises(ManagementApiError, match="more than one user") as info:
        client.find_user(email="shared@example.com")
    assert "username=" in (info.value.hint or "")
    for kwargs in ({}, {"username": ""}, {"email": 3}):
        before = len(emu.requests)
        with pytest.raises(InvalidArgumentError) as bad:
            client.find_user(**kwargs)  # type: ignore[arg-type]
        assert isinstance(bad.value, ValueError)
        assert not isinstance(bad.value, ConfigurationError)
        assert len(emu.requests) == before


def test_groups_iterate_get_find(client: PingOneClient) -> None:
    """iter_groups(filter), get_group and find_group (population-scoped) return typed groups."""
    pop = _population(client, "Contractors")
    other = _population(client, "Interns")
    pop_group = client.create_group(name="Prov Engineering", population_id=pop)
    env_group = client.create_group(name="Prov Sales", description="all sales")
    assert {g.name for g in client.iter_groups('name sw "Prov Eng"')} == {"Prov Engineering"}
    assert client.get_group(env_group.id) == env_group
    assert pop_group.population_id == pop
    assert client.find_group("prov sales") == env_group
    assert client.find_group("prov engineering", population_id=pop) == pop_group
    assert client.find_group("prov engineering") == pop_group
    assert client.find_group("prov engineering", population_id=other) is None
    assert client.find_group("Nope") is None
    with pytest.raises(NotFoundError) as info:
        client.get_group("00000000-0000-4000-8000-000000000000")
    assert "no group with that id" in (info.value.hint or "")


def test_find_group_one_name_in_two_populations_is_ambiguous() -> None:
    """PingOne lets two populations use one group name: without population_id that is an error."""
    env = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
    groups = [{"id": f"g{i}", "name": "Eng", "population": {"id": f"p{i}"}} for i in range(2)]
    page = {"_embedded": {"groups": groups}, "_links": {"self": {"href": "x"}}}
    transport = httpx.MockTransport(lambda _r: httpx.Response(200, json=page))
    with PingOneClient(
        token="static-token-abcdefghijkl", environment_id=env, transport=transport
    ) as client:
        with pytest.raises(ManagementApiError, match="more than one population") as info:
            client.find_group("Eng")
        assert "population_id=" in (info.value.hint or "")
        assert client.find_group("eng", population_id="p1") == Group.from_json(groups[1])


# --- idempotent writes ----------------------------------------------------------------------


def test_get_or_create_group_creates_once(client: PingOneClient, emu: PingOneEmulator) -> None:
    """The first call creates (True); the next finds it (False) and writes nothing."""
    group, created = client.get_or_create_group("Finance", description="money")
    assert created is True
    assert group.description == "money"
    writes = len(_writes(emu))
    again, created_again = client.get_or_create_group("finance")
    assert (again.id, created_again) == (group.id, False)
    assert len(_writes(emu)) == writes


class _GateCreates(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Holds every ``POST …/groups`` until ``parties`` of them have arrived."""

    def __init__(self, inner: Any, parties: int) -> None:
        self.inner = inner
        self.parties = parties
        self.barrier = threading.Barrier(parties, timeout=60)
        self.arrived = 0
        self.event: anyio.Event | None = None

    def _is_create(self, request: httpx.Request) -> bool:
        return request.method == "POST" and request.url.path.endswith("/groups")

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._is_create(request):
            self.barrier.wait()
        response: httpx.Response = self.inner.handle_request(request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._is_create(request):
            if self.event is None:
                self.event = anyio.Event()
            self.arrived += 1
            if self.arrived == self.parties:
                self.event.set()
            with anyio.fail_after(60):
                await self.event.wait()
        response: httpx.Response = await self.inner.handle_async_request(request)
        return response


def test_get_or_create_group_concurrent_threads_get_one_group(emu: PingOneEmulator) -> None:
    """8 threads that all looked and found nothing race to create: one group, all get it."""
    parties = 8
    gate = _GateCreates(emu.transport(), parties)
    results: list[tuple[Group, bool]] = []
    errors: list[BaseException] = []
    with _client(emu, transport=gate) as client:
        client.get_environment()  # token fetched once, before the race

        def worker() -> None:
            try:
                results.append(client.get_or_create_group("Racers", description="fast"))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(parties)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert errors == []
    assert len(results) == parties
    assert sum(created for _, created in results) == 1
    assert len({group.id for group, _ in results}) == 1
    creates = [r for r in emu.requests if r.method == "POST" and r.path.endswith("/groups")]
    assert len(creates) == parties  # every caller did try: the race really happened
    assert sum(r.status == 201 for r in creates) == 1
    with _client(emu) as check:
        assert [g.name for g in check.iter_groups('name eq "Racers"')] == ["Racers"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run the async tests on asyncio and trio."""
    return str(request.param)


@pytest.mark.anyio
async def test_get_or_create_group_concurrent_tasks_get_one_group(emu: PingOneEmulator) -> None:
    """8 tasks racing to create the same group: one creates, every task gets that group."""
    parties = 8
    gate = _GateCreates(emu.transport(), parties)
    fake = FakeSleep()
    results: list[tuple[Group, bool]] = []
    async with AsyncPingOneClient(
        auth=_auth(emu), transport=gate, rate_limiter=False, sleep=fake.asleep, clock=fake.clock
    ) as client:
        await client.get_environment()

        async def worker() -> None:
            results.append(await client.get_or_create_group("Racers"))

        async with anyio.create_task_group() as tg:
            for _ in range(parties):
                tg.start_soon(worker)
    assert sum(created for _, created in results) == 1
    assert len({group.id for group, _ in results}) == 1
    creates = [r for r in emu.requests if r.method == "POST" and r.path.endswith("/groups")]
    assert len(creates) == parties


def test_create_or_update_user_is_idempotent(client: PingOneClient, emu: PingOneEmulator) -> None:
    """Create (True); the same values again send no write (False); a change sends only it."""
    pop = _population(client, "Staff")
    user, created = client.create_or_update_user(
        username="grace",
        email="grace@example.com",
        population_id=pop,
        name={"given": "Grace", "family": "Hopper"},
        attributes={"title": "RADM"},
    )
    assert created is True
    assert user.name == UserName(given="Grace", family="Hopper")
    assert (user.population_id, user.raw["title"]) == (pop, "RADM")
    writes = len(_writes(emu))
    same, created = client.create_or_update_user(
        username="Grace", email="grace@example.com", name={"given": "Grace"}, population_id=pop
    )
    assert (same.id, created) == (user.id, False)
    assert len(_writes(emu)) == writes  # nothing changed: nothing sent
    other = _population(client, "Alumni")
    changed, created = client.create_or_update_user(
        username="grace", email="hopper@example.com", population_id=other, enabled=False
    )
    assert created is False
    assert (changed.email, changed.population_id, changed.enabled) == (
        "hopper@example.com",
        other,
        False,
    )
    assert changed.name is not None
    assert changed.name.family == "Hopper"  # kept
    assert changed.updated_at is not None
    assert changed.created_at == user.created_at
    assert changed.lifecycle_status == "ACCOUNT_OK"


def test_create_or_update_user_email_is_optional(
    client: PingOneClient, emu: PingOneEmulator
) -> None:
    """PingOne does not require an email: a user is created without one, and kept as is."""
    user, created = client.create_or_update_user(username="newbie")
    assert (created, user.email) == (True, None)
    emu.add_user(username="oldie", email="old@example.com")
    old, created = client.create_or_update_user(username="oldie", attributes={"title": "x"})
    assert (created, old.email, old.raw["title"]) == (False, "old@example.com", "x")


def test_create_or_update_user_resolves_a_racing_creator(emu: PingOneEmulator) -> None:
    """Between our look-up and our create another caller creates the user: we update theirs."""
    inner = emu.transport()

    class Racer(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.url.path.endswith("/users"):
                emu.add_user(username="race", email="first@example.com")
            response: httpx.Response = inner.handle_request(request)
            return response

    with _client(emu, transport=Racer()) as client:
        user, created = client.create_or_update_user(username="race", email="second@example.com")
    assert (created, user.email) == (False, "second@example.com")


def test_update_user_mapping_keywords_or_both(client: PingOneClient, emu: PingOneEmulator) -> None:
    """update_user takes a mapping, create_user's keywords, other attributes as keywords."""
    user = client.create_user(username="ada", email="ada@example.com")
    assert client.update_user(user.id, {"title": "Countess"}).raw["title"] == "Countess"
    both = client.update_user(user.id, {"nickname": "Ada"}, email="ada@lovelace.org", locale="en")
    assert (both.email, both.raw["nickname"], both.raw["locale"]) == (
        "ada@lovelace.org",
        "Ada",
        "en",
    )
    pop = _population(client, "Moved")
    moved = client.update_user(user.id, population_id=pop, enabled=False)
    assert (moved.population_id, moved.enabled) == (pop, False)
    before = len(emu.requests)
    with pytest.raises(InvalidArgumentError, match="nothing to change"):
        client.update_user(user.id)
    with pytest.raises(InvalidArgumentError):
        client.update_user(user.id, ["title"])  # type: ignore[arg-type]
    assert len(emu.requests) == before


def test_memberships_move_and_typed_errors(client: PingOneClient, emu: PingOneEmulator) -> None:
    """add (exist_ok), iter_user_groups (direct, paged), remove (missing_ok), move_user."""
    user = client.create_user(username="m", email="m@example.com")
    groups = [client.create_group(name=f"G{i}") for i in range(3)]
    for g in groups:
        assert client.add_user_to_group(user.id, g.id) is True
    with pytest.raises(ConflictError) as conflict:
        client.add_user_to_group(user.id, groups[0].id)
    assert conflict.value.existing_id == groups[0].id
    assert client.add_user_to_group(user.id, groups[0].id, exist_ok=True) is False
    direct = list(client.iter_user_groups(user.id))
    assert sorted(g.name or "" for g in direct) == ["G0", "G1", "G2"]
    assert client.remove_user_from_group(user.id, groups[1].id) is True
    with pytest.raises(NotFoundError) as missing:
        client.remove_user_from_group(user.id, groups[1].id)
    hint = missing.value.hint or ""
    assert "missing_ok" in hint
    assert "environment" not in hint  # not the "new environment" hint of an unknown env
    assert client.remove_user_from_group(user.id, groups[1].id, missing_ok=True) is False
    pop = _population(client, "Elsewhere")
    assert client.move_user(user.id, pop) is None
    assert client.get_user(user.id).population_id == pop


def test_iter_user_groups_leaves_out_memberships_through_nesting() -> None:
    """Only DIRECT memberships are listed; INDIRECT ones (through a nested group) are not."""
    env = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
    items = [
        {"id": "g1", "name": "Team", "type": "DIRECT"},
        {"id": "g2", "name": "Division", "type": "INDIRECT"},
    ]
    page = {"_embedded": {"groupMemberships": items}, "_links": {"self": {"href": "x"}}}
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, json=page)

    with PingOneClient(
        token="static-token-abcdefghijkl", environment_id=env, transport=httpx.MockTransport(answer)
    ) as client:
        assert [(g.id, g.name) for g in client.iter_user_groups("u1")] == [("g1", "Team")]
    assert seen == [f"/v1/environments/{env}/users/u1/memberOfGroups"]


def test_iter_user_groups_pages(client: PingOneClient, emu: PingOneEmulator) -> None:
    """More direct groups than one page holds are all listed."""
    user = emu.add_user(username="joiner", email="j@example.com")
    ids = set()
    for i in range(105):
        group = emu.add_group(name=f"P{i:03}")
        client.add_user_to_group(user["id"], group["id"])
        ids.add(group["id"])
    assert {g.id for g in client.iter_user_groups(user["id"])} == ids
    pages = [r for r in emu.requests if r.path.endswith("/memberOfGroups") and r.method == "GET"]
    assert len(pages) >= 2


def test_typed_errors_from_pingone_answers(client: PingOneClient, emu: PingOneEmulator) -> None:
    """Conflict (existing id), invalid data (per field), not found, permission (role named)."""
    first = client.create_user(username="dup", email="d@example.com")
    with pytest.raises(ConflictError) as dup:
        client.create_user(username="DUP", email="d2@example.com")
    assert dup.value.existing_id == first.id
    assert isinstance(dup.value, ManagementApiError)
    with pytest.raises(InvalidRequestError) as bad:
        client.create_user(username="bad", email="not-an-email")
    assert "email" in bad.value.field_errors
    with pytest.raises(NotFoundError):
        client.get_user("00000000-0000-4000-8000-000000000000")
    reader = _client(emu, auth=_auth(emu, roles=("Identity Data Read Only",)))
    with reader, pytest.raises(PermissionDeniedError) as denied:
        reader.create_user(username="nope", email="n@example.com")
    assert "Identity Data Admin" in (denied.value.hint or "")


def test_rate_limited_error_carries_retry_after(emu: PingOneEmulator) -> None:
    """A 429 that outlasts the retries is a RateLimitedError with PingOne's Retry-After."""
    emu.inject_fault("api", "rate_limit", count=None, retry_after=42)
    with _client(emu, retry=False) as client, pytest.raises(RateLimitedError) as info:
        client.get_environment()
    assert info.value.retry_after == 42
    assert info.value.status_code == 429


def test_from_env_reads_the_auth_settings(
    emu: PingOneEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PingOneClient.from_env() takes PINGONE_* like the auth; client keywords go to the client."""
    creds = emu.credentials
    for name in ("PINGONE_AUTH_BASE_URL", "PINGONE_API_BASE_URL", "PINGONE_SCOPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PINGONE_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", creds.client_secret.get_secret_value())  # type: ignore[union-attr]
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", creds.environment_id or "")
    monkeypatch.setenv("PINGONE_REGION", creds.region.value)
    with PingOneClient.from_env(transport=emu.transport(), rate_limiter=False, stored=None) as c:
        assert c.environment_id == creds.environment_id
        assert c.get_environment().id == creds.environment_id


@pytest.mark.anyio
async def test_async_from_env_and_idempotent_writes(
    emu: PingOneEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The async client has the same lookups and idempotent writes."""
    creds = emu.credentials
    monkeypatch.setenv("PINGONE_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", creds.client_secret.get_secret_value())  # type: ignore[union-attr]
    monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", creds.environment_id or "")
    async with AsyncPingOneClient.from_env(
        transport=emu.transport(), rate_limiter=False, stored=None
    ) as client:
        group, created = await client.get_or_create_group("Async")
        assert created is True
        assert (await client.get_or_create_group("Async"))[1] is False
        assert await client.find_group("async") == group
        assert await client.get_group(group.id) == group
        assert [g.id async for g in client.iter_groups('name eq "Async"')] == [group.id]
        user, created = await client.create_or_update_user(username="al", email="al@example.com")
        assert created is True
        assert await client.find_user(username="AL") == user
        assert (await client.create_or_update_user(username="al"))[1] is False
        assert await client.add_user_to_group(user.id, group.id) is True
        assert await client.add_user_to_group(user.id, group.id, exist_ok=True) is False
        assert [g.id async for g in client.iter_user_groups(user.id)] == [group.id]
        assert await client.remove_user_from_group(user.id, group.id) is True
        assert await client.remove_user_from_group(user.id, group.id, missing_ok=True) is False
        updated = await client.update_user(user.id, {"title": "x"}, nickname="Al")
        assert (updated.raw["title"], updated.raw["nickname"]) == ("x", "Al")
        pop = (await client.post("/environments/{env}/populations", json={"name": "Test P"}))["id"]
        await client.move_user(user.id, pop)
        assert (await client.get_user(user.id)).population_id == pop
        with pytest.raises(ConflictError):
            await client.create_group(name="ASYNC")
        with pytest.raises(InvalidArgumentError):
            await client.find_user()


def test_untrusted_certificate_is_a_tls_error_never_retried(emu: PingOneEmulator) -> None:
    """A server certificate from an untrusted CA: a TLS error naming host and CA setting."""
    fake = FakeSleep()
    with (
        emu.serve() as server,
        PingOneClient(
            token="static-token-for-tls-test",
            environment_id=emu.environment_id,
            api_base_url=server.api_base_url,
            rate_limiter=False,
            sleep=fake,
            clock=fake.clock,
            verify=True,  # the system CAs: the emulator's test CA is not among them
        ) as client,
        pytest.raises(TLSVerificationError) as info,
    ):
        client.get_environment()
    text = str(info.value)
    assert "127.0.0.1" in text
    assert "SSL_CERT_FILE" in text
    assert "could not reach" not in text
    assert "could not be completed" not in text
    assert fake.calls == []  # never retried


def test_untrusted_token_endpoint_is_a_tls_error_never_retried(
    emu: PingOneEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """from_env() against a server whose CA is not trusted: the token request's TLS failure
    names the host and SSL_CERT_FILE, is not 'could not reach', and is not retried."""
    sleeps: list[float] = []
    creds = emu.credentials
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with emu.serve() as server:
        for name, value in {
            "PINGONE_CLIENT_ID": creds.client_id,
            "PINGONE_CLIENT_SECRET": creds.client_secret.get_secret_value(),  # type: ignore[union-attr]
            "PINGONE_ENVIRONMENT_ID": creds.environment_id or "",
            "PINGONE_AUTH_BASE_URL": server.auth_base_url,
            "PINGONE_API_BASE_URL": server.api_base_url,
        }.items():
            monkeypatch.setenv(name, value)
        attempts: list[str] = []

        class Counting(httpx.BaseTransport):
            def __init__(self) -> None:
                self.inner = httpx.HTTPTransport()

            def handle_request(self, request: httpx.Request) -> httpx.Response:
                attempts.append(request.url.path)
                return self.inner.handle_request(request)

        with (
            PingOneClient.from_env(stored=None, sleep=sleeps.append, transport=Counting()) as c,
            pytest.raises(TLSVerificationError) as info,
        ):
            c.get_environment()
        assert len(attempts) == 1  # the token request, tried once
        assert attempts[0].endswith("/as/token")
    text = str(info.value)
    assert "127.0.0.1" in text
    assert "SSL_CERT_FILE" in text
    assert "could not reach" not in text
    assert sleeps == []
    assert isinstance(info.value, ManagementApiError)
