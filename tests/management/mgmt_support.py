"""Shared constants and builders of PingOne-shaped answers for the Management API tests."""

from __future__ import annotations

from typing import Any

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
API = "https://api.pingone.com/v1"
APP_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
STATIC_TOKEN = "static-test-token-abcdefghijklmnop"


def collection(
    key: str, items: list[dict[str, Any]], next_href: str | None = None, self_href: str = f"{API}/x"
) -> dict[str, Any]:
    """A HAL collection page as PingOne returns it."""
    links: dict[str, Any] = {"self": {"href": self_href}}
    if next_href:
        links["next"] = {"href": next_href}
    return {"_links": links, "_embedded": {key: items}, "count": 999, "size": len(items)}


def error_body(
    code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A PingOne Platform API error body."""
    body: dict[str, Any] = {
        "id": "b1a2c3d4-0000-4000-8000-000000000001",
        "code": code,
        "message": message,
    }
    if details is not None:
        body["details"] = details
    return body


class FakeSleep:
    """Records requested sleeps instead of sleeping, advancing a fake clock."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.now = 0.0

    def clock(self) -> float:
        """The fake monotonic clock."""
        return self.now

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        """Async twin of __call__."""
        self(seconds)
