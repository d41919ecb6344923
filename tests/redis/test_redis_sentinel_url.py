"""The ``redis+sentinel://`` URL: what it accepts, and a ConfigurationError that never shows a
password for what it refuses. No server is needed: nothing connects before the first use."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from httpx_pingone_worker import ConfigurationError, RedisTokenCache

PASSWORD = "sentinel-PASSWORD-7Hq2Lw"
SECRET = "s" * 32


def _chain_text(exc: BaseException) -> str:
    """Everything a traceback of ``exc`` shows, its __cause__/__context__ chain included."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _kwargs(cache: RedisTokenCache) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The connection options of the master pool and of each sentinel client."""
    client = cache._clients.sync
    pool = client.connection_pool  # type: ignore[union-attr]
    sentinels = [s.connection_pool.connection_kwargs for s in pool.sentinel_manager.sentinels]
    return pool.connection_kwargs, sentinels


def test_url_parts_reach_redis_py() -> None:
    """Hosts (default port 26379, IPv6 in brackets), service, db, the master's user and
    password, and the sentinels' own credentials from the query."""
    cache = RedisTokenCache(
        f"redis+sentinel://app:{PASSWORD}@10.0.0.1:26380,[::1],sentinel-3/my%2Dsvc/4"
        "?sentinel_username=watch&sentinel_password=sentinel-pw",
        secret=SECRET,
    )
    node, sentinels = _kwargs(cache)
    assert (node["db"], node["username"], node["password"]) == (4, "app", PASSWORD)
    assert cache._clients.sync.connection_pool.service_name == "my-svc"  # type: ignore[union-attr]
    assert [(s["host"], s["port"]) for s in sentinels] == [
        ("10.0.0.1", 26380),
        ("::1", 26379),
        ("sentinel-3", 26379),
    ]
    assert {(s["username"], s["password"]) for s in sentinels} == {("watch", "sentinel-pw")}
    assert repr(cache) == (
        "RedisTokenCache(target='redis+sentinel://10.0.0.1:26380,[::1]:26379,sentinel-3:26379"
        "/my-svc/4', key_prefix='pingone:', encryption='secret', degraded=False)"
    )
    cache.close()


def test_short_timeouts_and_no_retries_for_master_and_sentinels() -> None:
    """Like clients built from redis:// URLs: socket_timeout for connect and reads, and no
    driver retries, for the master's connections and the sentinels' alike."""
    cache = RedisTokenCache("redis+sentinel://h1,h2/svc", secret=SECRET, socket_timeout=0.3)
    node, sentinels = _kwargs(cache)
    for kwargs in (node, *sentinels):
        assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.3
        retry = kwargs["retry"]
        assert retry._retries == 0
    assert "password" not in node or node["password"] is None
    cache.close()


def test_tls_scheme_and_options_apply_to_sentinels_and_nodes() -> None:
    """rediss+sentinel:// speaks TLS to both; ssl_* options go to both."""
    cache = RedisTokenCache(
        "rediss+sentinel://h1:1/svc?ssl_ca_certs=/ca.pem&ssl_cert_reqs=required"
        "&ssl_check_hostname=false",
        secret=SECRET,
    )
    node, sentinels = _kwargs(cache)
    assert "SSL" in cache._clients.sync.connection_pool.connection_class.__name__  # type: ignore[union-attr]
    for kwargs in (node, *sentinels):
        assert kwargs["ssl_ca_certs"] == "/ca.pem"
        assert kwargs["ssl_cert_reqs"] == "required"
        assert kwargs["ssl_check_hostname"] is False
    assert repr(cache).startswith("RedisTokenCache(target='rediss+sentinel://h1:1/svc/0'")
    cache.close()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("redis+sentinel://", "sentinel address is empty"),
        (f"redis+sentinel://:{PASSWORD}@/svc", "sentinel address is empty"),
        (f"redis+sentinel://:{PASSWORD}@h1,,h2/svc", "sentinel address is empty"),
        (f"redis+sentinel://:{PASSWORD}@h1", "service name"),
        (f"redis+sentinel://:{PASSWORD}@h1/", "service name"),
        (f"redis+sentinel://:{PASSWORD}@h1:abc/svc", "not a valid URL"),
        (f"redis+sentinel://:{PASSWORD}@h1:0/svc", "port"),
        (f"redis+sentinel://:{PASSWORD}@h1:70000/svc", "not a valid URL"),
        (f"redis+sentinel://:{PASSWORD}@[::1/svc", "not a valid URL"),
        (f"redis+sentinel://:{PASSWORD}@h1/svc/x", "database"),
        (f"redis+sentinel://:{PASSWORD}@h1/svc/0/extra", "more than"),
        (f"redis+sentinel://:{PASSWORD}@h1/s%20vc%0A", "service name"),
        (f"redis+sentinel://:{PASSWORD}@h1/svc?db=1", "unknown option 'db'"),
        (f"redis+sentinel://:{PASSWORD}@h1/svc?ssl_ca_certs=/ca", "rediss+sentinel"),
        (f"rediss+sentinel://:{PASSWORD}@h1/svc?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        (f"rediss+sentinel://:{PASSWORD}@h1/svc?ssl_check_hostname=2", "ssl_check_hostname"),
        (f"redis+sentinel://h1/svc?sentinel_password={PASSWORD}&sentinel_password=x", "twice"),
        (f"redis+sentinel://h1/svc?sentinel_password={PASSWORD}&x", "query"),
        (f"redis+sentinel://:{PASSWORD}@h1/svc#frag", "fragment"),
        (f"redis+sentinel://:{PASSWORD}@h1\n/svc", "control character"),
    ],
)
def test_bad_sentinel_url_is_a_configuration_error_without_the_password(
    url: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        RedisTokenCache(url, secret=SECRET)
    assert problem in str(info.value)
    assert "Redis Sentinel URL" in str(info.value)
    assert PASSWORD not in _chain_text(info.value)


def test_cluster_true_is_refused_for_a_sentinel_url() -> None:
    with pytest.raises(ConfigurationError, match="Sentinel"):
        RedisTokenCache(f"redis+sentinel://:{PASSWORD}@h1/svc", cluster=True, secret=SECRET)


_chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
_piece = st.text(_chars, max_size=8)
_options = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "ssl_ca_certs",
                "ssl_cert_reqs",
                "ssl_check_hostname",
                "sentinel_username",
                "sentinel_password",
                "db",
                "",
            ]
        ),
        st.one_of(_piece, st.just(PASSWORD)),
    ),
    max_size=3,
)


@st.composite
def sentinel_urls(draw: st.DrawFn) -> str:
    """URLs near the Sentinel shape: odd host lists, ports, paths, options and separators."""
    scheme = draw(st.sampled_from(["redis+sentinel", "rediss+sentinel", "REDIS+SENTINEL"]))
    hosts = draw(
        st.lists(
            st.tuples(
                st.one_of(_piece, st.sampled_from(["127.0.0.1", "[::1]", "[::1", "h"])),
                st.one_of(st.none(), _piece, st.integers(-5, 70000).map(str)),
            ),
            max_size=3,
        )
    )
    netloc = ",".join(h + ("" if p is None else f":{p}") for h, p in hosts)
    user = draw(st.one_of(st.just(""), _piece))
    path = "/".join(draw(st.lists(_piece, max_size=3)))
    query = "&".join(f"{k}={v}" for k, v in draw(_options))
    tail = draw(st.sampled_from(["", "#", "?", "/"]))
    return f"{scheme}://{user}:{PASSWORD}@{netloc}/{path}" + (f"?{query}" if query else "") + tail


@given(url=sentinel_urls())
def test_any_sentinel_url_builds_a_cache_or_raises_configuration_error(url: str) -> None:
    """Garbage in: a cache or a ConfigurationError, never another exception or the password."""
    error: ConfigurationError | None = None
    try:
        cache = RedisTokenCache(url, secret=SECRET)
    except ConfigurationError as exc:
        error = exc
    if error is not None:
        assert PASSWORD not in _chain_text(error)
        return
    assert PASSWORD not in repr(cache)
    cache.close()
