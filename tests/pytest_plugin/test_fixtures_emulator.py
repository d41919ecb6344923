"""The pingone_* fixtures in emulator mode, driven through pytester in one inner run."""

from __future__ import annotations

import pytest

CONFTEST = """
import pytest

SEEDED = []
EMULATORS = []

def pytest_pingone_seed(emulator):
    SEEDED.append(emulator)
    emulator.add_group(name="Seeded by hook")
"""

TESTS = r"""
import os

import httpx
import pytest

import conftest
from httpx_pingone_worker import (
    ClientCredentials, PingOneClient, PingOneWorkerAuth, Region, Secret, Token,
)
from httpx_pingone_worker.emulator import PingOneEmulator


def test_emulator_is_fresh_seeded_and_env_is_fake(pingone_emulator):
    assert isinstance(pingone_emulator, PingOneEmulator)
    assert conftest.SEEDED[-1] is pingone_emulator
    creds = pingone_emulator.credentials
    assert os.environ["PINGONE_CLIENT_ID"] == creds.client_id
    assert os.environ["PINGONE_ENVIRONMENT_ID"] == creds.environment_id
    assert os.environ["PINGONE_CLIENT_SECRET"] == creds.client_secret.get_secret_value()
    assert os.environ["PINGONE_REGION"] == "NA"
    assert "PINGONE_AUTH_BASE_URL" not in os.environ
    conftest.EMULATORS.append(pingone_emulator)
    pingone_emulator.clock.advance(100)
    pingone_emulator.add_user(username="left.behind")


def test_previous_emulator_was_reset(pingone_emulator, pingone_token):
    # The previous test's emulator (pooled per configuration) starts this test seeded again:
    # only this test's token request is in its log, and its clock is fresh.
    previous = conftest.EMULATORS[-1]
    assert previous is pingone_emulator
    assert previous.token_requests == 1
    assert [r.endpoint for r in previous.requests] == ["token"]
    assert previous.clock.offset == 0
    env = pingone_emulator.environment_id
    users = f"https://api.pingone.com/v1/environments/{env}/users"
    bearer = {"Authorization": f"Bearer {pingone_token.access_token.get_secret_value()}"}
    found = httpx.get(users, params={"filter": 'username eq "left.behind"'}, headers=bearer)
    assert found.json()["count"] == 0


def test_token_credentials_and_auth(pingone_emulator, pingone_credentials, pingone_auth,
                                    pingone_token, pingone_events):
    # The token was fetched while fixtures were set up, before pingone_events was asked for.
    assert "TOKEN" in pingone_events.tags
    assert pingone_token.access_token.get_secret_value() not in pingone_events.text
    assert isinstance(pingone_credentials, ClientCredentials)
    assert pingone_credentials.client_id == pingone_emulator.credentials.client_id
    assert isinstance(pingone_auth, PingOneWorkerAuth)
    assert isinstance(pingone_token, Token) and isinstance(pingone_token.access_token, Secret)
    assert pingone_token.expires_in == 3600
    assert pingone_emulator.token_requests == 1
    assert pingone_auth.get_token() == pingone_token  # cached: no second request
    assert pingone_emulator.token_requests == 1


@pytest.mark.pingone(region="EU", token_lifetime=300)
def test_marker_configures_emulator(pingone_emulator, pingone_token, pingone_credentials):
    assert pingone_credentials.region is Region.EU
    assert pingone_emulator.auth_base_url == "https://auth.pingone.eu"
    assert pingone_token.expires_in == 300
    assert os.environ["PINGONE_REGION"] == "EU"


def test_code_with_its_own_client_is_served(pingone_emulator):
    auth = PingOneWorkerAuth.from_env()
    env = pingone_emulator.environment_id
    with httpx.Client(auth=auth) as client:
        response = client.get(f"https://api.pingone.com/v1/environments/{env}")
    assert response.status_code == 200
    assert response.json()["id"] == env
    assert pingone_emulator.token_requests == 1


def test_other_pingone_hosts_are_refused(pingone_emulator):
    with pytest.raises(pytest.fail.Exception, match="refused GET https://auth.pingone.eu/x"):
        httpx.get("https://auth.pingone.eu/x")
    assert pingone_emulator.requests == []


def test_introspection(pingone_introspection, pingone_credentials):
    assert pingone_introspection.active is True
    assert pingone_introspection.client_id == pingone_credentials.client_id


def test_client_environment_and_app(pingone_client, pingone_environment, pingone_worker_app,
                                    pingone_credentials):
    assert isinstance(pingone_client, PingOneClient)
    assert pingone_environment.id == pingone_credentials.environment_id
    assert pingone_worker_app.enabled is True
    assert "Environment Admin" in [grant.name for grant in pingone_worker_app.roles]


@pytest.mark.pingone(roles=["Client Application Developer"])
def test_roles_marker(pingone_worker_app):
    assert [grant.name for grant in pingone_worker_app.roles] == ["Client Application Developer"]


@pytest.mark.pingone(roles=["Identity Data Read Only"])
def test_roles_enforced(pingone_client, pingone_credentials):
    from httpx_pingone_worker import ManagementApiError

    with pytest.raises(ManagementApiError) as info:
        pingone_client.get_application(pingone_credentials.client_id)
    assert info.value.status_code == 403


@pytest.mark.pingone(faults=[{"endpoint": "api", "kind": "status", "status": 404, "count": 1}])
def test_faults_marker(pingone_emulator, pingone_client):
    from httpx_pingone_worker import ManagementApiError

    with pytest.raises(ManagementApiError) as info:
        pingone_client.get_environment()
    assert info.value.status_code == 404
    assert pingone_client.get_environment().id == pingone_emulator.environment_id


@pytest.mark.pingone(faults={"endpoint": "api", "kind": "rate_limit", "retry_after": 7})
def test_client_waits_on_the_emulator_clock(pingone_emulator, pingone_client):
    before = pingone_emulator.clock.now()
    assert pingone_client.get_environment().id == pingone_emulator.environment_id
    assert pingone_emulator.clock.now() - before >= 7  # and no real 7 s sleep


@pytest.mark.pingone(auth_method="private_key_jwt")
def test_private_key_jwt(pingone_token, pingone_credentials):
    assert pingone_credentials.auth_method == "private_key_jwt"
    assert pingone_token.expires_in > 0


@pytest.mark.pingone(roles=["Superuser"])
def test_unknown_role_errors(pingone_emulator):
    pass


def test_server_over_https(pingone_emulator_server):
    server = pingone_emulator_server
    assert server.auth_base_url.startswith("https://127.0.0.1:")
    auth = server.auth()
    try:
        token = auth.get_token()
    finally:
        auth.close()
    assert token.expires_in == 3600
    assert server.emulator.token_requests == 1
    conftest.EMULATORS.append(server.emulator)


def test_server_was_reset(pingone_emulator_server):
    assert pingone_emulator_server.emulator is conftest.EMULATORS[-1]
    assert pingone_emulator_server.emulator.token_requests == 0
    # Seeded once per session; each test ends with a restore of that seeded snapshot, so the
    # hook's data is still there and nothing else is.
    assert conftest.SEEDED.count(pingone_emulator_server.emulator) == 1
    client = pingone_emulator_server.http_client(auth=pingone_emulator_server.auth())
    env = pingone_emulator_server.credentials.environment_id
    groups = client.get(f"{pingone_emulator_server.api_base_url}/environments/{env}/groups")
    assert "Seeded by hook" in [g["name"] for g in groups.json()["_embedded"]["groups"]]


def test_reprs_mask_secrets(request, pingone_emulator, pingone_credentials, pingone_auth,
                            pingone_token, pingone_introspection, pingone_client,
                            pingone_worker_app, pingone_environment, pingone_events,
                            pingone_async_client):
    secret = pingone_credentials.client_secret.get_secret_value()
    raw = pingone_token.access_token.get_secret_value()
    for name in request.fixturenames:
        if name.startswith("pingone_"):
            text = repr(request.getfixturevalue(name)) + str(request.getfixturevalue(name))
            assert secret not in text, name
            assert raw not in text and raw[:24] not in text, name
"""


def test_fixtures_in_emulator_mode(ptr: pytest.Pytester) -> None:
    """Every fixture works against the emulator, markers shape it, other hosts are refused."""
    ptr.makeconftest(CONFTEST)
    ptr.makepyfile(test_emu=TESTS)
    result = ptr.runpytest()
    result.assert_outcomes(passed=16, errors=1)
    result.stdout.fnmatch_lines(
        ["*pingone marker or pytest_pingone_seed: unknown role 'Superuser'*Environment Admin*"]
    )
    assert "During handling of the above exception" not in result.stdout.str()


PASSTHROUGH = """
import httpx
import pytest
from pytest_pingone._fixtures import ROUTER_KEY

def test_routes(request, pingone_emulator):
    gate = request.node.stash[ROUTER_KEY].gate
    eu = httpx.Request("GET", "https://auth.pingone.eu/x")
    if PASS:
        assert gate(eu) is eu  # a returned request passes through to the network
    else:
        with pytest.raises(pytest.fail.Exception, match="--pingone-allow-passthrough"):
            gate(eu)
    env = pingone_emulator.environment_id
    served = gate(httpx.Request("GET", f"https://auth.pingone.com/{env}/as/jwks"))
    assert served.status_code == 200 and "keys" in served.json()
"""


@pytest.mark.parametrize("allow", [True, False])
def test_passthrough_option_routes_unserved_pingone_hosts(
    ptr: pytest.Pytester, allow: bool
) -> None:
    """--pingone-allow-passthrough (ini too) sends unserved PingOne hosts to the network."""
    ptr.makepyfile(PASSTHROUGH.replace("PASS", str(allow)))
    if allow:
        ptr.makeini("[pytest]\npingone_allow_passthrough = true\n")
    ptr.runpytest().assert_outcomes(passed=1)
