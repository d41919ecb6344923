"""PingOne worker tokens for `httpx2 <https://pypi.org/project/httpx2/>`_ clients.

```pycon
>>> import httpx2
>>> from httpx_pingone_worker.httpx2 import PingOneWorkerAuth
>>> auth = PingOneWorkerAuth(client_id, secret, env_id, region="EU")
>>> with httpx2.Client(auth=auth) as client:
...     client.get(f"https://api.pingone.eu/v1/environments/{env_id}")
```

The same implementation as ``httpx_pingone_worker.PingOneWorkerAuth`` (one sans-IO
token engine, the same caches, hooks, log lines, retries and single-flight rules), with
httpx2's request, response, exception and client classes. Install with
``pip install "httpx-pingone-worker[httpx2]"`` (httpx2 needs Python 3.11 or newer).
"""

from __future__ import annotations

try:
    import httpx2
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "httpx_pingone_worker.httpx2 needs the httpx2 package: "
        'pip install "httpx-pingone-worker[httpx2]" (Python 3.11 or newer)',
        name=exc.name,
    ) from exc

from ._auth import _AuthBase
from ._core._httplib import HttpLib

__all__ = ["HTTPX2", "PingOneWorkerAuth"]

HTTPX2 = HttpLib.from_module(httpx2)
"""The httpx2 ``HttpLib``."""


class PingOneWorkerAuth(
    _AuthBase[httpx2.Request, httpx2.Response, httpx2.Client, httpx2.AsyncClient], httpx2.Auth
):
    """httpx2 authentication with PingOne worker tokens (OAuth 2.0 client credentials).

    Same constructor, attributes and methods as
    ``httpx_pingone_worker.PingOneWorkerAuth``; ``http_client`` /
    ``async_http_client`` are ``httpx2.Client`` / ``httpx2.AsyncClient``, and the token
    request of a request flow goes through the user's httpx2 client (its transport,
    proxies and TLS settings, and ``httpx2.MockTransport``).
    """

    _lib = HTTPX2
