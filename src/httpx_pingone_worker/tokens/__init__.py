"""Tokens issued by PingOne (internal: import public names from ``httpx_pingone_worker``).

- ``_jwt_decode``: :func:`decode_jwt` (no verification, for inspection);
- ``_jwks``: :class:`JWKSCache` (fetch, cache, key by ``kid``, bounded refetch);
- ``_jwt_verify``: :func:`verify_jwt` / :func:`averify_jwt` (alg allow-list, key checks,
  signature through python-jose, claims);
- ``_introspection``: RFC 7662 introspection (:func:`introspect_token`).

This ``__init__`` imports nothing.
"""
