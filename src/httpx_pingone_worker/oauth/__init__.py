"""The OAuth 2.0 protocol layer, sans-IO (internal: import public names from the root).

Pure functions and values: nothing here opens a socket or imports an async library.

- ``_token_request``: build a client-credentials ``TokenRequest``;
- ``_token_response``: parse a token response into a ``Token`` or a ``TokenError``;
- ``_client_auth``: the four client authentication methods (``client_secret_basic``,
  ``client_secret_post``, ``client_secret_jwt``, ``private_key_jwt``);
- ``_discovery_doc``: the OIDC discovery URL and document validation.

This ``__init__`` imports nothing.
"""
