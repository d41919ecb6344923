"""Token caches (internal: import public names from ``httpx_pingone_worker``).

- ``_memory``: the ``TokenCache`` protocol, its optional parts (async twins,
  ``fetch_lock`` / ``try_fetch_lock``, ``delete_if``), ``cache_key`` and
  [`MemoryTokenCache`][httpx_pingone_worker.MemoryTokenCache];
- ``_file``: ``EncryptedFileTokenCache`` (one sealed file per key, cross-process locks);
- ``_redis``: ``RedisTokenCache``, with its clients in ``_redis_clients``, its fetch lock in
  ``_redis_lock`` (sync) and ``_redis_alock`` (async), its value format in ``_redis_codec``
  (scrypt, AES-GCM), its support in ``_redis_support`` (key names, errors, breaker, lock
  renewal thread) and the ``redis+sentinel://`` URL in ``_redis_sentinel``.

This ``__init__`` imports nothing: redis and cryptography load only with their cache.
"""
