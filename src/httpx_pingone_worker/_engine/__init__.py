"""The token engine layer (internal: import public names from ``httpx_pingone_worker``).

Single-flight is decided here, and only here.

- ``_config``: `AuthConfig`, one auth's settings, validated once;
- ``_assembly``: `AuthParts`, the pieces one auth is built from (cache access, clients,
  background jobs, close signal, engine, lead, performer), the arguments ``from_env`` /
  ``from_credentials`` / ``from_store`` pass on, and the auth's masked repr;
- ``_engine``: `TokenEngine` (token state, freshness, single-flight) and `Plan`;
- ``_flight``: `Flight`, one in-flight fetch that threads and tasks wait for;
- ``_flow``: the actions flows yield and `request_token_flow` (retry loop);
- ``_lead``: `Lead`, every decision around a fetch and around one request, as generators;
- ``_perform``: `Performer`, the sync and async drivers that perform the lead's actions;
- ``_clients``: `TokenClients`, which httpx client sends the token requests;
- ``_lifecycle``: `CloseSignal` (what ``close()`` wakes) and `SecretReload`;
- ``_eventloop``: asyncio / trio primitives, imported only when an async flow runs;
- ``_guarded_cache``: `GuardedCache`, cache access where a broken cache is a miss;
- ``_background``: the process-wide refresh pool and one auth's background jobs;
- ``_drivers``: perform a flow's actions with an httpx / httpx2 client (sync and async);
- ``_standalone``: `request_client_credentials_token` and its async twin.

Sans-IO but for ``_perform``, ``_clients``, ``_guarded_cache``, ``_background``,
``_drivers``, ``_standalone`` and ``_assembly`` (which builds them). This
``__init__`` imports nothing.
"""
