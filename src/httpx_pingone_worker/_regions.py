"""Old path of ``_core._regions``, kept for ``emulator/`` until it imports from ``_core``."""

from ._core._regions import *  # noqa: F403
