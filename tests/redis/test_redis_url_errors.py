"""A Redis URL redis-py cannot parse is a ConfigurationError that never shows the password.

No server is needed: the URL is checked when the cache is built, before any connection.
"""

from __future__ import annotations

import traceback

import pytest
from hypothesis import given
from hypothesis import strategies as st

from httpx_pingone_worker import ConfigurationError, RedisTokenCache

PASSWORD = "redis-PASSWORD-4Kq9Zt"


def _chain_text(exc: BaseException) -> str:
    """Everything a traceback of ``exc`` shows, its __cause__/__context__ chain included."""
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{PASSWORD}@127.0.0.1:abc/0",  # port is not a number
        f"redis://:{PASSWORD}@127.0.0.1:99999/0",  # port out of range
        f"redis://:{PASSWORD}@[::1/0",  # unclosed IPv6 bracket
        f"redis://:{PASSWORD}@127.0.0.1/0?db=x",  # bad query value
        f"redis://:{PASSWORD}@127.0.0.1/0?socket_timeout=abc",
        f"unix:///tmp/redis.sock?db=abc&password={PASSWORD}",
        f"redis://:{PASSWORD}@ex\uff0fample/0",  # NFKC turns it into a "/" in the host
        f"redis://:{PASSWORD}@127.0.0.1\n/0",
    ],
)
@pytest.mark.parametrize("cluster", [False, True])
def test_bad_url_is_a_configuration_error_without_the_password(url: str, cluster: bool) -> None:
    if cluster and url.startswith("unix:"):
        pytest.skip("a cluster takes no unix socket (refused for that reason)")
    with pytest.raises(ConfigurationError) as info:
        RedisTokenCache(url, cluster=cluster)
    text = _chain_text(info.value)
    assert PASSWORD not in text
    assert "Redis URL" in str(info.value)


_url_chars = st.characters(codec="utf-8", exclude_categories=("Cs",))
_query = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "db",
                "socket_timeout",
                "socket_connect_timeout",
                "health_check_interval",
                "max_connections",
                "retry_on_timeout",
                "protocol",
                "x",
            ]
        ),
        st.text(_url_chars, max_size=6),
    ),
    max_size=3,
)


@st.composite
def redis_urls(draw: st.DrawFn) -> str:
    """URLs near the Redis shape: odd hosts, ports, paths and query options."""
    scheme = draw(st.sampled_from(["redis", "rediss", "unix"]))
    host = draw(st.one_of(st.text(_url_chars, max_size=12), st.sampled_from(["[::1", "[::1]"])))
    port = draw(
        st.one_of(st.none(), st.text(_url_chars, max_size=6), st.integers(-5, 70000).map(str))
    )
    path = draw(st.text(_url_chars, max_size=6))
    qs = "&".join(f"{k}={v}" for k, v in draw(_query))
    netloc = f":{PASSWORD}@{host}" + ("" if port is None else f":{port}")
    return f"{scheme}://{netloc}/{path}" + (f"?{qs}" if qs else "")


@given(url=redis_urls(), cluster=st.booleans())
def test_any_url_builds_a_cache_or_raises_configuration_error(url: str, cluster: bool) -> None:
    error: ConfigurationError | None = None
    try:
        cache = RedisTokenCache(url, cluster=cluster)
    except ConfigurationError as exc:
        error = exc
    if error is not None:
        assert PASSWORD not in _chain_text(error)
        return
    assert PASSWORD not in repr(cache)
    cache.close()
