"""pytest plugin entry point (``pytest11``). Fixtures arrive with the pytest_pingone issue."""

from __future__ import annotations
