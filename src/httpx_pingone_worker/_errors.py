"""Old path of ``_core._errors``, kept for ``emulator/`` until it imports from ``_core``."""

from ._core._errors import *  # noqa: F403
