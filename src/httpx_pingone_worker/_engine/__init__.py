"""The token engine layer (internal: import public names from ``httpx_pingone_worker``).

Single-flight is decided here, and only here.

- ``_engine``: :class:`TokenEngine` (token state, freshness, single-flight) and :class:`Plan`;
- ``_flight``: :class:`Flight`, one in-flight fetch that threads and tasks wait for;
- ``_flow``: the actions flows yield and :func:`request_token_flow` (retry loop);
- ``_eventloop``: asyncio / trio primitives, imported only when an async flow runs;
- ``_drivers``: perform a flow's actions with an httpx / httpx2 client (sync and async);
- ``_standalone``: :func:`request_client_credentials_token` and its async twin.

Everything but ``_drivers`` and ``_standalone`` is sans-IO. This ``__init__`` imports nothing.
"""
