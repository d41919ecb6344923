"""pytest plugin for httpx-pingone-worker: PingOne fixtures backed by the offline emulator.

Installed with the package (``pytest11`` entry point ``pingone``). The names below are the
fixtures' helper types, for annotations:

```python
from pytest_pingone import PingOneEvents

def test_logs(pingone_token, pingone_events: PingOneEvents) -> None: ...
```
"""

from __future__ import annotations

from ._config import Mode, PingOneTestConfig, get_config
from ._events import PingOneEvents
from ._fixtures import AsyncClientFactory, PingOneEmulatorServer
from ._markers import EmulatorSettings, MarkerError

__all__ = [
    "AsyncClientFactory",
    "EmulatorSettings",
    "MarkerError",
    "Mode",
    "PingOneEmulatorServer",
    "PingOneEvents",
    "PingOneTestConfig",
    "get_config",
]
