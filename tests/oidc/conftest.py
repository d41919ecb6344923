"""The oidc-provider server fixture (see oidc_harness)."""

from __future__ import annotations

from oidc_harness import oidc_server

__all__ = ["oidc_server"]
