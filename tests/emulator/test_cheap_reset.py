"""A reset after a test that only read rewinds the runtime state instead of rebuilding.

`PingOneEmulator.reset()` / `restore()` of the snapshot installed last skip unpickling the
directory when nothing since could have changed it: only reads (`GET`, `HEAD`, `OPTIONS`)
and auth-host requests (token, introspection, revocation, JWKS, discovery) were served, and
no scenario method or control endpoint ran. What those change (issued tokens, the id
generator, the request log, counters, rate windows, faults) is put back from a small copy.

The claim that matters is that the shortcut never lets state through: after any mix of
reads, writes, token requests and scenario calls, a reset gives byte for byte the state a
full restore gives (`snapshot()` equals the seeded baseline), and ids and tokens repeat as
after a fresh start. The crawl visits every `GET` route with real ids, so a read handler that
wrote to the directory would fail here.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from httpx_pingone_worker import PingOneWorkerAuth
from httpx_pingone_worker.emulator import PingOneEmulator
from httpx_pingone_worker.emulator._api import ROUTES


def _blob(emu: PingOneEmulator) -> tuple[bytes, ...]:
    """The saved state, each part serialized on its own: order-sensitive, but blind to
    which equal strings happen to be one object (a rewind does not keep that sharing)."""
    world, *rest = pickle.loads(emu.snapshot()._blob)  # noqa: S301 - our own bytes
    return tuple(pickle.dumps(part) for part in (*vars(world).values(), *rest))


@pytest.fixture(scope="module")
def emu() -> PingOneEmulator:
    return PingOneEmulator(users=12)


@contextlib.contextmanager
def _client(emu: PingOneEmulator) -> Iterator[httpx.Client]:
    """A client on the emulator's transport with a worker auth of its own (a reset forgets
    the tokens issued before it, so each stretch between resets takes a new one)."""
    auth = PingOneWorkerAuth.from_credentials(emu.credentials, clock=emu.clock.now)
    base = emu.api_base_url.removesuffix("/v1")
    with httpx.Client(transport=emu.transport(), auth=auth, base_url=base) as c:
        yield c
    auth.close()


@pytest.fixture
def client(emu: PingOneEmulator) -> Iterator[httpx.Client]:
    emu.reset()
    with _client(emu) as c:
        yield c


def _ids(client: httpx.Client, url: str) -> list[str]:
    """The ids of a list resource's embedded items (none if it is not a list)."""
    r = client.get(url)
    assert r.status_code < 500, (url, r.status_code, r.text)
    embedded = r.json().get("_embedded", {}) if r.is_success else {}
    items = [i for v in embedded.values() if isinstance(v, list) for i in v]
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _crawl(client: httpx.Client) -> set[str]:
    """GET every emulated readable route, with ids taken from the list above each
    `{param}` (all of them): the templates whose GETs ran."""
    ran: set[str] = set()
    for route in ROUTES:
        if "GET" not in route.methods:
            continue
        prefixes = [""]
        for segment in route.template.strip("/").split("/"):
            if segment.startswith("{"):
                prefixes = [f"{p}/{i}" for p in prefixes for i in _ids(client, f"/v1{p}")]
            else:
                prefixes = [f"{p}/{segment}" for p in prefixes]
        for path in prefixes:
            r = client.get(f"/v1{path}")
            assert r.status_code < 500, (path, r.status_code, r.text)
            ran.add(route.template)
    return ran


def _read_with_parameters(client: httpx.Client, emu: PingOneEmulator) -> None:
    """Reads with the query parameters the emulator serves: paging (following the cursors),
    filters (good and refused), `include=` on a user, for users and groups."""
    e = f"/v1/environments/{emu.environment_id}"
    users = client.get(f"{e}/users").json()["_embedded"]["users"]
    reads = [
        f"{e}/users?filter=" + 'username sw "crawl"',
        f"{e}/users?filter=" + "not a filter",
        f"{e}/users?limit=0",
        f"{e}/groups?filter=" + 'name eq "Crawl"',
        f"{e}/populations?limit=1",
        *(f"{e}/users/{u['id']}?include=memberOfGroupIDs,memberOfGroupNames" for u in users),
    ]
    for url in reads:
        assert client.get(url).status_code < 500, url
    page: str | None = f"{e}/users?limit=3"
    while page is not None:
        body = client.get(page).json()
        page = body.get("_links", {}).get("next", {}).get("href")


def _populate(client: httpx.Client, emu: PingOneEmulator) -> None:
    """Writes that give every readable route something to read (nesting, assignments)."""
    e = f"/v1/environments/{emu.environment_id}"
    user = emu.add_user(username="crawl.user")["id"]
    parent, child = emu.add_group(name="Crawl Parent")["id"], emu.add_group(name="Crawl")["id"]
    assert client.post(f"{e}/groups/{child}/memberOfGroups", json={"id": parent}).is_success
    assert client.post(f"{e}/users/{user}/memberOfGroups", json={"id": child}).is_success
    roles = client.get("/v1/roles").json()["_embedded"]["roles"]
    admin = next(r["id"] for r in roles if r["name"] == "Identity Data Admin")
    grant = {"role": {"id": admin}, "scope": {"type": "ENVIRONMENT", "id": emu.environment_id}}
    assert client.post(f"{e}/users/{user}/roleAssignments", json=grant).is_success


def test_reads_leave_nothing_behind_and_take_the_shortcut(
    client: httpx.Client, emu: PingOneEmulator
) -> None:
    """Reading every emulated route changes nothing a restore does not put back; the restore
    keeps the directory objects (no rebuild), and the result equals the saved state."""
    _populate(client, emu)
    saved = emu.snapshot()
    emu.restore(saved)  # a full install: the shortcut's reference point
    world, reference = emu._state.world, _blob(emu)
    logged = emu.requests
    ran = _crawl(client)
    _read_with_parameters(client, emu)
    _token(client, emu)  # a token request counts, and remembers the token
    assert len(emu.requests) > len(logged) + 50
    emu.restore(saved)
    assert emu._state.world is world, "a restore after reads only rebuilt the directory"
    assert _blob(emu) == reference
    assert emu.requests == logged
    # and the crawl read every route the emulator serves a GET on
    missing = {r.template for r in ROUTES if "GET" in r.methods} - ran
    assert missing == set(), sorted(missing)


def test_a_write_makes_the_reset_rebuild(client: httpx.Client, emu: PingOneEmulator) -> None:
    """One write (here a new group) and the reset rebuilds: the group is gone."""
    baseline = _blob(emu)
    env = emu.environment_id
    world = emu._state.world
    r = client.post(f"/v1/environments/{env}/groups", json={"name": "Written"})
    assert r.status_code == 201, r.text
    emu.reset()
    assert emu._state.world is not world
    assert _blob(emu) == baseline
    with _client(emu) as fresh:  # the reset forgot the old client's token
        groups = fresh.get(f"/v1/environments/{env}/groups").json()["_embedded"]["groups"]
    assert "Written" not in [g["name"] for g in groups]
    assert len(groups) > 1


# ---------------------------------------------------------------------------- property


def _read(c: httpx.Client, emu: PingOneEmulator) -> None:
    assert c.get(f"/v1/environments/{emu.environment_id}/users", params={"limit": 3}).is_success


def _token(c: httpx.Client, emu: PingOneEmulator) -> str:
    """A token request to the emulator's token endpoint; the token's ``jti``."""
    auth = PingOneWorkerAuth.from_credentials(emu.credentials, clock=emu.clock.now, http_client=c)
    payload = auth.get_token().access_token.get_secret_value().split(".")[1]
    auth.close()
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["jti"])


def _create_user(c: httpx.Client, emu: PingOneEmulator) -> None:
    user = {"username": f"prop-{uuid.uuid4().hex[:12]}"}
    assert c.post(f"/v1/environments/{emu.environment_id}/users", json=user).is_success


def _patch_user(c: httpx.Client, emu: PingOneEmulator) -> None:
    users = c.get(f"/v1/environments/{emu.environment_id}/users").json()["_embedded"]["users"]
    url = f"/v1/environments/{emu.environment_id}/users/{users[0]['id']}"
    assert c.patch(url, json={"title": "x"}).is_success


def _delete_group(c: httpx.Client, emu: PingOneEmulator) -> None:
    groups = c.get(f"/v1/environments/{emu.environment_id}/groups").json()["_embedded"]["groups"]
    assert c.delete(f"/v1/environments/{emu.environment_id}/groups/{groups[0]['id']}").is_success


def _scenario_user(c: httpx.Client, emu: PingOneEmulator) -> None:
    emu.add_user(username=f"scenario-{uuid.uuid4().hex[:12]}")


def _fault(c: httpx.Client, emu: PingOneEmulator) -> None:
    emu.inject_fault("revoke", status=503, count=1)  # an endpoint the other steps leave alone


def _advance(c: httpx.Client, emu: PingOneEmulator) -> None:
    emu.clock.advance(7)


def _introspect(c: httpx.Client, emu: PingOneEmulator) -> None:
    creds = emu.credentials
    auth = PingOneWorkerAuth.from_credentials(creds, clock=emu.clock.now, http_client=c)
    token = auth.get_token().access_token.get_secret_value()
    auth.close()
    secret = creds.client_secret
    assert secret is not None
    r = c.post(
        emu.introspection_endpoint,
        data={"token": token},
        auth=(creds.client_id, secret.get_secret_value()),
    )
    assert r.json()["active"] is True


OPS: list[Callable[[httpx.Client, PingOneEmulator], None]] = [
    _read,
    _token,
    _create_user,
    _patch_user,
    _delete_group,
    _scenario_user,
    _fault,
    _advance,
    _introspect,
]


@settings(max_examples=40, deadline=None)
@given(ops=st.lists(st.sampled_from(OPS), max_size=6), resets=st.integers(1, 2))
def test_any_mix_then_reset_is_the_seeded_state(
    emu: PingOneEmulator,
    ops: list[Callable[[httpx.Client, PingOneEmulator], None]],
    resets: int,
) -> None:
    """Whatever ran, a reset gives the seeded state (each part byte for byte), and the next
    token carries the same id as the first token after a full rebuild."""
    emu.reset(seed=emu.seed + 1)
    emu.reset(seed=emu.seed - 1)  # a full rebuild: the reference
    baseline = _blob(emu)
    with _client(emu) as c:
        jti = _token(c, emu)
    emu.reset()
    with _client(emu) as c:
        for op in ops:
            op(c, emu)
    for _ in range(resets):
        emu.reset()
    assert _blob(emu) == baseline
    with _client(emu) as c:
        assert _token(c, emu) == jti
