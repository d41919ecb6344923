"""An offline, deterministic PingOne for tests, demos and the console (moto-style).

>>> import httpx
>>> from httpx_pingone_worker.emulator import PingOneEmulator
>>> emu = PingOneEmulator(users=5)
>>> with httpx.Client(transport=emu.transport()) as client:
...     r = client.post(emu.token_endpoint, data={"grant_type": "client_credentials"},
...                     auth=(emu.client_id, emu.credentials.client_secret.get_secret_value()))
>>> r.status_code, r.json()["token_type"]
(200, 'Bearer')

What is emulated: discovery, JWKS, token (``client_credentials``; every client
authentication method, enforced per app), introspection, revocation (answered as PingOne
does for client-credentials tokens: not supported), and a read-only Management API subset
(environments, applications, roleAssignments, roles, users, groups, populations with
``filter``/``limit``/cursor paging). Faults, an advanceable clock and a redacted request log
make failure paths testable. Adapters: :meth:`PingOneEmulator.transport`,
:meth:`PingOneEmulator.router` (respx), :meth:`PingOneEmulator.serve` (HTTPS on loopback).
``python -m httpx_pingone_worker.emulator`` runs the server.
"""

from __future__ import annotations

from ._clock import EmulatorClock
from ._emulator import PingOneEmulator
from ._faults import ENDPOINTS, FAULT_KINDS
from ._handler import EmulatorResponse, RequestRecord
from ._server import EmulatorServer
from ._state import ROLE_NAMES, ROLE_PERMISSIONS
from ._transport import EmulatorTransport

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "ROLE_NAMES",
    "ROLE_PERMISSIONS",
    "EmulatorClock",
    "EmulatorResponse",
    "EmulatorServer",
    "EmulatorTransport",
    "PingOneEmulator",
    "RequestRecord",
]
