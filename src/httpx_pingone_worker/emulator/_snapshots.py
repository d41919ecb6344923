"""Snapshots of an emulator's state, and the seeded baseline of each configuration."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from httpx_pingone_worker._core._regions import Region

from ._app_factory import add_app
from ._clock import EmulatorClock
from ._engine import EmulatorEngine, Settings
from ._roles import ROLE_NAMES
from ._scenario import DEFAULT_APP_SCOPES
from ._seed import apply_seed_data, seed_configuration, seed_directory
from ._state import World

__all__ = ["EmulatorSnapshot", "baseline"]


@dataclass(frozen=True, slots=True, repr=False)
class EmulatorSnapshot:
    """A saved emulator state (opaque); give it to ``PingOneEmulator.restore``."""

    _blob: bytes
    _env_id: str
    _client_id: str

    def __repr__(self) -> str:
        return f"<EmulatorSnapshot {len(self._blob)} bytes>"


@functools.lru_cache(maxsize=16)
def baseline(config: str) -> bytes:
    """The seeded state for a configuration, built once per process (deterministic)."""
    c = json.loads(config)
    clock = EmulatorClock()
    settings = Settings(c["token_lifetime"], c["rate_limit"], c["strict_auth"], c["leeway"])
    engine = EmulatorEngine(
        world=World(c["seed"], ROLE_NAMES), clock=clock, settings=settings, seed=c["seed"]
    )
    world = engine.world
    env = world.add_environment(
        name="Emulator Sandbox",
        region=Region(c["region"]),
        description="Seeded by httpx_pingone_worker.emulator",
    )
    seed_directory(world, env, c["users"])
    seed_configuration(world, env)
    if c["seed_data"] is not None:
        apply_seed_data(world, env, c["seed_data"], c["seed_source"])
    add_app(
        engine,
        env,
        name="Emulator Worker",
        auth_method=c["auth_method"],
        enabled=True,
        roles=c["roles"],
        scopes=DEFAULT_APP_SCOPES,
    )
    return engine.snapshot()
