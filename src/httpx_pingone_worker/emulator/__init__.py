"""An offline, deterministic PingOne for tests, demos and the console (moto-style).

```pycon
>>> import httpx
>>> from httpx_pingone_worker.emulator import PingOneEmulator
>>> emu = PingOneEmulator(users=5)
>>> with httpx.Client(transport=emu.transport()) as client:
...     r = client.post(emu.token_endpoint, data={"grant_type": "client_credentials"},
...                     auth=(emu.client_id, emu.credentials.client_secret.get_secret_value()))
>>> r.status_code, r.json()["token_type"]
(200, 'Bearer')
```

What is emulated: discovery, JWKS, token (``client_credentials``; every client
authentication method, enforced per app), introspection, revocation (answered as PingOne
does for client-credentials tokens: not supported), and a Management API shaped by PingOne's
published OpenAPI specs: users (create, replace, update, delete, enabled, population,
password), groups and memberships, populations, role assignments of apps and users,
applications (enable/disable, secret rotation), and read-only environments, bill of
materials, organization, licenses, sign-on and password policies, resources and scopes;
``filter``/``limit``/cursor paging; PingOne's error bodies and role permissions. Faults, an
advanceable clock, snapshots and a redacted request log make failure paths testable.
Adapters: ``PingOneEmulator.transport``, ``PingOneEmulator.router`` (respx),
[`PingOneEmulator.serve`][httpx_pingone_worker.emulator.PingOneEmulator.serve] (HTTPS on loopback).
``python -m httpx_pingone_worker.emulator`` runs the server.
"""

from __future__ import annotations

from ._clock import EmulatorClock
from ._emulator import EmulatorSnapshot, PingOneEmulator
from ._faults import ENDPOINTS, FAULT_KINDS
from ._http import EmulatorResponse, RequestRecord
from ._roles import ROLE_NAMES, ROLE_PERMISSION_IDS, ROLE_PERMISSIONS
from ._server import EmulatorServer
from ._transport import EmulatorTransport

__all__ = [
    "ENDPOINTS",
    "FAULT_KINDS",
    "ROLE_NAMES",
    "ROLE_PERMISSIONS",
    "ROLE_PERMISSION_IDS",
    "EmulatorClock",
    "EmulatorResponse",
    "EmulatorServer",
    "EmulatorSnapshot",
    "EmulatorTransport",
    "PingOneEmulator",
    "RequestRecord",
]
