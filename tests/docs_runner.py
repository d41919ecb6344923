"""Run one documentation example against an offline PingOne (``python docs_runner.py FILE``).

The example runs as ``__main__`` with an emulator standing in for a real tenant: ``PINGONE_*``
hold the emulator's (throwaway) credentials for an ``EU`` environment, and httpx requests to
PingOne's hosts are answered by the emulator through respx, as the pytest plugin does. So an
example written for a real tenant (``PingOneWorkerAuth.from_env()``, ``region="EU"``) runs
unchanged; an example that makes its own ``PingOneEmulator`` talks to that one. httpx2 clients
made without a transport get the emulator's httpx2 transport.
"""

from __future__ import annotations

import os
import runpy
import sys

from httpx_pingone_worker.emulator import PingOneEmulator


def main(path: str) -> None:
    emu = PingOneEmulator(region="EU", users=20)
    creds = emu.credentials
    assert creds.client_secret is not None
    os.environ.update(
        PINGONE_CLIENT_ID=creds.client_id,
        PINGONE_CLIENT_SECRET=creds.client_secret.get_secret_value(),
        PINGONE_ENVIRONMENT_ID=creds.environment_id,
        PINGONE_REGION="EU",
    )
    _route_httpx2(emu)
    router = emu.router()
    router.route().pass_through()  # other hosts (an emulator served on loopback) as usual
    with router:
        runpy.run_path(path, run_name="__main__")


def _route_httpx2(emu: PingOneEmulator) -> None:
    """httpx2 clients made without a transport talk to the emulator (respx covers httpx only)."""
    try:
        import httpx2
    except ImportError:
        return
    for cls in (httpx2.Client, httpx2.AsyncClient):
        original = cls.__init__

        def init(self: object, *args: object, _original: object = original, **kw: object) -> None:
            kw.setdefault("transport", emu.transport(lib=httpx2))
            _original(self, *args, **kw)  # type: ignore[operator]

        cls.__init__ = init  # type: ignore[method-assign]


if __name__ == "__main__":
    main(sys.argv[1])
