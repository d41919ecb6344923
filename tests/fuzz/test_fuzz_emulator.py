"""The emulator's clock, control endpoints and HTTP handlers against malformed requests.

Issue 16 part 2, problems 12-17: bad values give EmulatorError in process and a 400
PingOne-shaped error over HTTP; never a dropped connection, never a builtin exception.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import httpx
import pytest
from fuzz_support import CANARY, b64url, garbage_bodies, number_literals, raises_library_error
from hypothesis import example, given
from hypothesis import strategies as st

from httpx_pingone_worker import EmulatorError, ManagementApiError, PingOneClient
from httpx_pingone_worker.emulator import PingOneEmulator

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def emu() -> PingOneEmulator:
    """A small emulator shared by the module (reset where a test changes it)."""
    return PingOneEmulator(users=5)


@pytest.fixture(scope="module")
def http(emu: PingOneEmulator) -> Any:
    """An httpx client on the emulator's in-process transport."""
    with httpx.Client(transport=emu.transport(), base_url=emu.auth_base_url) as client:
        yield client


@pytest.fixture(scope="module")
def control(emu: PingOneEmulator) -> Any:
    """An httpx client on the emulator's real HTTPS server (where control endpoints live)."""
    with emu.serve() as server:
        origin = httpx.URL(server.auth_base_url).copy_with(path="/")
        with httpx.Client(verify=server.ssl_context, base_url=str(origin), timeout=30) as client:
            yield client


def _assert_pingone_400(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.text[:300])
    body = response.json()
    assert isinstance(body, dict)
    assert "code" in body or "error" in body, body
    assert CANARY not in response.text
    return body


def _assert_token_works(emu: PingOneEmulator, http: httpx.Client) -> None:
    creds = emu.credentials
    secret = creds.client_secret.get_secret_value() if creds.client_secret else ""
    response = http.post(
        emu.token_endpoint,
        data={"grant_type": "client_credentials"},
        auth=(creds.client_id, secret),
    )
    assert response.status_code == 200, response.text[:300]


# --- clock -------------------------------------------------------------------------------


@given(
    seconds=st.one_of(
        st.sampled_from([float("nan"), float("inf"), 1e400, 10**400, -1]),
        st.floats(),
        st.integers(),
    )
)
@example(seconds=float("nan"))
@example(seconds=float("inf"))
def test_clock_advance_rejects_non_finite_and_huge(emu: PingOneEmulator, seconds: float) -> None:
    """clock.advance(NaN/inf/huge/negative) raises EmulatorError; the clock keeps working."""
    before = emu.clock.offset
    try:
        emu.clock.advance(seconds)
    except EmulatorError:
        assert emu.clock.offset == before
    else:
        assert 0 <= seconds <= 10 * 365 * 86400, f"accepted advance({seconds!r})"
        emu.reset()
    assert math.isfinite(emu.clock.now())


# --- control endpoints -------------------------------------------------------------------


@given(
    action=st.sampled_from(["reset", "seed", "advance", "faults"]),
    field=st.sampled_from(["seed", "seconds", "status", "retry_after", "delay", "count", "users"]),
    literal=number_literals(),
)
@example(action="advance", field="seconds", literal="NaN")
@example(action="advance", field="seconds", literal="Infinity")
@example(action="reset", field="seed", literal="1e400")
@example(action="faults", field="status", literal="1e400")
@example(action="faults", field="retry_after", literal="NaN")
@example(action="faults", field="delay", literal="1e400")
@example(action="seed", field="users", literal="3000000")
def test_control_endpoints_answer_400_for_bad_numbers(
    emu: PingOneEmulator,
    control: httpx.Client,
    http: httpx.Client,
    *,
    action: str,
    field: str,
    literal: str,
) -> None:
    """POST /_emulator/<action> with any number: 200 or a 400 PingOne error, then it works."""
    extra = '"seed": 1, ' if action == "seed" and field != "seed" else ""
    body = f"{{{extra}{json.dumps(field)}: {literal}}}"
    response = control.post(f"/_emulator/{action}", content=body.encode())
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    if response.status_code == 400:
        _assert_pingone_400(response)
    emu.reset()
    _assert_token_works(emu, http)


@given(
    action=st.sampled_from(["reset", "seed", "advance", "faults", "expire"]), body=garbage_bodies()
)
@example(action="advance", body=b"[" * 100_000)
def test_control_endpoints_with_garbage_bodies(
    emu: PingOneEmulator, control: httpx.Client, action: str, body: bytes
) -> None:
    """Any control body: an answer (200/400), never a dropped connection."""
    response = control.post(f"/_emulator/{action}", content=body)
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    emu.reset()


@given(
    retry_after=st.one_of(
        st.none(), st.sampled_from([float("nan"), float("inf"), 1e300, -1.0]), st.floats()
    ),
    delay=st.one_of(st.sampled_from([float("nan"), float("inf"), 1e300, -1.0]), st.floats()),
)
@example(retry_after=float("nan"), delay=0.0)
@example(retry_after=None, delay=float("inf"))
def test_inject_fault_validates_retry_after_and_delay(
    emu: PingOneEmulator, retry_after: float | None, delay: float
) -> None:
    """inject_fault with a non-finite or huge retry_after/delay: EmulatorError at once."""

    def fine(v: float | None) -> bool:
        return v is None or (math.isfinite(v) and 0 <= v <= 3600)

    expected_ok = fine(retry_after) and fine(delay)
    try:
        emu.inject_fault("token", "status", retry_after=retry_after, delay=delay)
    except EmulatorError:
        accepted = False
    else:
        accepted = True
    emu.clear_faults()
    assert accepted == expected_ok, (retry_after, delay)


def test_seed_caps_the_number_of_users() -> None:
    """users=3,000,000 is refused at once with a message that says the cap."""
    err = raises_library_error(lambda: PingOneEmulator(users=3_000_000), EmulatorError)
    assert any(ch.isdigit() for ch in err.message)


def test_seed_control_caps_the_number_of_users(emu: PingOneEmulator, control: httpx.Client) -> None:
    """POST /_emulator/seed {"users": 10**8}: 400 saying the cap, quickly."""
    body = _assert_pingone_400(control.post("/_emulator/seed", json={"seed": 1, "users": 10**8}))
    assert "users" in json.dumps(body)
    emu.reset()


# --- Management API paging ---------------------------------------------------------------


@given(
    limit=st.one_of(
        st.sampled_from(["\u00b2", "9" * 5000, "-1", "0", "1e3", "", " ", "1001", "nan"]),
        st.text(max_size=10),
    ),
    cursor=st.one_of(
        st.none(),
        st.sampled_from(["9" * 5000, "!!", b64url(b"9" * 5000), b64url(b"-5"), b64url(b"nan")]),
        st.text(max_size=20),
    ),
)
@example(limit="\u00b2", cursor=None)
@example(limit="0\x1f", cursor=None)  # str.strip() drops \x1f, int() does not: was a 500
@example(limit=" 7\x1c", cursor=None)
@example(limit="9" * 5000, cursor=None)
@example(limit="10", cursor=b64url(b"9" * 5000))
def test_paging_garbage_is_a_400(emu: PingOneEmulator, limit: str, cursor: str | None) -> None:
    """GET users?limit=<garbage>&cursor=<garbage>: 200 or a 400 PingOne error."""
    params = {"limit": limit} if cursor is None else {"limit": limit, "cursor": cursor}
    with httpx.Client(transport=emu.transport()) as client:
        token = emu.issue_token().get_secret_value()
        response = client.get(
            f"{emu.api_base_url}/environments/{emu.environment_id}/users",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    if response.status_code == 400:
        _assert_pingone_400(response)


def test_paging_garbage_through_the_client_is_a_management_error(emu: PingOneEmulator) -> None:
    """Via PingOneClient, a bad limit is ManagementApiError (the console exits 4, not 70)."""
    with PingOneClient(
        token=emu.issue_token(),
        environment_id=emu.environment_id,
        api_base_url=emu.api_base_url,
        transport=emu.transport(),
        retry=False,
    ) as client:
        raises_library_error(
            lambda: list(client.paginate("/environments/{env}/users", params={"limit": "\u00b2"})),
            ManagementApiError,
        )


# --- token endpoint ----------------------------------------------------------------------


@given(header=garbage_bodies(), payload=garbage_bodies())
@example(header=b"[" * 50_000, payload=b"{}")
@example(header=b'{"alg":"HS256"}', payload=b"[" * 50_000)
def test_client_assertion_garbage_is_invalid_client(
    emu: PingOneEmulator, http: httpx.Client, header: bytes, payload: bytes
) -> None:
    """A client_assertion whose parts are garbage: 400/401 invalid_client, never a crash."""
    assertion = f"{b64url(header)}.{b64url(payload)}.{b64url(b'sig')}"
    response = http.post(
        emu.token_endpoint,
        data={
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion,
        },
    )
    assert response.status_code in (400, 401), (response.status_code, response.text[:300])
    assert response.json().get("error") in ("invalid_client", "invalid_request")


@given(body=garbage_bodies())
def test_token_endpoint_with_garbage_form(
    emu: PingOneEmulator, http: httpx.Client, body: bytes
) -> None:
    """Any bytes posted to the token endpoint: an OAuth error answer, never a dropped connection."""
    response = http.post(
        emu.token_endpoint,
        content=body,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "authorization": "Basic " + base64.b64encode(b"x:" + CANARY.encode()).decode(),
        },
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert CANARY not in response.text
