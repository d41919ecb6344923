"""Control endpoints of the loopback server, ``/_emulator/<action>``, for non-Python
consumers: ``POST reset|seed|snapshot|restore|advance|expire|faults`` (JSON bodies),
``GET requests|state``."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker._core._input import BadJSON, parse_json
from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker.credentials._credentials import ClientCredentials

from ._clock import EmulatorClock
from ._http import Ctx, EmulatorResponse, RequestRecord, api_error, json_body
from ._seed import check_users

__all__ = ["Controlled", "describe", "handle_control"]


class Controlled(Protocol):
    """What the control endpoints drive (the ``PingOneEmulator`` facade)."""

    clock: EmulatorClock
    users: int

    @property
    def seed(self) -> int: ...
    @property
    def requests(self) -> list[RequestRecord]: ...
    @property
    def token_requests(self) -> int: ...
    def reset(self, *, seed: int | None = None) -> None: ...
    def _rebuild(self, seed: int) -> None: ...
    def _save_named(self, name: str) -> None: ...
    def _restore_named(self, name: str) -> None: ...
    def _fault_count(self) -> int: ...
    def expire_tokens(self) -> int: ...
    def clear_faults(self) -> None: ...
    def inject_fault(
        self,
        endpoint: str = "*",
        kind: str = "status",
        *,
        count: int | None = 1,
        status: int = 503,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None: ...
    def _describe(self, *, include_secret: bool = False) -> dict[str, Any]: ...
    @property
    def credentials(self) -> ClientCredentials: ...
    @property
    def region(self) -> Region: ...


def describe(emu: Controlled, *, include_secret: bool = False) -> dict[str, Any]:
    """The seeded app's ids (and, for control clients, its throwaway secret)."""
    creds = emu.credentials
    out: dict[str, Any] = {
        "seed": emu.seed,
        "region": emu.region.value,
        "environment_id": creds.environment_id,
        "client_id": creds.client_id,
        "auth_method": creds.auth_method,
        "now": emu.clock.now(),
    }
    if include_secret and creds.client_secret is not None:
        # Throwaway emulator value: control clients need it after re-seeding.
        out["client_secret"] = creds.client_secret.get_secret_value()
    return out


def handle_control(emu: Controlled, ctx: Ctx) -> EmulatorResponse:
    """Answer one control request (the caller holds the emulator's lock)."""
    action = ctx.path[len("/_emulator/") :].strip("/")
    if ctx.method == "GET" and action == "requests":
        records = [dataclasses.asdict(r) for r in emu.requests]
        return json_body(200, {"token_requests": emu.token_requests, "requests": records}, ctx)
    if ctx.method == "GET" and action == "state":
        return json_body(200, emu._describe(), ctx)
    if ctx.method != "POST":
        return api_error(
            ctx,
            405,
            "INVALID_REQUEST",
            f"{ctx.method} /_emulator/{action} "
            "is not supported; control endpoints take POST with a JSON body",
        )
    try:
        payload = parse_json(ctx.body) if ctx.body else {}
    except BadJSON as exc:
        return api_error(ctx, 400, "INVALID_DATA", exc.describe("control body"))
    if not isinstance(payload, dict):
        return api_error(ctx, 400, "INVALID_DATA", "control body must be a JSON object")
    try:
        return _post(emu, ctx, action, payload)
    except EmulatorError as exc:
        return api_error(ctx, 400, "INVALID_DATA", exc.message)


def _int_field(payload: dict[str, Any], name: str, action: str, default: int = 0) -> int:
    """``payload[name]`` as an int (a whole JSON number; floats like 3.0 pass)."""
    value = payload.get(name, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise EmulatorError(f'POST /_emulator/{action}: "{name}" must be a whole number')
    return value


def _post(emu: Controlled, ctx: Ctx, action: str, payload: dict[str, Any]) -> EmulatorResponse:
    if action == "reset":
        if "seed" in payload:
            emu.reset(seed=_int_field(payload, "seed", action))
        else:
            emu.reset()
        return json_body(200, emu._describe(include_secret=True), ctx)
    if action == "seed":
        if "seed" not in payload:
            return api_error(ctx, 400, "INVALID_DATA", 'POST /_emulator/seed needs {"seed": <int>}')
        seed = _int_field(payload, "seed", action)
        if "users" in payload:
            emu.users = check_users(_int_field(payload, "users", action))
        emu._rebuild(seed)
        return json_body(200, emu._describe(include_secret=True), ctx)
    if action in ("snapshot", "restore"):
        name = str(payload.get("name", "default"))
        if action == "snapshot":
            emu._save_named(name)
        else:
            emu._restore_named(name)
        return json_body(200, {action: name}, ctx)
    if action == "advance":
        seconds = payload.get("seconds", 0)
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            return api_error(
                ctx,
                400,
                "INVALID_DATA",
                f'POST /_emulator/advance: "seconds" must be a number, got {seconds!r}',
            )
        return json_body(200, {"now": emu.clock.advance(seconds)}, ctx)
    if action == "expire":
        return json_body(200, {"expired": emu.expire_tokens()}, ctx)
    if action == "faults":
        if payload.get("clear"):
            emu.clear_faults()
            return json_body(200, {"faults": 0}, ctx)
        emu.inject_fault(
            endpoint=str(payload.get("endpoint", "*")),
            kind=str(payload.get("kind", "status")),
            count=payload.get("count", 1),
            status=_int_field(payload, "status", action, 503),
            retry_after=payload.get("retry_after"),
            delay=payload.get("delay", 0.0),
        )
        return json_body(200, {"faults": emu._fault_count()}, ctx)
    return api_error(
        ctx,
        404,
        "NOT_FOUND",
        f"no control endpoint /_emulator/{action} (use reset, "
        "seed, snapshot, restore, advance, expire, faults, requests, state)",
    )
