"""The httpx2 adapter: one implementation shared with httpx, emulator and Management API on httpx2.

The behaviour suite (caching, single-flight, refresh-ahead, 401, retries, redaction) runs for
httpx2 in ``tests/auth`` through its ``lib`` fixture; these tests cover what is httpx2-only.
"""

from __future__ import annotations

import types
from typing import Any

import httpx
import pytest

httpx2 = pytest.importorskip(
    "httpx2", reason='httpx2 is not installed (pip install "httpx-pingone-worker[httpx2]")'
)

from httpx_pingone_worker import (  # noqa: E402 - after the skip
    ConfigurationError,
    ManagementApiError,
    MemoryTokenCache,
    PingOneClient,
    create_pingone_client,
)
from httpx_pingone_worker import PingOneWorkerAuth as HttpxAuth  # noqa: E402
from httpx_pingone_worker._auth import _AuthBase  # noqa: E402
from httpx_pingone_worker._core._httplib import HTTPX, HttpLib  # noqa: E402
from httpx_pingone_worker.emulator import PingOneEmulator  # noqa: E402
from httpx_pingone_worker.httpx2 import HTTPX2  # noqa: E402
from httpx_pingone_worker.httpx2 import PingOneWorkerAuth as Httpx2Auth  # noqa: E402

ENV_ID = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
SECRET = "test-secret-value-123456"
API_URL = f"https://api.pingone.com/v1/environments/{ENV_ID}"


@pytest.fixture
def emu() -> PingOneEmulator:
    """A small seeded emulator."""
    return PingOneEmulator(users=3)


def _auth_for(emu: PingOneEmulator, cls: type[Any] = Httpx2Auth, **kw: Any) -> Any:
    c = emu.credentials
    return cls(c.client_id, c.client_secret, c.environment_id, region=c.region, **kw)


def test_both_auth_classes_are_the_one_core_with_a_different_library() -> None:
    """The httpx and httpx2 classes add nothing but their library to the shared core."""
    assert issubclass(Httpx2Auth, httpx2.Auth)
    assert not issubclass(Httpx2Auth, httpx.Auth)
    assert issubclass(HttpxAuth, httpx.Auth)
    assert not issubclass(HttpxAuth, httpx2.Auth)
    for cls, lib in ((HttpxAuth, HTTPX), (Httpx2Auth, HTTPX2)):
        assert issubclass(cls, _AuthBase)
        # Dunders are Python's bookkeeping (__module__, __doc__, 3.13's __firstlineno__ …).
        own = {name for name in vars(cls) if not (name.startswith("__") and name.endswith("__"))}
        assert own == {"_lib"}
        assert cls._lib is lib


def test_httplib_describes_modules_and_objects() -> None:
    """from_module is cached per module; of() finds the library; bad input is a TypeError."""
    assert HttpLib.from_module(httpx2) is HTTPX2
    assert HttpLib.from_module(httpx) is HTTPX
    assert HttpLib.of(httpx2.Request("GET", "https://x")) is HTTPX2
    assert HttpLib.of(Httpx2Auth(CLIENT_ID, SECRET, ENV_ID)) is HTTPX2
    assert HttpLib.of(httpx.Client()) is HTTPX
    with pytest.raises(TypeError, match="not an object of httpx or httpx2"):
        HttpLib.of(object())
    with pytest.raises(TypeError, match="lacks"):
        HttpLib.from_module(types.ModuleType("fake_httpx"))
    with pytest.raises(TypeError, match="needs a module"):
        HttpLib.from_module("httpx2")  # type: ignore[arg-type]


def test_httpx_and_httpx2_auths_share_a_cache(emu: PingOneEmulator) -> None:
    """An httpx auth and an httpx2 auth on one cache make one token request between them."""
    cache = MemoryTokenCache()
    one = _auth_for(emu, HttpxAuth, cache=cache)
    two = _auth_for(emu, Httpx2Auth, cache=cache)
    assert one.cache_key == two.cache_key
    with httpx.Client(auth=one, transport=emu.transport()) as c1:
        assert c1.get(API_URL.replace(ENV_ID, emu.environment_id)).status_code == 200
    with httpx2.Client(auth=two, transport=emu.transport(lib=httpx2)) as c2:
        assert c2.get(f"{emu.api_base_url}/environments/{emu.environment_id}").status_code == 200
    assert emu.token_requests == 1
    assert two.current_token is not None
    assert one.current_token is not None
    assert two.current_token.access_token == one.current_token.access_token


def test_emulator_transport_for_httpx2(emu: PingOneEmulator) -> None:
    """emu.transport(lib=httpx2) is an httpx2 transport serving tokens and the API."""
    transport = emu.transport(lib=httpx2)
    assert isinstance(transport, httpx2.BaseTransport)
    assert isinstance(transport, httpx2.AsyncBaseTransport)
    assert type(transport) is type(emu.transport(lib=httpx2))
    auth = _auth_for(emu)
    with httpx2.Client(auth=auth, transport=transport) as client:
        response = client.get(f"{emu.api_base_url}/environments/{emu.environment_id}")
        assert response.status_code == 200
        assert response.json()["id"] == emu.environment_id
        with pytest.raises(httpx2.ConnectError, match="does not serve host"):
            client.get("https://example.com/")
    assert emu.token_requests == 1


def test_injected_connect_failure_is_an_httpx2_error_and_get_token_retries(
    emu: PingOneEmulator,
) -> None:
    """A connect fault surfaces as httpx2.ConnectError, which get_token() retries."""
    sleeps: list[float] = []
    emu.inject_fault("token", "connect", count=1)
    auth = _auth_for(
        emu, http_client=httpx2.Client(transport=emu.transport(lib=httpx2)), sleep=sleeps.append
    )
    token = auth.get_token()
    assert token.access_token
    assert len(sleeps) == 1
    assert emu.token_requests >= 1


def test_management_client_runs_on_httpx2(emu: PingOneEmulator) -> None:
    """PingOneClient with the httpx2 auth and transport uses an httpx2.Client end to end."""
    auth = _auth_for(emu)
    with PingOneClient(auth=auth, transport=emu.transport(lib=httpx2)) as client:
        assert isinstance(client.http, httpx2.Client)
        assert client.get_environment().id == emu.environment_id
        users = list(client.paginate("/environments/{env}/users", params={"limit": 2}))
    assert len(users) == 3


def test_management_client_static_token_on_httpx2_transport(emu: PingOneEmulator) -> None:
    """token= with an httpx2 transport gets an httpx2 bearer auth; errors stay ours."""
    token = _auth_for(emu, http_client=httpx2.Client(transport=emu.transport(lib=httpx2)))
    access = token.get_token()
    client = create_pingone_client(access, emu.environment_id, transport=emu.transport(lib=httpx2))
    with client:
        assert isinstance(client.auth, httpx2.Auth)
        assert client.get_environment().id == emu.environment_id
        with pytest.raises(ManagementApiError):
            client.get("/environments/{env}/users/00000000-0000-0000-0000-000000000000")


def test_management_client_rejects_mixed_libraries(emu: PingOneEmulator) -> None:
    """An httpx2 auth with an httpx transport (or the reverse) is a clear ConfigurationError."""
    with pytest.raises(ConfigurationError, match="httpx2 but transport= is from httpx"):
        PingOneClient(auth=_auth_for(emu), transport=emu.transport())
    with pytest.raises(ConfigurationError, match="httpx but transport= is from httpx2"):
        PingOneClient(auth=_auth_for(emu, HttpxAuth), transport=emu.transport(lib=httpx2))


def test_management_unreachable_uses_httpx2_transport_errors(emu: PingOneEmulator) -> None:
    """httpx2 transport failures become ManagementApiError after the client's retries."""
    emu.inject_fault("api", "connect", count=None)
    with (
        PingOneClient(
            auth=_auth_for(emu),
            transport=emu.transport(lib=httpx2),
            retry=False,
        ) as client,
        pytest.raises(ManagementApiError, match="ConnectError"),
    ):
        client.get_environment()


def test_introspection_with_an_httpx2_client(emu: PingOneEmulator) -> None:
    """introspect_token(client=httpx2.Client) works; an httpx2 network error is ours."""
    from httpx_pingone_worker import IntrospectionError, introspect_token

    http = httpx2.Client(transport=emu.transport(lib=httpx2))
    token = _auth_for(emu, http_client=http).get_token()
    result = introspect_token(None, token, emu.credentials, client=http)
    assert result.active
    emu.inject_fault("introspect", "connect", count=1)
    with pytest.raises(IntrospectionError, match="ConnectError"):
        introspect_token(None, token, emu.credentials, client=http)
