"""Injected faults, the emulator clock and the redacted request log, over both adapters."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from canary import CANARY_SECRET, assert_no_canary
from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker.emulator import EmulatorClock, PingOneEmulator

from .conftest import Harness


@pytest.mark.parametrize("status", [500, 502, 503])
def test_status_fault_then_success(harness: Harness, status: int) -> None:
    """count=2 fails exactly two token requests with the status, then succeeds."""
    harness.emu.inject_fault("token", "status", count=2, status=status, retry_after=3)
    for _ in range(2):
        r = harness.token_response()
        assert r.status_code == status
        assert r.headers["Retry-After"] == "3"
        assert r.json()["code"] == "UNEXPECTED_ERROR"
    assert harness.token_response().status_code == 200
    faults = [rec.fault for rec in harness.emu.requests if rec.endpoint == "token"]
    assert faults == ["status", "status", None]
    assert harness.emu.token_requests == 3


def test_rate_limit_fault_on_api(harness: Harness) -> None:
    """A rate_limit fault on users answers 429 REQUEST_LIMITED with Retry-After, once."""
    token = harness.token()
    harness.emu.inject_fault("users", "rate_limit", retry_after=7)
    assert harness.api(harness.env_path, token).status_code == 200  # not users
    r = harness.api(f"{harness.env_path}/users", token)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "7"
    assert r.json()["code"] == "REQUEST_LIMITED"
    assert harness.api(f"{harness.env_path}/users", token).status_code == 200


def test_malformed_body(harness: Harness) -> None:
    """A malformed fault answers 200 with a body that is not valid JSON."""
    harness.emu.inject_fault("token", "malformed")
    r = harness.token_response()
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()


def test_latency_fault(harness: Harness) -> None:
    """A latency fault delays the answer but still answers normally."""
    import time

    harness.emu.inject_fault("jwks", "latency", delay=0.05)
    started = time.monotonic()
    r = harness.client.get(f"{harness.issuer()}/jwks")
    assert r.status_code == 200
    assert time.monotonic() - started >= 0.05
    assert harness.emu.requests[-1].fault == "latency"


def test_latency_fault_delays_error_answers_too() -> None:
    """A latency fault adds its delay to whatever the request is answered, an error
    included: an unknown user, a body that is not JSON, a wrong client secret. The answer
    is the one the request gets without the fault, byte for byte except the correlation id."""
    emu = PingOneEmulator(users=1)
    auth = {"authorization": f"Bearer {emu.issue_token().get_secret_value()}"}
    users = f"{emu.api_base_url}/environments/{emu.environment_id}/users"
    bad_secret = "Basic " + base64.b64encode(f"{emu.client_id}:wrong".encode()).decode()
    form = {"content-type": "application/x-www-form-urlencoded", "authorization": bad_secret}
    requests = [
        ("users", "GET", f"{users}/no-such-user", auth, b""),
        ("users", "POST", users, {**auth, "content-type": "application/json"}, b"{not json"),
        ("token", "POST", emu.token_endpoint, form, b"grant_type=client_credentials"),
    ]
    for endpoint, method, url, headers, body in requests:
        plain = emu.respond(method, url, headers, body)
        emu.inject_fault(endpoint, "latency", delay=0.25)
        slow = emu.respond(method, url, headers, body)
        assert plain.status in (401, 400, 404)
        assert (slow.status, slow.delay, slow.action) == (plain.status, 0.25, None)
        assert slow.body.replace(
            slow.headers["Correlation-Id"].encode(), b""
        ) == plain.body.replace(plain.headers["Correlation-Id"].encode(), b"")
        assert {k: v for k, v in slow.headers.items() if k != "Correlation-Id"} == {
            k: v for k, v in plain.headers.items() if k != "Correlation-Id"
        }
        assert emu.requests[-1].fault == "latency"


def test_connect_fault(harness: Harness) -> None:
    """A connect fault is httpx.ConnectError in-process and a dropped connection over TLS."""
    harness.emu.inject_fault("token", "connect")
    expected = httpx.ConnectError if harness.mode == "transport" else httpx.TransportError
    with pytest.raises(expected):
        harness.token_response()
    assert harness.token_response().status_code == 200


def test_timeout_fault(harness: Harness) -> None:
    """A timeout fault makes the client time out (ReadTimeout), then requests succeed."""
    harness.emu.inject_fault("token", "timeout")
    client = harness.client
    client.timeout = httpx.Timeout(0.3)
    with pytest.raises(httpx.ReadTimeout):
        harness.token_response()
    client.timeout = httpx.Timeout(5)
    assert harness.token_response().status_code == 200


def test_global_fault_and_clear(harness: Harness) -> None:
    """endpoint='*' with count=None fails everything until clear_faults()."""
    harness.emu.inject_fault("*", "status", count=None, status=500)
    assert harness.client.get(f"{harness.issuer()}/jwks").status_code == 500
    assert harness.token_response().status_code == 500
    harness.emu.clear_faults()
    assert harness.token_response().status_code == 200


def test_fault_arguments_validated() -> None:
    """Unknown endpoints/kinds and bad counts are EmulatorError naming the valid values."""
    emu = PingOneEmulator(users=0)
    with pytest.raises(EmulatorError, match="unknown fault endpoint"):
        emu.inject_fault("nope")
    with pytest.raises(EmulatorError, match="unknown fault kind"):
        emu.inject_fault("token", "explode")
    with pytest.raises(EmulatorError, match="count"):
        emu.inject_fault("token", count=0)
    with pytest.raises(EmulatorError, match="error status") as info:
        emu.inject_fault("token", "status", status=200)
    assert info.value.hint is not None
    assert "latency" in info.value.hint


def test_clock_expiry_without_sleeping(harness: Harness) -> None:
    """Advancing the clock past expires_in makes the token 401; a new one works."""
    from jose import jwt as jose_jwt

    token = harness.token()
    exp = jose_jwt.get_unverified_claims(token)["exp"]
    harness.emu.clock.advance(max(0.0, exp - harness.emu.clock.now() - 1))
    assert harness.api(harness.env_path, token).status_code == 200
    harness.emu.clock.advance(1)
    assert harness.api(harness.env_path, token).status_code == 401


def test_frozen_and_followed_clocks() -> None:
    """A frozen clock stamps iat from start=; a callable clock is followed plus advance()."""
    emu = PingOneEmulator(users=0, clock=EmulatorClock(start=1_000_000))
    from jose import jwt as jose_jwt

    claims = jose_jwt.get_unverified_claims(emu.issue_token().get_secret_value())
    assert claims["iat"] == 1_000_000
    ticks = [500.0]
    emu2 = PingOneEmulator(users=0, clock=lambda: ticks[0])
    emu2.clock.advance(10)
    ticks[0] = 600.0
    assert emu2.clock.now() == 610.0
    with pytest.raises(EmulatorError, match="backwards"):
        emu2.clock.advance(-1)


def test_request_log_is_redacted(debug_logs: pytest.LogCaptureFixture) -> None:
    """The request log and its repr carry ids and methods, never secrets or tokens."""
    emu = PingOneEmulator(users=0)
    creds = emu.add_worker_app(auth_method="client_secret_post")
    with httpx.Client(transport=emu.transport()) as client:
        r = client.post(
            emu.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": CANARY_SECRET,
            },
        )
        assert r.status_code == 401
        ok = client.post(
            emu.token_endpoint,
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret.get_secret_value(),  # type: ignore[union-attr]
            },
        )
        token = ok.json()["access_token"]
        client.get(
            f"{emu.api_base_url}/environments/{emu.environment_id}",
            headers={"Authorization": f"Bearer {token}"},
        )
    text = repr(emu.requests) + debug_logs.text + repr(emu)
    assert_no_canary(text, extra=[token, creds.client_secret.get_secret_value()])  # type: ignore[union-attr]
    assert [r.auth_method for r in emu.requests[:2]] == ["client_secret_post"] * 2
    assert emu.requests[0].status == 401
    assert emu.requests[2].client_id == creds.client_id
    assert emu.token_requests == 2
