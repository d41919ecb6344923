"""URL checks, config sources and paths against hostile values.

Every entry point that takes a URL, a region, an auth method or a path ends in a
ConfigurationError that names the setting, never the value.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from fuzz_support import CANARY, KNOWN_BAD_URLS, hostile_urls, library_error, raises_library_error
from hypothesis import example, given
from hypothesis import strategies as st

from httpx_pingone_worker import (
    ConfigurationError,
    EncryptedFileTokenCache,
    JWKSCache,
    JWTError,
    ManagementApiError,
    PingOneClient,
    PingOneError,
    PingOneWorkerAuth,
    Region,
    StorageError,
    resolve_settings,
    secure_retrieve,
    secure_store,
)

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
ISSUER = f"https://auth.pingone.com/{ENV}/as"


# --- URLs --------------------------------------------------------------------------------


@given(url=hostile_urls())
@example(url="https://[x")
@example(url=f"https://{CANARY}\uff03x/as")
def test_auth_base_url_argument(url: str) -> None:
    """auth_base_url of any string: accepted, or a ConfigurationError that does not echo it."""
    library_error(
        lambda: PingOneWorkerAuth(CLIENT_ID, CANARY, ENV, auth_base_url=url), ConfigurationError
    )


@given(url=hostile_urls(), var=st.sampled_from(["PINGONE_AUTH_BASE_URL", "PINGONE_API_BASE_URL"]))
@example(url="https://[x", var="PINGONE_AUTH_BASE_URL")
@example(url=f"https://{CANARY}\uff03x", var="PINGONE_API_BASE_URL")
def test_base_url_environment_variables(url: str, var: str) -> None:
    """PINGONE_*_BASE_URL of any string: resolved, or a ConfigurationError without the value."""
    env = {"PINGONE_CLIENT_ID": CLIENT_ID, "PINGONE_ENVIRONMENT_ID": ENV, var: url}
    library_error(lambda: resolve_settings(env=env, require=False), ConfigurationError)


@given(host=hostile_urls())
@example(host="[x")
def test_go_sdk_hostname_variables(host: str) -> None:
    """The Go SDK's service hostname pair with any value: never a builtin exception."""
    env = {"PINGONE_AUTH_SERVICE_HOSTNAME": host, "PINGONE_API_SERVICE_HOSTNAME": host}
    library_error(lambda: resolve_settings(env=env, require=False), ConfigurationError)


@given(url=hostile_urls())
@example(url="https://[x")
def test_api_base_url_of_the_management_client(url: str) -> None:
    """PingOneClient(api_base_url=<anything>): a client, or ConfigurationError."""
    outcome = library_error(
        lambda: PingOneClient(token="t", environment_id=ENV, api_base_url=url), ConfigurationError
    )
    if isinstance(outcome, PingOneClient):
        outcome.close()


@given(url=hostile_urls())
@example(url="https://[x")
def test_jwks_url(url: str) -> None:
    """JWKSCache(jwks_url=<anything>): a cache, or a library error naming jwks_url."""
    library_error(lambda: JWKSCache(url), (ConfigurationError, JWTError))


def _discovery_client(doc: dict[str, object]) -> httpx.Client:
    body = json.dumps(doc).encode()
    return httpx.Client(transport=httpx.MockTransport(lambda _r: httpx.Response(200, content=body)))


@given(url=hostile_urls(), field=st.sampled_from(["jwks_uri", "issuer"]))
@example(url="https://[x", field="jwks_uri")
@example(url=f"https://{CANARY}\uff03x", field="jwks_uri")
def test_discovery_document_urls(url: str, field: str) -> None:
    """A discovery document whose issuer/jwks_uri is any string: a library error, no leak."""
    doc: dict[str, object] = {"issuer": ISSUER, "jwks_uri": f"{ISSUER}/jwks", field: url}
    with _discovery_client(doc) as http:
        cache = JWKSCache(issuer=ISSUER, client=http)
        library_error(cache.keys, (ConfigurationError, JWTError))


@given(url=hostile_urls())
@example(url="https://[x")
@example(url=f"https://{CANARY}\uff03x/v1/environments")
def test_paging_next_link(url: str) -> None:
    """A next link that is any string: paging stops with a library error, or follows it."""
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        assert calls <= 3, "paging did not stop"
        doc = {"_embedded": {"users": [{"id": "u"}]}, "_links": {"next": {"href": url}}}
        return httpx.Response(200, json=doc)

    with PingOneClient(
        token="t",
        environment_id=ENV,
        transport=httpx.MockTransport(handler),
        retry=False,
        rate_limiter=False,
    ) as client:
        library_error(
            lambda: list(client.paginate("/environments/{env}/users")),
            (ConfigurationError, ManagementApiError),
        )


def test_known_bad_urls_each_give_a_configuration_error() -> None:
    """Every URL the issue lists is refused with ConfigurationError (not just 'no crash')."""
    for url in KNOWN_BAD_URLS:
        if not url.strip():
            continue  # an empty variable counts as unset (docker-compose writes those)
        raises_library_error(
            lambda url=url: resolve_settings(env={"PINGONE_AUTH_BASE_URL": url}, require=False),
            ConfigurationError,
        )


# --- region / auth method ----------------------------------------------------------------


@given(value=st.one_of(st.just(CANARY), st.text(max_size=60)))
@example(value=CANARY)
def test_region_never_echoes_a_secret_looking_value(value: str) -> None:
    """PINGONE_REGION of any string: a region, or an error without the value."""
    library_error(
        lambda: resolve_settings(env={"PINGONE_REGION": value}, require=False), ConfigurationError
    )
    library_error(lambda: Region.parse(value), ConfigurationError)


@given(value=st.one_of(st.just(CANARY), st.text(max_size=60)))
@example(value=CANARY)
def test_auth_method_never_echoes_a_secret_looking_value(value: str) -> None:
    """auth_method of any string: accepted, or an error without the value."""
    library_error(
        lambda: PingOneWorkerAuth(CLIENT_ID, "s", ENV, auth_method=value), ConfigurationError
    )


def test_region_still_names_a_plain_typo() -> None:
    """A short, plainly mistyped region code is still quoted back (it helps, it is no secret)."""
    err = raises_library_error(lambda: Region.parse("EUR"), ConfigurationError)
    assert "'EUR'" in err.message


# --- paths -------------------------------------------------------------------------------

_NUL_PATHS = st.builds(
    lambda a, b: f"{a}\x00{b}",
    st.text(max_size=10),
    st.one_of(st.just(CANARY), st.text(max_size=10)),
)


@given(name=_NUL_PATHS, which=st.sampled_from(["env_file", "settings_file"]))
@example(name="settings\x00.json", which="settings_file")
def test_settings_and_env_file_paths_with_nul(tmp_path: Path, name: str, which: str) -> None:
    """A settings/.env path with a NUL byte: ConfigurationError, not ValueError."""
    path = str(tmp_path / name)
    raises_library_error(
        lambda: resolve_settings(env={}, require=False, **{which: path}),  # type: ignore[arg-type]
        ConfigurationError,
    )


@given(name=_NUL_PATHS)
@example(name="cache\x00dir")
def test_file_cache_path_with_nul(tmp_path: Path, name: str) -> None:
    """EncryptedFileTokenCache(path with NUL): a library error."""
    raises_library_error(
        lambda: EncryptedFileTokenCache(tmp_path / name), (ConfigurationError, StorageError)
    )


@given(name=_NUL_PATHS)
@example(name="store\x00dir")
def test_store_directory_with_nul(tmp_path: Path, name: str) -> None:
    """secure_store/secure_retrieve into a directory with NUL: a library error."""
    raises_library_error(
        lambda: secure_retrieve(CLIENT_ID, directory=tmp_path / name),
        (ConfigurationError, StorageError),
    )
    from httpx_pingone_worker import ClientCredentials

    raises_library_error(
        lambda: secure_store(ClientCredentials(CLIENT_ID, CANARY, ENV), directory=tmp_path / name),
        (ConfigurationError, StorageError),
    )


def test_library_error_helper_rejects_builtin_exceptions() -> None:
    """The helper itself lets a builtin exception through (so the properties above can fail)."""
    import pytest

    with pytest.raises(ValueError, match="boom"):
        library_error(lambda: (_ for _ in ()).throw(ValueError("boom")), PingOneError)
