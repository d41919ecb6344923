"""The onboarding / offboarding tool, tested offline on the plugin's fixtures: idempotent
re-runs, a 429 storm waited out on the emulator's clock, concurrent runs, isolation, async."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from onboarding import Hire, onboard, read_hires

from httpx_pingone_worker import AsyncPingOneClient, PingOneClient

CSV = """username,email,given,family,department
ada,ada@example.com,Ada,Lovelace,Prov Engineering
grace,grace@example.com,Grace,Hopper,Prov Engineering
katherine,kj@example.com,Katherine,Johnson,Prov Research
"""


def _writes(emulator: Any) -> list[str]:
    """Management API calls that changed something (a refused POST changes nothing)."""
    return [
        f"{r.method} {r.resource}"
        for r in emulator.requests
        if r.endpoint == "api" and r.method != "GET" and r.status < 300
    ]


def test_onboard_creates_users_groups_and_memberships(
    client: PingOneClient, pingone_emulator: Any
) -> None:
    """Every hire becomes a user in its department's group; groups are made on demand."""
    report = onboard(client, read_hires(CSV))
    assert report.created == ["ada", "grace", "katherine"]
    assert sorted(report.groups_created) == ["Prov Engineering", "Prov Research"]
    ada = client.find_user(username="ada")
    assert ada is not None
    assert ada.name is not None
    assert (ada.name.given, ada.name.family) == ("Ada", "Lovelace")
    assert [g.name for g in client.iter_user_groups(ada.id)] == ["Prov Engineering"]


def test_a_second_run_sends_no_write(client: PingOneClient, pingone_emulator: Any) -> None:
    """Re-running the same CSV finds everything in place and writes nothing."""
    onboard(client, read_hires(CSV))
    writes = len(_writes(pingone_emulator))
    again = onboard(client, read_hires(CSV))
    assert (again.created, again.updated, again.groups_created) == ([], [], [])
    assert len(_writes(pingone_emulator)) == writes


def test_a_changed_row_updates_only_that_user(client: PingOneClient, pingone_emulator: Any) -> None:
    """A new email for one hire: one PATCH, the others untouched."""
    onboard(client, read_hires(CSV))
    before = len(_writes(pingone_emulator))
    changed = read_hires(CSV.replace("kj@example.com", "katherine@example.com"))
    report = onboard(client, changed)
    assert report.updated == ["katherine"]
    assert _writes(pingone_emulator)[before:] == ["PATCH users"]


def test_a_bad_row_is_refused_and_the_rest_goes_on(client: PingOneClient) -> None:
    """An empty username is a ValueError from the library: nothing sent, the run continues."""
    hires = [Hire("", "x@example.com", "X", "Y", "Prov Engineering"), *read_hires(CSV)]
    report = onboard(client, hires)
    assert list(report.refused) == ["<empty>"]
    assert report.created == ["ada", "grace", "katherine"]


@pytest.mark.pingone(rate_limit=20)
def test_a_429_storm_is_waited_out_on_the_emulator_clock(
    client: PingOneClient, pingone_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 requests a minute for 12 hires: PingOne's 429s are met, waited out, nothing lost."""
    real_sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", real_sleeps.append)
    hires = [
        Hire(f"storm{i}", f"storm{i}@example.com", "S", f"{i}", f"Prov Dept {i % 3}")
        for i in range(12)
    ]
    report = onboard(client, hires)
    assert len(report.created) == 12
    assert any(r.status == 429 for r in pingone_emulator.requests)
    assert pingone_emulator.clock.offset >= 60  # minutes of PingOne time …
    assert real_sleeps == []  # … and no real second


def test_concurrent_runs_share_one_group_per_department(
    client: PingOneClient, pingone_emulator: Any
) -> None:
    """Two runs at once (threads) with overlapping departments: one group per department."""
    batches = [
        [Hire(f"t{n}{i}", f"t{n}{i}@example.com", "T", "T", f"Prov Team {i % 2}") for i in range(4)]
        for n in range(2)
    ]
    barrier = threading.Barrier(2, timeout=60)
    errors: list[BaseException] = []

    def run(batch: list[Hire]) -> None:
        barrier.wait()
        try:
            onboard(client, batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    teams = list(client.iter_groups('name sw "Prov Team"'))
    assert sorted(g.name or "" for g in teams) == ["Prov Team 0", "Prov Team 1"]
    for batch in batches:
        for hire in batch:
            user = client.find_user(username=hire.username)
            assert user is not None
            assert [g.name for g in client.iter_user_groups(user.id)] == [hire.department]


def test_isolation_writes_of_one_test(client: PingOneClient) -> None:
    """This test leaves a user and a group behind …"""
    onboard(client, [Hire("left.over", "l@example.com", "L", "O", "Prov Leftovers")])
    assert client.find_user(username="left.over") is not None


def test_isolation_are_gone_in_the_next(client: PingOneClient) -> None:
    """… and the next test starts from the seeded state (in any order, on any xdist worker)."""
    assert client.find_user(username="left.over") is None
    assert client.find_group("Prov Leftovers") is None


@pytest.mark.anyio
async def test_offboard_removes_memberships_and_disables(
    pingone_aclient: AsyncPingOneClient, client: PingOneClient
) -> None:
    """The async offboarding tool (asyncio and trio) on the ready async client fixture."""
    from onboarding import offboard

    onboard(client, read_hires(CSV))
    assert await offboard(pingone_aclient, "grace") is True
    grace = await pingone_aclient.find_user(username="grace")
    assert grace is not None
    assert grace.enabled is False
    assert [g async for g in pingone_aclient.iter_user_groups(grace.id)] == []
    assert await offboard(pingone_aclient, "nobody") is False
