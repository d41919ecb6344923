"""Old path of ``credentials._crypto`` / ``credentials._store``, kept for ``_auth`` and
``_filecache`` until they import from there (they are being changed on another branch).
"""

from httpx_pingone_worker.credentials._crypto import (
    APP_NAME,
    atomic_write,
    ensure_private_directory,
    generate_key,
    load_key,
    parse_key,
    seal,
    unseal,
)
from httpx_pingone_worker.credentials._store import secure_retrieve, stored_credentials_lookup

__all__ = [
    "APP_NAME",
    "atomic_write",
    "ensure_private_directory",
    "generate_key",
    "load_key",
    "parse_key",
    "seal",
    "secure_retrieve",
    "stored_credentials_lookup",
    "unseal",
]
