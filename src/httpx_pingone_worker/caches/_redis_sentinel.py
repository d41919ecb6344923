"""Redis Sentinel for the Redis token cache: the ``redis+sentinel://`` URL and its clients.

``redis+sentinel://[user:password@]host1[:port],host2[:port]/<service_name>[/<db>][?options]``
(``rediss+sentinel://`` for TLS to the sentinels and the data nodes alike). The port of a
sentinel defaults to 26379; the user name and password are those of the master (the data
node), as in a ``redis://`` URL. Options:

- ``sentinel_username``, ``sentinel_password``: credentials of the sentinels themselves (when
  they have ``requirepass`` / an ACL user); without them sentinels are asked without AUTH;
- ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``, ``ssl_cert_reqs`` (``none``,
  ``optional``, ``required``), ``ssl_check_hostname`` (``true``/``false``): TLS settings for
  ``rediss+sentinel://``, used for sentinels and data nodes.

The clients are redis-py's (``redis.sentinel.Sentinel(...).master_for(service_name)`` and its
``redis.asyncio`` twin): every connection asks the sentinels for the current master, and a
connection to a master that has been demoted or died fails, so the cache degrades for
``retry_interval`` and then talks to the new master.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._input import split_url
from httpx_pingone_worker._core._secrets import Secret

__all__ = [
    "SENTINEL_SCHEMES",
    "SentinelTarget",
    "aclose_sentinels",
    "close_sentinels",
    "describe_sentinel_client",
    "parse_sentinel_url",
    "sentinel_clients",
    "url_scheme",
]

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
DEFAULT_SENTINEL_PORT = 26379

_HINT = (
    "use redis+sentinel://[user:password@]host1:26379,host2:26379/<service_name>[/<db>] "
    "(rediss+sentinel:// for TLS); the URL is not shown: it may hold a password"
)
_TLS_PATHS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile")
_CERT_REQS = ("none", "optional", "required")
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_OPTIONS = (*_TLS_PATHS, "ssl_cert_reqs", "ssl_check_hostname", "sentinel_username",
            "sentinel_password")  # fmt: skip


def url_scheme(url: str) -> str:
    """The scheme of ``url`` in lower case ("" when it has none)."""
    head, sep, _ = url.partition("://")
    return head.lower() if sep else ""


def _bad(problem: str) -> ConfigurationError:
    return ConfigurationError(f"the Redis Sentinel URL is not valid: {problem}", hint=_HINT)


@dataclass(frozen=True, repr=False)
class SentinelTarget:
    """A parsed ``redis+sentinel://`` URL: where the sentinels are and what to ask them."""

    tls: bool
    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int = 0
    username: str | None = None
    password: Secret | None = None
    sentinel_username: str | None = None
    sentinel_password: Secret | None = None
    ssl: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """The URL without credentials or options, for logs and repr."""
        scheme = SENTINEL_SCHEMES[1] if self.tls else SENTINEL_SCHEMES[0]
        hosts = ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.sentinels)
        return f"{scheme}://{hosts}/{self.service_name}/{self.db}"

    def __repr__(self) -> str:
        return f"SentinelTarget({self.describe()!r})"

    def _node_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"db": self.db}
        if self.username is not None:
            kwargs["username"] = self.username
        if self.password is not None:
            kwargs["password"] = self.password.get_secret_value()
        if self.tls:
            kwargs["ssl"] = True
            kwargs.update(self.ssl)
        return kwargs

    def _sentinel_kwargs(self, options: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(options)  # the caller's timeouts and its no-retry policy
        if self.sentinel_username is not None:
            kwargs["username"] = self.sentinel_username
        if self.sentinel_password is not None:
            kwargs["password"] = self.sentinel_password.get_secret_value()
        if self.tls:
            kwargs["ssl"] = True
            kwargs.update(self.ssl)
        return kwargs

    def master(self, options: dict[str, Any], sentinel_options: dict[str, Any]) -> Any:
        """A sync ``redis.Redis`` for the service's current master (``master_for``)."""
        from redis.sentinel import Sentinel

        sentinel = Sentinel(
            list(self.sentinels), sentinel_kwargs=self._sentinel_kwargs(sentinel_options)
        )
        return sentinel.master_for(self.service_name, **options, **self._node_kwargs())

    def amaster(self, options: dict[str, Any], sentinel_options: dict[str, Any]) -> Any:
        """A ``redis.asyncio.Redis`` for the service's current master."""
        from redis.asyncio.sentinel import Sentinel

        sentinel = Sentinel(
            list(self.sentinels), sentinel_kwargs=self._sentinel_kwargs(sentinel_options)
        )
        return sentinel.master_for(self.service_name, **options, **self._node_kwargs())


def parse_sentinel_url(url: str) -> SentinelTarget:
    """Parse a ``redis+sentinel://`` / ``rediss+sentinel://`` URL, or raise
    ``ConfigurationError`` saying what is wrong (never quoting the URL)."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
        raise _bad("it contains a control character (NUL, tab, newline …)")
    scheme = url_scheme(url)
    if scheme not in SENTINEL_SCHEMES:
        raise _bad("the scheme must be redis+sentinel or rediss+sentinel")
    rest = url.partition("://")[2]
    rest, _, fragment = rest.partition("#")
    if fragment:
        raise _bad("it has a #fragment")
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username: str | None = None
    password: Secret | None = None
    if at:
        user, colon, pw = userinfo.partition(":")
        username = unquote(user) or None
        password = Secret(unquote(pw)) if colon and pw else None
    sentinels = tuple(_sentinel_address(item) for item in hosts.split(","))
    service, db = _service_and_db(path)
    options = _options(query)
    if options.pop("tls_given", False) and scheme == SENTINEL_SCHEMES[0]:
        raise _bad("ssl_* options need rediss+sentinel:// (TLS)")
    sentinel_password = options.pop("sentinel_password", None)
    return SentinelTarget(
        tls=scheme == SENTINEL_SCHEMES[1],
        sentinels=sentinels,
        service_name=service,
        db=db,
        username=username,
        password=password,
        sentinel_username=options.pop("sentinel_username", None),
        sentinel_password=Secret(sentinel_password) if sentinel_password else None,
        ssl=options,
    )


def _sentinel_address(item: str) -> tuple[str, int]:
    if not item.strip():
        raise _bad("a sentinel address is empty (hosts are separated by single commas)")
    parts = split_url(f"redis://{item}", what="a sentinel address of the Redis Sentinel URL")
    host = parts.hostname
    if not host or parts.username is not None or parts.path or parts.query:
        raise _bad("a sentinel address is not host[:port]")
    port = parts.port if parts.port is not None else DEFAULT_SENTINEL_PORT
    if not 0 < port < 65536:
        raise _bad("a sentinel port is not in 1..65535")
    return host, port


def _service_and_db(path: str) -> tuple[str, int]:
    segments = path.split("/") if path else []
    if segments and segments[-1] == "":  # one trailing slash
        segments.pop()
    if not segments or not segments[0]:
        raise _bad("the service name (the master's name in the sentinels) is missing")
    if len(segments) > 2:
        raise _bad("the path has more than /<service_name>/<db>")
    service = unquote(segments[0])
    if not service.isprintable() or any(ch.isspace() for ch in service):
        raise _bad("the service name has spaces or unprintable characters")
    db = 0
    if len(segments) == 2:
        if not (segments[1].isascii() and segments[1].isdigit()) or len(segments[1]) > 5:
            raise _bad("the database is not a number such as 0")
        db = int(segments[1])
    return service, db


def _options(query: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        pairs = None
    if pairs is None:  # raised outside the except block: urllib's message quotes the query
        raise _bad("its ?query is not name=value pairs joined by &")
    for name, value in pairs:
        if name not in _OPTIONS:
            shown = name if name.isidentifier() and len(name) <= 40 else "(unprintable)"
            raise _bad(f"unknown option {shown!r}; known: {', '.join(_OPTIONS)}")
        if name in options:
            raise _bad(f"the option {name!r} is given twice")
        options[name] = _option_value(name, value)
    if any(name.startswith("ssl_") for name in options):
        options["tls_given"] = True
    return options


def _option_value(name: str, value: str) -> Any:
    if name == "ssl_cert_reqs":
        if value.lower() not in _CERT_REQS:
            raise _bad(f"ssl_cert_reqs must be one of {', '.join(_CERT_REQS)}")
        return value.lower()
    if name == "ssl_check_hostname":
        if value.lower() not in _BOOLS:
            raise _bad("ssl_check_hostname must be true or false")
        return _BOOLS[value.lower()]
    if not value:
        raise _bad(f"the option {name!r} is empty")
    return value


def describe_sentinel_client(client: Any) -> str | None:
    """``redis+sentinel://host:port,…/<service>/<db>`` for a ``master_for`` client, else None."""
    pool = getattr(client, "connection_pool", None)
    manager = getattr(pool, "sentinel_manager", None)
    service = getattr(pool, "service_name", None)
    if manager is None or not isinstance(service, str):
        return None
    hosts = []
    for sentinel in getattr(manager, "sentinels", ()):
        kwargs = getattr(getattr(sentinel, "connection_pool", None), "connection_kwargs", {})
        hosts.append(f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}")
    db = getattr(pool, "connection_kwargs", {}).get("db", 0)
    tls = "s" if "SSL" in getattr(getattr(pool, "connection_class", None), "__name__", "") else ""
    return f"redis{tls}+sentinel://{','.join(hosts)}/{service}/{db}"


def sentinel_clients(client: Any) -> list[Any]:
    """The clients a ``master_for`` client keeps for its sentinels (empty for other clients)."""
    manager = getattr(getattr(client, "connection_pool", None), "sentinel_manager", None)
    return list(getattr(manager, "sentinels", ()))


def close_sentinels(client: Any) -> None:
    """Close the connections to the sentinels of a ``master_for`` client this cache made
    (redis-py 5's ``Sentinel`` has no ``close()``)."""
    for sentinel in sentinel_clients(client):
        with contextlib.suppress(Exception):  # best effort: closing must not fail a caller
            sentinel.close()


async def aclose_sentinels(client: Any) -> None:
    """Async ``close_sentinels``."""
    for sentinel in sentinel_clients(client):
        with contextlib.suppress(Exception):
            await sentinel.aclose()
