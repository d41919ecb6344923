"""Old path of ``_core._secrets``, kept for ``emulator/`` until it imports from ``_core``."""

from ._core._secrets import *  # noqa: F403
