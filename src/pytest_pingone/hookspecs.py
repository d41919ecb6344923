"""pytest hooks added by the ``pingone`` plugin (through ``pytest_addhooks``).

Implement them in a ``conftest.py`` or a plugin, like any pytest hook:

```python
def pytest_pingone_log_event(event):
    print(event.line)

def pytest_pingone_credentials(config):
    return ClientCredentials(vault.client_id(), vault.secret(), vault.env_id())

def pytest_pingone_seed(emulator):
    emulator.add_user(username="alice")
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from httpx_pingone_worker import ClientCredentials, LogEvent
    from httpx_pingone_worker.emulator import PingOneEmulator

__all__ = ["pytest_pingone_credentials", "pytest_pingone_log_event", "pytest_pingone_seed"]


@pytest.hookspec
def pytest_pingone_log_event(event: LogEvent) -> None:
    """Receive every library log event of the test session, already redacted.

    Called for each [`LogEvent`][httpx_pingone_worker.LogEvent] the library emits while
    pytest runs (token fetches, cache writes, discovery, errors). The event never holds
    a secret or a full token.
    """


@pytest.hookspec(firstresult=True)
def pytest_pingone_credentials(config: pytest.Config) -> ClientCredentials | None:
    """Supply live-mode credentials, e.g. from a vault, instead of ``PINGONE_*``.

    Called once per session, only in ``live``/``auto`` mode. Return a
    [`ClientCredentials`][httpx_pingone_worker.ClientCredentials] or ``None`` to fall back to the
    ``PINGONE_*`` environment variables. The first non-``None`` result wins.
    """


@pytest.hookspec
def pytest_pingone_seed(emulator: PingOneEmulator) -> None:
    """Shape each new emulator for the suite (users, groups, extra apps …).

    Called for every emulator the plugin builds, after the ``pingone`` marker's settings
    are applied and before its faults are injected: once per marker configuration for
    ``pingone_emulator`` (each test then starts from a snapshot of the seeded state) and once
    for the session's ``pingone_emulator_server``. Keep it deterministic: what it adds is
    what every test sees.
    """
