"""Token caches (internal: import public names from ``httpx_pingone_worker``).

- ``_memory``: the ``TokenCache`` protocol, its optional parts (async twins,
  ``fetch_lock`` / ``try_fetch_lock``, ``delete_if``), ``cache_key`` and
  [`MemoryTokenCache`][httpx_pingone_worker.MemoryTokenCache];
- ``_file``: ``EncryptedFileTokenCache`` (one sealed file per key, cross-process locks);
- ``_redis``: ``RedisTokenCache``, with its value format in ``_redis_codec`` (scrypt,
  AES-GCM) and its support in ``_redis_support`` (errors, breaker, lock renewal).

This ``__init__`` imports nothing: redis and cryptography load only with their cache.
"""
