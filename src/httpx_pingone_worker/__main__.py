"""``python -m httpx_pingone_worker``: the ``pingone-worker`` console."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
