"""PingOneClient (sync) against respx routes shaped like PingOne's API."""

from __future__ import annotations

import logging
import random

import httpx
import pytest
import respx
from mgmt_support import API, APP_ID, ENV, STATIC_TOKEN, FakeSleep, collection, error_body

from canary import CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ConfigurationError,
    ManagementApiError,
    PingOneClient,
    __version__,
    create_pingone_client,
)
from httpx_pingone_worker._core._retry import RetryPolicy
from httpx_pingone_worker.management._models import Environment


def test_requires_auth_or_token() -> None:
    """Without credentials the constructor says what to pass."""
    with pytest.raises(ConfigurationError, match="auth= or token="):
        PingOneClient(environment_id=ENV)


def test_rejects_auth_and_token_together() -> None:
    """auth= and token= are mutually exclusive."""
    with pytest.raises(ConfigurationError, match="not both"):
        PingOneClient(auth=httpx.BasicAuth("a", "b"), token="t" * 10)


def test_region_selects_api_host(api: respx.MockRouter) -> None:
    """region="EU" points the client at api.pingone.eu."""
    with PingOneClient(token=STATIC_TOKEN, region="eu", environment_id=ENV) as c:
        assert c.api_base_url == "https://api.pingone.eu/v1"


def test_insecure_api_base_rejected() -> None:
    """A plain-http API base for a public host is refused."""
    with pytest.raises(ConfigurationError, match="plain http"):
        PingOneClient(token=STATIC_TOKEN, api_base_url="http://api.example.com/v1")


def test_headers_user_agent_and_bearer(client: PingOneClient, api: respx.MockRouter) -> None:
    """Every call carries the package User-Agent and the bearer token; {env} is templated."""
    route = api.get(f"/environments/{ENV}/users/u1").respond(200, json={"id": "u1"})
    assert client.get("/environments/{env}/users/u1") == {"id": "u1"}
    sent = route.calls.last.request
    assert sent.headers["User-Agent"] == f"httpx-pingone-worker/{__version__}"
    assert sent.headers["Authorization"] == f"Bearer {STATIC_TOKEN}"
    assert sent.headers["Accept"] == "application/json"


def test_v1_prefix_in_path_not_doubled(client: PingOneClient, api: respx.MockRouter) -> None:
    """A path that already starts with /v1 is not sent to /v1/v1."""
    route = api.get(f"/environments/{ENV}").respond(200, json={"id": ENV})
    client.get(f"/v1/environments/{ENV}")
    assert route.called


def test_env_placeholder_without_environment(api: respx.MockRouter) -> None:
    """{env} without an environment id is a configuration error."""
    with (
        PingOneClient(token=STATIC_TOKEN, rate_limiter=False) as c,
        pytest.raises(ConfigurationError, match="no environment_id"),
    ):
        c.get("/environments/{env}/users")


def test_foreign_host_refused(client: PingOneClient, api: respx.MockRouter) -> None:
    """An absolute URL to another host is refused: the bearer token never leaves the API host."""
    with pytest.raises(ManagementApiError, match="not the API host"):
        client.get("https://evil.example.com/v1/environments")


def test_transaction_id_header(client: PingOneClient, api: respx.MockRouter) -> None:
    """transaction_id= and session_id= become PingOne's audit headers."""
    route = api.get("/environments/x").respond(200, json={})
    client.get("/environments/x", transaction_id="tx-123", session_id="s-9")
    sent = route.calls.last.request
    assert sent.headers["X-Ping-External-Transaction-Id"] == "tx-123"
    assert sent.headers["X-Ping-External-Session-Id"] == "s-9"


@pytest.mark.parametrize("bad", ["x" * 101, "", "tab\there", "ünïcode"])
def test_transaction_id_validated(client: PingOneClient, api: respx.MockRouter, bad: str) -> None:
    """Transaction ids over 100 chars, empty or non-printable are rejected before sending."""
    route = api.get("/environments/x").respond(200, json={})
    with pytest.raises(ConfigurationError, match="transaction_id"):
        client.get("/environments/x", transaction_id=bad)
    assert not route.called


def test_paginate_follows_next_links_lazily(client: PingOneClient, api: respx.MockRouter) -> None:
    """Three pages are fetched one by one as items are consumed; page size is trusted."""
    base = f"{API}/environments/{ENV}/users"
    pages = {
        None: collection("users", [{"id": "1"}, {"id": "2"}], f"{base}?limit=2&cursor=c2"),
        # The server returns 3 items although 2 were asked: trust the server.
        "c2": collection(
            "users", [{"id": "3"}, {"id": "4"}, {"id": "5"}], f"{base}?limit=2&cursor=c3"
        ),
        "c3": collection("users", [{"id": "6"}]),
    }
    route = api.get(f"/environments/{ENV}/users").mock(
        side_effect=lambda req: httpx.Response(200, json=pages[req.url.params.get("cursor")])
    )
    it = client.paginate("/environments/{env}/users", params={"limit": 2})
    assert next(it) == {"id": "1"}
    assert route.call_count == 1
    rest = [u["id"] for u in it]
    assert rest == ["2", "3", "4", "5", "6"]
    assert route.call_count == 3
    # Follow-up pages use the next link as-is (params not sent twice).
    assert route.calls[1].request.url.params.get_list("limit") == ["2"]


def test_paginate_stops_on_repeated_cursor(
    client: PingOneClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """A next link whose cursor was seen before stops paging with a warning."""
    base = f"{API}/environments/{ENV}/groups"
    first = api.get(f"/environments/{ENV}/groups").mock(
        side_effect=lambda req: (
            httpx.Response(200, json=collection("groups", [{"id": "g1"}], f"{base}?cursor=A"))
            if "cursor" not in str(req.url)
            else httpx.Response(
                200, json=collection("groups", [{"id": "g2"}], f"{base}?cursor=A&x=1")
            )
        )
    )
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        ids = [g["id"] for g in client.paginate("/environments/{env}/groups")]
    assert ids == ["g1", "g2"]
    assert first.call_count == 2
    assert any("seen before" in r.getMessage() for r in caplog.records)


def test_paginate_stops_on_repeated_url(client: PingOneClient, api: respx.MockRouter) -> None:
    """A server that always returns the same next link is followed once, not forever."""
    same = f"{API}/environments/{ENV}/populations?page=2"
    route = api.get(f"/environments/{ENV}/populations").respond(
        200, json=collection("populations", [{"id": "p"}], same)
    )
    items = list(client.paginate("/environments/{env}/populations"))
    assert len(items) == 2
    assert route.call_count == 2


def test_paginate_refuses_next_link_to_other_host(
    client: PingOneClient, api: respx.MockRouter
) -> None:
    """A next link pointing at another host is refused instead of leaking the token."""
    api.get(f"/environments/{ENV}/users").respond(
        200, json=collection("users", [{"id": "1"}], "https://evil.example.com/v1/users?cursor=x")
    )
    it = client.paginate("/environments/{env}/users")
    assert next(it) == {"id": "1"}
    with pytest.raises(ManagementApiError, match="not the API host"):
        next(it)


def test_pages_expose_counts(client: PingOneClient, api: respx.MockRouter) -> None:
    """pages() yields Page objects with count, size and raw JSON."""
    api.get(f"/environments/{ENV}/users").respond(200, json=collection("users", [{"id": "1"}]))
    (page,) = list(client.pages("/environments/{env}/users"))
    assert page.count == 999
    assert page.size == 1
    assert page.key == "users"
    assert page.raw["_embedded"]["users"] == [{"id": "1"}]


@pytest.mark.parametrize(
    ("status", "body", "code", "in_message", "in_hint"),
    [
        (
            400,
            error_body(
                "INVALID_DATA",
                "bad filter",
                [{"code": "INVALID_FILTER", "target": "filter", "message": "x"}],
            ),
            "INVALID_DATA",
            "INVALID_FILTER on filter",
            "details",
        ),
        (
            401,
            error_body("ACCESS_FAILED", "nope", [{"code": "INVALID_TOKEN"}]),
            "ACCESS_FAILED",
            "401",
            "rejected",
        ),
        (
            403,
            error_body("ACCESS_FAILED", "denied", [{"code": "INSUFFICIENT_PERMISSIONS"}]),
            "ACCESS_FAILED",
            "INSUFFICIENT_PERMISSIONS",
            '"Identity Data Read Only" or "Identity Data Admin"',
        ),
        (
            403,
            error_body("ACCESS_FAILED", "license", [{"code": "LICENSE_EXCEEDED"}]),
            "ACCESS_FAILED",
            "LICENSE_EXCEEDED",
            "license",
        ),
        (404, error_body("NOT_FOUND", "missing"), "NOT_FOUND", "404", "region"),
        (500, error_body("UNEXPECTED_ERROR", "boom"), "UNEXPECTED_ERROR", "500", "correlation id"),
    ],
)
def test_error_shapes(  # noqa: PLR0917 - one argument per parametrize column
    client: PingOneClient,
    api: respx.MockRouter,
    status: int,
    body: dict[str, object],
    code: str,
    in_message: str,
    in_hint: str,
) -> None:
    """Each PingOne error shape maps to ManagementApiError with code, details and correlation id."""
    api.get(f"/environments/{ENV}/users").respond(
        status, json=body, headers={"Correlation-Id": "corr-1"}
    )
    with pytest.raises(ManagementApiError) as info:
        client.get("/environments/{env}/users", params={"limit": 1})
    err = info.value
    assert err.status_code == status
    assert err.code == code
    assert err.correlation_id == "corr-1"
    assert in_message in str(err)
    assert err.hint is not None
    assert in_hint in err.hint
    assert "corr-1" in str(err)
    assert len(err.details) == len(body.get("details", []))  # type: ignore[arg-type]


def test_403_on_applications_names_app_roles(client: PingOneClient, api: respx.MockRouter) -> None:
    """A 403 on applications names the Client Application Developer role."""
    api.get(f"/environments/{ENV}/applications").respond(
        403, json=error_body("ACCESS_FAILED", "x", [{"code": "INSUFFICIENT_PERMISSIONS"}])
    )
    with pytest.raises(ManagementApiError) as info:
        client.get("/environments/{env}/applications")
    assert "Client Application Developer" in (info.value.hint or "")


def test_403_on_user_write_names_admin_role(client: PingOneClient, api: respx.MockRouter) -> None:
    """A 403 on creating a user names Identity Data Admin, not the read-only role."""
    api.post(f"/environments/{ENV}/users").respond(403, json=error_body("ACCESS_FAILED", "x"))
    with pytest.raises(ManagementApiError) as info:
        client.post("/environments/{env}/users", json={"username": "a"})
    assert info.value.hint is not None
    assert "Identity Data Admin" in info.value.hint
    assert "Read Only" not in info.value.hint


def test_non_json_error_body_not_quoted(client: PingOneClient, api: respx.MockRouter) -> None:
    """An HTML error page is reported without quoting the body."""
    api.get("/environments/x").respond(502, text="<html>secret-ish proxy page</html>")
    with (
        PingOneClient(token=STATIC_TOKEN, rate_limiter=False, retry=False) as c,
        pytest.raises(ManagementApiError) as info,
    ):
        c.get("/environments/x")
    assert "proxy page" not in str(info.value)
    assert "not JSON" in str(info.value)


def test_429_retry_after_then_success(
    client: PingOneClient, api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """429 with Retry-After: 7 waits 7 seconds (fake) and retries once."""
    route = api.get("/environments/x").mock(
        side_effect=[
            httpx.Response(
                429, json=error_body("REQUEST_LIMITED", "slow down"), headers={"Retry-After": "7"}
            ),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    assert client.get("/environments/x") == {"ok": True}
    assert route.call_count == 2
    assert fake_sleep.calls == [7.0]


def test_retry_after_is_capped(
    client: PingOneClient, api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """A huge Retry-After is capped at 60 s (PingOne's limits are per minute)."""
    api.get("/environments/x").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": "3600"}),
            httpx.Response(200, json={}),
        ]
    )
    client.get("/environments/x")
    assert fake_sleep.calls == [60.0]


def test_a_full_minute_retry_after_is_waited_out_by_default(
    client: PingOneClient, api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """A 429 asking for 60 s (a per-minute limit just used up) is waited out, then retried."""
    api.get("/environments/x").mock(
        side_effect=[
            httpx.Response(
                429, json=error_body("REQUEST_LIMITED", "x"), headers={"Retry-After": "60"}
            ),
            httpx.Response(
                429, json=error_body("REQUEST_LIMITED", "x"), headers={"Retry-After": "45"}
            ),
            httpx.Response(200, json={}),
        ]
    )
    assert client.get("/environments/x") == {}
    assert fake_sleep.calls == [60.0, 45.0]


def test_retries_exhausted_raise_last_error(
    client: PingOneClient, api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """After max_attempts the last 429 is raised with PingOne's code."""
    route = api.get("/environments/x").respond(
        429,
        json=error_body("REQUEST_LIMITED", "x", [{"code": "LIMIT_EXCEEDED"}]),
        headers={"Retry-After": "1"},
    )
    with pytest.raises(ManagementApiError) as info:
        client.get("/environments/x")
    assert info.value.status_code == 429
    assert info.value.code == "REQUEST_LIMITED"
    assert route.call_count == 4
    assert fake_sleep.calls == [1.0, 1.0, 1.0]


def test_backoff_without_retry_after_is_jittered_and_bounded(
    api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """502 without Retry-After backs off exponentially with jitter, within the ceiling."""
    api.get("/environments/x").respond(502)
    policy = RetryPolicy(max_attempts=5, backoff_base=1.0, backoff_max=3.0, total_budget=60)
    with (
        PingOneClient(
            token=STATIC_TOKEN,
            rate_limiter=False,
            retry=policy,
            sleep=fake_sleep,
            rng=random.Random(1),
        ) as c,
        pytest.raises(ManagementApiError),
    ):
        c.get("/environments/x")
    assert len(fake_sleep.calls) == 4
    for retry, waited in enumerate(fake_sleep.calls):
        ceiling = min(3.0, 2.0**retry)
        assert ceiling / 2 <= waited <= ceiling
    assert len(set(fake_sleep.calls)) > 1


def test_total_budget_stops_retries(api: respx.MockRouter, fake_sleep: FakeSleep) -> None:
    """A retry that would exceed the total budget is not made."""
    route = api.get("/environments/x").respond(503, headers={"Retry-After": "20"})
    policy = RetryPolicy(max_attempts=10, total_budget=45)
    with (
        PingOneClient(
            token=STATIC_TOKEN,
            rate_limiter=False,
            retry=policy,
            sleep=fake_sleep,
            clock=fake_sleep.clock,
        ) as c,
        pytest.raises(ManagementApiError),
    ):
        c.get("/environments/x")
    assert fake_sleep.calls == [20.0, 20.0]
    assert route.call_count == 3


def test_post_not_retried_unless_marked_safe(
    client: PingOneClient, api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """POST on 503 is not retried by default, and is retried with safe_to_retry=True."""
    route = api.post("/environments/x/users").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(503),
            httpx.Response(201, json={"id": "n"}),
        ]
    )
    with pytest.raises(ManagementApiError):
        client.post("/environments/x/users", json={"a": 1})
    assert route.call_count == 1
    assert client.post("/environments/x/users", json={"a": 1}, safe_to_retry=True) == {"id": "n"}
    assert route.call_count == 3


def test_404_not_retried(client: PingOneClient, api: respx.MockRouter) -> None:
    """Only 429/502/503/504 are retried."""
    route = api.get("/environments/x").respond(404, json=error_body("NOT_FOUND", "x"))
    with pytest.raises(ManagementApiError):
        client.get("/environments/x")
    assert route.call_count == 1


def test_network_error_retried_for_get(
    client: PingOneClient, api: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    """A connect error on GET is retried; the final error names the failure type only."""
    route = api.get("/environments/x").mock(side_effect=httpx.ConnectError("boom"))
    with pytest.raises(ManagementApiError, match="ConnectError"):
        client.get("/environments/x")
    assert route.call_count == 4


def test_delete_returns_none_on_204(client: PingOneClient, api: respx.MockRouter) -> None:
    """DELETE with 204 returns None."""
    api.delete("/environments/x/users/1").respond(204)
    assert client.delete("/environments/x/users/1") is None


def test_get_environment_typed(client: PingOneClient, api: respx.MockRouter) -> None:
    """get_environment parses PingOne's environment shape and keeps the raw JSON."""
    body = {
        "id": ENV,
        "name": "Prod",
        "description": "d",
        "type": "PRODUCTION",
        "region": "NA",
        "license": {"id": "lic"},
        "organization": {"id": "org"},
        "status": "ACTIVE",
        "billOfMaterials": {
            "products": [
                {"id": "p1", "type": "PING_ONE_BASE"},
                {"id": "p2", "type": "PING_ONE_MFA"},
            ]
        },
        "createdAt": "2024-01-01T00:00:00Z",
        "updatedAt": "2024-01-02T00:00:00Z",
    }
    api.get(f"/environments/{ENV}").respond(200, json=body)
    env = client.get_environment()
    assert isinstance(env, Environment)
    assert (env.name, env.type, env.region, env.license_id, env.organization_id) == (
        "Prod",
        "PRODUCTION",
        "NA",
        "lic",
        "org",
    )
    assert env.products == ("PING_ONE_BASE", "PING_ONE_MFA")
    assert env.raw["status"] == "ACTIVE"
    with pytest.raises(AttributeError):
        env.name = "x"  # type: ignore[misc]


def test_application_roles_and_role(client: PingOneClient, api: respx.MockRouter) -> None:
    """get_application, list_role_assignments and get_role parse their shapes."""
    api.get(f"/environments/{ENV}/applications/{APP_ID}").respond(
        200,
        json={
            "id": APP_ID,
            "name": "worker",
            "enabled": True,
            "type": "WORKER",
            "protocol": "OPENID_CONNECT",
            "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
            "grantTypes": ["CLIENT_CREDENTIALS"],
            "environment": {"id": ENV},
        },
    )
    api.get(f"/environments/{ENV}/applications/{APP_ID}/roleAssignments").respond(
        200,
        json=collection(
            "roleAssignments",
            [
                {
                    "id": "ra1",
                    "role": {"id": "r1"},
                    "scope": {"id": ENV, "type": "ENVIRONMENT"},
                    "environment": {"id": ENV},
                    "readOnly": False,
                }
            ],
        ),
    )
    api.get("/roles/r1").respond(200, json={"id": "r1", "name": "Identity Data Admin"})
    app = client.get_application(APP_ID)
    assert app.enabled is True
    assert app.grant_types == ("CLIENT_CREDENTIALS",)
    assert app.token_endpoint_auth_method == "CLIENT_SECRET_BASIC"
    (ra,) = client.list_role_assignments(APP_ID)
    assert (ra.role_id, ra.scope_type, ra.scope_id, ra.read_only) == (
        "r1",
        "ENVIRONMENT",
        ENV,
        False,
    )
    assert client.get_role("r1").name == "Identity Data Admin"


def test_create_pingone_client_with_token(api: respx.MockRouter) -> None:
    """create_pingone_client(token, env) mirrors the seed's helper."""
    route = api.get(f"/environments/{ENV}").respond(200, json={"id": ENV})
    with create_pingone_client(STATIC_TOKEN, ENV, rate_limiter=False) as c:
        assert c.get_environment().id == ENV
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {STATIC_TOKEN}"


def test_canary_token_never_leaks(
    api: respx.MockRouter, debug_logs: pytest.LogCaptureFixture
) -> None:
    """The static token appears in no DEBUG log, exception message, repr or hint."""
    api.get(f"/environments/{ENV}/users").respond(
        403,
        json=error_body("ACCESS_FAILED", f"token {CANARY_TOKEN} denied"),
        headers={"Correlation-Id": "c"},
    )
    with PingOneClient(token=CANARY_TOKEN, environment_id=ENV, rate_limiter=False) as c:
        with pytest.raises(ManagementApiError) as info:
            c.get("/environments/{env}/users", params={"filter": 'email eq "a"'})
        texts = [
            str(info.value),
            repr(info.value),
            repr(c),
            repr(c.auth),
            info.value.error_description or "",
        ]
    texts += [r.getMessage() for r in debug_logs.records]
    assert any("GET" in r.getMessage() for r in debug_logs.records)
    for text in texts:
        assert_no_canary(text)
