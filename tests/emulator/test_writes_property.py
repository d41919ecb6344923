"""Property: whatever body, media type or method a client sends, the emulator answers with
PingOne's shapes (a success or a 4xx ``ApiErrorResponse``), never a 500, and stays usable."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from httpx_pingone_worker.emulator import PingOneEmulator

EMU = PingOneEmulator(users=3)
TOKEN = EMU.issue_token().get_secret_value()
ENV = f"{EMU.api_base_url}/environments/{EMU.environment_id}"
USER = EMU.add_user(username="prop.user")["id"]
BASELINE = EMU.snapshot()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
user_like = st.fixed_dictionaries(
    {},
    optional={
        "username": json_values | st.text(max_size=30),
        "email": json_values | st.emails(),
        "name": json_values
        | st.dictionaries(st.sampled_from(["given", "family", "x"]), json_values),
        "population": json_values | st.fixed_dictionaries({"id": json_values}),
        "enabled": json_values,
        "id": json_values,
        "password": json_values,
    },
)
bodies = (
    user_like.map(lambda d: json.dumps(d).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=60)
)
ctypes = st.sampled_from(
    [
        "application/json",
        "application/vnd.pingidentity.user.import+json",
        "application/vnd.pingidentity.password.set+json",
        "text/plain",
        "",
        "application/json; charset=utf-8",
    ]
)
targets = st.sampled_from(
    [
        ("POST", "/users"),
        ("PUT", f"/users/{USER}"),
        ("PATCH", f"/users/{USER}"),
        ("PUT", f"/users/{USER}/enabled"),
        ("PUT", f"/users/{USER}/population"),
        ("PUT", f"/users/{USER}/password"),
        ("POST", f"/users/{USER}/memberOfGroups"),
        ("POST", f"/users/{USER}/roleAssignments"),
        ("POST", "/groups"),
        ("POST", "/populations"),
        ("PUT", f"/applications/{EMU.client_id}"),
        ("POST", f"/applications/{EMU.client_id}/secret"),
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(target=targets, body=bodies, ctype=ctypes)
def test_any_write_gets_a_pingone_answer(target: tuple[str, str], body: bytes, ctype: str) -> None:
    """Status is 2xx or 4xx; every 4xx has PingOne's error body with the correlation id."""
    EMU.restore(BASELINE)
    method, path = target
    headers: dict[str, Any] = {"Authorization": f"Bearer {TOKEN}"}
    if ctype:
        headers["Content-Type"] = ctype
    resp = EMU.respond(method, ENV + path, headers, body)
    assert resp.status in (200, 201, 400, 404, 415), (resp.status, resp.body[:300])
    data = resp.json()
    if resp.status >= 400:
        assert data["id"] == resp.headers["Correlation-Id"]
        assert data["code"] in {"INVALID_DATA", "INVALID_REQUEST", "NOT_FOUND"}
        for detail in data.get("details", []):
            assert detail["code"]
            assert detail["message"]
    # The emulator is still consistent: the user list still reads.
    after = EMU.respond("GET", ENV + "/users", {"Authorization": f"Bearer {TOKEN}"})
    assert after.status == 200
