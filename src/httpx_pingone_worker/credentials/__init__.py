"""Credentials and settings (internal: import public names from ``httpx_pingone_worker``).

- ``_credentials``: ``ClientCredentials`` and the auth method names;
- ``_sources``: ``PINGONE_*`` environment variables, ``.env`` and ``settings.json`` readers;
- ``_settings``: ``resolve_settings`` / ``resolve_credentials`` (precedence, sources);
- ``_format``: ``validate_credential_format`` (advises, never gatekeeps);
- ``_crypto``: at-rest encryption (keys in the OS keyring or a key file, AES-GCM sealing,
  atomic private files), shared with the encrypted file token cache;
- ``_store``: the encrypted credential store (``secure_store`` …).

This ``__init__`` imports nothing, so importing one of them loads only what it needs.
"""
