"""Tokens issued by PingOne (internal: import public names from ``httpx_pingone_worker``).

- ``_jwt_decode``: ``decode_jwt`` (no verification, for inspection);
- ``_jwks``: ``JWKSCache`` (fetch, cache, key by ``kid``, bounded refetch);
- ``_jwt_verify``: ``verify_jwt`` / ``averify_jwt`` (alg allow-list, key checks,
  signature through python-jose, claims);
- ``_introspection``: RFC 7662 introspection (``introspect_token``).

This ``__init__`` imports nothing.
"""
