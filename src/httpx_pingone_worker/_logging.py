"""Old path of ``_core._logging``, kept for ``emulator/`` until it imports from ``_core``."""

from ._core._logging import *  # noqa: F403
