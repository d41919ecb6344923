"""Every test starts from the seeded state: one test's writes are invisible to the next,
with the per-test emulator, with the session HTTPS server, and under xdist."""

from __future__ import annotations

import pytest

TESTS = """
import httpx
import pytest

USER = {"username": "leaky.user", "email": "leaky@example.com"}
FLT = {"filter": 'username eq "leaky.user"'}


def _bearer(token):
    return {"Authorization": f"Bearer {token.access_token.get_secret_value()}"}


def _server_client(srv):
    return srv.http_client(auth=srv.auth())


@pytest.mark.parametrize("round", range(3))
def test_writes_then_next_test_sees_seeded_state(
    round, pingone_emulator, pingone_token, pingone_emulator_server
):
    env = pingone_emulator.environment_id
    users = f"https://api.pingone.com/v1/environments/{env}/users"
    # The state this test starts from: no user of the previous round is left.
    assert httpx.get(users, params=FLT, headers=_bearer(pingone_token)).json()["count"] == 0
    srv = pingone_emulator_server
    client = _server_client(srv)
    srv_users = f"{srv.api_base_url}/environments/{srv.credentials.environment_id}/users"
    assert client.get(srv_users, params=FLT).json()["count"] == 0
    seeded = client.get(srv_users).json()["count"]
    # Writes through the in-process emulator (plain httpx, routed by the plugin) ...
    r = httpx.post(users, json=USER, headers=_bearer(pingone_token))
    assert r.status_code == 201, r.text
    # ... and through the session HTTPS server.
    assert client.post(srv_users, json=USER).status_code == 201
    grp = f"{srv.api_base_url}/environments/{srv.credentials.environment_id}/groups"
    assert client.post(grp, json={"name": f"round {round}"}).status_code == 201
    assert client.get(srv_users).json()["count"] == seeded + 1
    sent = [(r.method, r.resource) for r in pingone_emulator.requests if r.endpoint == "api"]
    assert sent == [("GET", "users"), ("POST", "users")]
    assert pingone_emulator.requests[-1].params == {}
    gets = [r for r in pingone_emulator.requests if r.method == "GET"]
    (listed,) = [r for r in gets if r.resource == "users"]
    assert listed.params == {"filter": 'username eq "leaky.user"'}
"""


@pytest.mark.parametrize("xdist", [(), ("-n", "2", "--dist=loadfile")])
def test_writes_are_invisible_to_the_next_test(
    ptr: pytest.Pytester, xdist: tuple[str, ...]
) -> None:
    """Three rounds each write a user (both adapters) and each starts with none."""
    ptr.makepyfile(TESTS)
    result = ptr.runpytest(*xdist)
    result.assert_outcomes(passed=3)


def test_marker_seeds_users_and_seed_file(ptr: pytest.Pytester) -> None:
    """``users=`` and ``seed_file=`` (relative to the test file) seed the test's emulator."""
    ptr.path.joinpath("team.json").write_text(
        '{"groups": [{"name": "Ops"}], "users": [{"username": "olga", '
        '"email": "olga@example.com", "groups": ["Ops"]}]}'
    )
    ptr.makepyfile(
        """
        import pytest

        @pytest.mark.pingone(users=2, seed_file="team.json")
        def test_seeded(pingone_client):
            env = pingone_client.environment_id
            names = [u["username"] for u in pingone_client.paginate(f"/environments/{env}/users")]
            assert len(names) == 3
            assert "olga" in names

        def test_default(pingone_client):
            env = pingone_client.environment_id
            assert sum(1 for _ in pingone_client.paginate(f"/environments/{env}/users")) == 300
        """
    )
    ptr.runpytest().assert_outcomes(passed=2)
