"""A small onboarding / offboarding tool, the example of the how-to "An idempotent provisioning
tool, tested offline": a CSV of new hires becomes users of a population, one group per
department (created on demand), memberships; re-running it changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from httpx_pingone_worker import AsyncPingOneClient, PingOneClient


@dataclass(frozen=True)
class Hire:
    """One row of the HR export."""

    username: str
    email: str
    given: str
    family: str
    department: str


def read_hires(text: str) -> list[Hire]:
    """Rows of ``username,email,given,family,department`` (with a header line)."""
    return [
        Hire(r["username"], r["email"], r["given"], r["family"], r["department"])
        for r in csv.DictReader(io.StringIO(text))
    ]


@dataclass
class Report:
    """What a run did: usernames created / changed, groups created, rows refused."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def onboard(
    client: PingOneClient, hires: list[Hire], *, population_id: str | None = None
) -> Report:
    """Make PingOne hold every hire; safe to run again (and concurrently)."""
    report = Report()
    for hire in hires:
        try:
            group, group_created = client.get_or_create_group(hire.department)
            before = client.find_user(username=hire.username)
            user, created = client.create_or_update_user(
                username=hire.username,
                email=hire.email,
                name={"given": hire.given, "family": hire.family},
                population_id=population_id,
            )
        except ValueError as exc:  # a row the library refuses before sending anything
            report.refused[hire.username or "<empty>"] = str(exc)
            continue
        client.add_user_to_group(user.id, group.id, exist_ok=True)
        if group_created:
            report.groups_created.append(group.name or group.id)
        if created:
            report.created.append(hire.username)
        elif before is not None and before.updated_at != user.updated_at:
            report.updated.append(hire.username)
    return report


async def offboard(client: AsyncPingOneClient, username: str) -> bool:
    """Take a leaver out of every group and disable the account; False when unknown."""
    user = await client.find_user(username=username)
    if user is None:
        return False
    groups = [group async for group in client.iter_user_groups(user.id)]
    for group in groups:
        await client.remove_user_from_group(user.id, group.id, missing_ok=True)
    await client.update_user(user.id, enabled=False)
    return True
