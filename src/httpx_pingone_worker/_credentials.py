"""Old path of ``credentials._credentials``, kept for ``_auth``, ``_engine/`` and ``_redis``.

Goes away when those import from ``credentials/`` (they are being changed on another branch).
"""

from httpx_pingone_worker.credentials._credentials import (
    AUTH_METHODS,
    AuthMethod,
    ClientCredentials,
    parse_auth_method,
)

__all__ = ["AUTH_METHODS", "AuthMethod", "ClientCredentials", "parse_auth_method"]
