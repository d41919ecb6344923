"""The emulator's mutable runtime: world, keys, faults, request log, tokens, rate limits.

Handlers receive an ``EmulatorEngine`` (never the ``PingOneEmulator`` facade), so imports point
one way: ``_emulator`` → handlers → ``_engine`` → ``_state`` / ``_http``. The facade holds
the lock; everything here runs under it.
"""

from __future__ import annotations

import hashlib
import math
import pickle
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from ._clock import EmulatorClock
from ._faults import Fault
from ._http import Ctx, EmulatorResponse, RequestRecord
from ._keys import SigningKey, signing_key
from ._roles import ROLE_PERMISSION_IDS
from ._state import App, Environment, IssuedToken, World

__all__ = ["EmulatorEngine", "Settings", "record_active", "token_hash"]


def token_hash(token: str) -> str:
    """Key of the issued-token registry: the emulator never stores tokens themselves."""
    return hashlib.sha256(token.encode()).hexdigest()


def record_active(record: IssuedToken, now: float) -> bool:
    """Whether an issued token is still accepted at ``now``."""
    return not record.expired and now < record.exp


@dataclass(slots=True)
class Settings:
    """Behaviour switches the handlers read (the facade changes them at run time)."""

    token_lifetime: int
    rate_limit: int | None
    strict_auth: bool
    assertion_leeway: float
    #: Most items a page of each collection holds, whatever ``limit`` asks (PingOne:
    #: "the page size limit of 200 for the /environments/{{envID}}/users endpoint result
    #: may be smaller … use the page size in the response rather than the requested limit").
    page_sizes: dict[str, int] = field(default_factory=lambda: {"users": 200})


#: The engine's fields a request may change without writing to the directory (with the
#: world's issued tokens, id generator and tick): what a snapshot holds besides the world,
#: settings and seed, and what ``EmulatorEngine.rewind`` puts back.
_RUNTIME = (
    "signing_index",
    "client_key_index",
    "faults",
    "requests",
    "token_request_count",
    "rate_windows",
)


@dataclass(slots=True)
class EmulatorEngine:
    """Everything a request can read or change. Rebuilt or restored on reset."""

    world: World
    clock: EmulatorClock
    settings: Settings
    seed: int
    signing_keys: list[SigningKey] = field(default_factory=list)
    signing_index: int = 0
    client_key_index: int = 0
    faults: list[Fault] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    token_request_count: int = 0
    rate_windows: dict[str, deque[float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.signing_keys:
            self.signing_keys = [
                signing_key(self.seed, "signing", i) for i in range(self.signing_index + 1)
            ]

    # ------------------------------------------------------------------ snapshots
    def snapshot(self) -> bytes:
        """Everything but the clock, serialized (keys by index: they regenerate from the
        seed, cached)."""
        state = (self.world, self.settings, self.seed, *(getattr(self, f) for f in _RUNTIME))
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def restore(cls, blob: bytes, clock: EmulatorClock) -> EmulatorEngine:
        """An independent engine equal to the one ``snapshot`` saw, on ``clock``."""
        world, settings, seed, *runtime = pickle.loads(blob)  # noqa: S301 - our own bytes
        fields: dict[str, Any] = dict(zip(_RUNTIME, runtime, strict=True))
        return cls(world=world, clock=clock, settings=settings, seed=seed, **fields)

    def runtime(self) -> bytes:
        """What serving a request changes without a write to the directory, serialized: the
        issued tokens, the id generator, the request log and counters, rate windows, faults.

        ``rewind`` puts these back, which is all a restore has to do when nothing else
        changed since (the facade tracks that: see ``PingOneEmulator._install``)."""
        world = self.world
        state = (
            world.tokens,
            world.rng.getstate(),
            world.tick,
            *(getattr(self, f) for f in _RUNTIME),
        )
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    def rewind(self, runtime: bytes, clock: EmulatorClock) -> None:
        """Put back what ``runtime`` saved, and run on ``clock`` from now on."""
        world = self.world
        world.tokens, rng_state, world.tick, *rest = pickle.loads(runtime)  # noqa: S301
        world.rng.setstate(rng_state)
        for name, value in zip(_RUNTIME, rest, strict=True):
            setattr(self, name, value)
        self.clock = clock

    # ------------------------------------------------------------------ keys and tokens
    def jwks(self) -> dict[str, Any]:
        """The published JWKS (public keys, newest first)."""
        return {"keys": [k.public_jwk() for k in reversed(self.signing_keys)]}

    def issue(
        self, app: App, env: Environment, scopes: list[str], issuer: str
    ) -> tuple[str, IssuedToken]:
        """Sign an access token for ``app`` and remember it (by hash)."""
        now = int(self.clock.now())
        lifetime = app.token_lifetime or self.settings.token_lifetime
        jti = self.world.new_id()
        aud = [f"https://{env.region.api_host}"]
        scope = " ".join(scopes)
        claims: dict[str, Any] = {
            "client_id": app.id,
            "iss": issuer,
            "iat": now,
            "exp": now + lifetime,
            "aud": aud,
            "scope": scope,
            "jti": jti,
            "env": env.id,
            "org": env.organization_id,
        }
        token = self.signing_keys[-1].sign(claims)
        record = IssuedToken(
            jti=jti,
            client_id=app.id,
            environment_id=env.id,
            scope=scope,
            iat=now,
            exp=now + lifetime,
            issuer=issuer,
            audience=aud,
        )
        self.world.tokens[token_hash(token)] = record
        return token, record

    def lookup_token(self, token: str) -> IssuedToken | None:
        return self.world.tokens.get(token_hash(token))

    def is_active(self, record: IssuedToken) -> bool:
        return record_active(record, self.clock.now())

    # ------------------------------------------------------------------ faults, limits
    def take_fault(self, endpoint: str, resource: str | None) -> Fault | None:
        for fault in self.faults:
            if fault.matches(endpoint, resource):
                if fault.remaining is not None:
                    fault.remaining -= 1
                return fault
        return None

    def rate_limited(self, license_id: str) -> int | None:
        """Seconds until the license may call again, or ``None`` (request counted)."""
        limit = self.world.licenses.get(license_id) or self.settings.rate_limit
        if limit is None:
            return None
        now = self.clock.now()
        window = self.rate_windows.setdefault(license_id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= limit:
            return max(1, math.ceil(window[0] + 60 - now))
        window.append(now)
        return None

    # ------------------------------------------------------------------ permissions
    def permissions(self, app: App, env_id: str) -> frozenset[str]:
        """Permission ids ``app`` holds in environment ``env_id`` (its covering roles)."""
        target = self.world.environments.get(env_id)
        perms: set[str] = set()
        for ra in app.role_assignments:
            covers = (ra.scope_type == "ENVIRONMENT" and ra.scope_id == env_id) or (
                ra.scope_type == "ORGANIZATION"
                and (target is None or target.organization_id == ra.scope_id)
            )
            if covers:
                perms |= ROLE_PERMISSION_IDS.get(ra.role_name, frozenset())
        return frozenset(perms)

    # ------------------------------------------------------------------ request log
    def log(self, ctx: Ctx, resp: EmulatorResponse) -> RequestRecord:
        """Append the redacted record of one handled request."""
        record = RequestRecord(
            method=ctx.method,
            path=ctx.path,
            endpoint=resp.endpoint,
            status=resp.status,
            client_id=ctx.client_id,
            auth_method=ctx.auth_method,
            environment_id=ctx.environment_id,
            correlation_id=resp.headers.get("Correlation-Id"),
            fault=ctx.fault,
            time=self.clock.now(),
            resource=ctx.resource,
            query=ctx.raw_query if ctx.host_kind != "auth" else "",
        )
        self.requests.append(record)
        return record
