"""pytest plugin for httpx-pingone-worker: PingOne fixtures backed by the offline emulator.

Installed with the package (``pytest11`` entry point ``pingone``); see the README's
"Testing with pytest" section.
"""

from __future__ import annotations

__all__: list[str] = []
