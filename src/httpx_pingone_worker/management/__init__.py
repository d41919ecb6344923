"""The PingOne Management API layer (internal: import public names from ``httpx_pingone_worker``).

- ``_models``: typed resources (Environment, Application, Role, User …) parsed from JSON;
- ``_paging``: HAL collection pages and the pager state;
- ``_ratelimit``: the client-side token-bucket [`RateLimiter`][httpx_pingone_worker.RateLimiter];
- ``_error_mapping``: failed responses → ``ManagementApiError`` with a role hint;
- ``_sansio``: `_SansIO`, the clients' sans-IO half (paths, headers, retries, one call as a
  flow of actions);
- ``_base``, ``_sync``, ``_async``: the shared client base and the sync / async I/O shells;
- ``_actions``: the actions of flows that use a whole client (`CallClient`, `RequestToken`,
  `OpenClient`) and their sync / async drivers;
- ``_provisioning``, ``_writes``: typed lookups and idempotent writes (flows), write bodies;
- ``_discovery``, ``_probes``, ``_validation``: worker-app discovery, API access probes and
  end-to-end credential validation.

This ``__init__`` imports nothing, so importing one module does not load the others.
"""
