"""Old path of ``_core._httplib``, kept for ``emulator/`` until it imports from ``_core``."""

from ._core._httplib import *  # noqa: F403
