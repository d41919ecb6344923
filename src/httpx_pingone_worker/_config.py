"""Old path of ``credentials._settings``, kept for ``_auth`` until it imports from there."""

from httpx_pingone_worker.credentials._settings import resolve_settings

__all__ = ["resolve_settings"]
