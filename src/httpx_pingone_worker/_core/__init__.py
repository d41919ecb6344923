"""The core layer (internal: import public names from ``httpx_pingone_worker``).

Everything else builds on it; it imports nothing from the rest of the package.

- ``_errors``: the one exception tree rooted at ``PingOneError``;
- ``_secrets``: the [`Secret`][httpx_pingone_worker.Secret] type and fingerprints;
- ``_token``: the ``Token`` value and its freshness (``TokenState``);
- ``_events``: ``EventKind`` and ``LogEvent``, the payload of log lines and hooks;
- ``_hookspecs``: the pluggy hook specifications (public as ``httpx_pingone_worker.hookspecs``);
- ``_plugins``: the pluggy plugin manager, created on first use;
- ``_logging``: redaction, the library loggers and ``log_event``;
- ``_regions``: regions → hosts, ``Endpoints``, the https-only URL check;
- ``_retry``: the retry policy (statuses, ``Retry-After``, jittered backoff, budget);
- ``_httplib``: ``HttpLib``, the one seam between the engine and httpx / httpx2.
- ``_fork``: fork safety, the at-fork reset of per-process state (and a pid check).

This ``__init__`` imports nothing, so importing one module does not load the others.
"""
