"""discover_worker_app, test_api_access and validate_worker_credentials over respx."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx
from mgmt_support import APP_ID, ENV, collection, error_body

from canary import CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import (
    ConfigurationError,
    ManagementApiError,
    PingOneClient,
    discover_worker_app,
    test_api_access,
    validate_worker_credentials,
)

ROLE_IDS = {
    "r-admin": "Identity Data Admin",
    "r-dev": "Client Application Developer",
    "r-ro": "Identity Data Read Only",
}
APP = {
    "id": APP_ID,
    "name": "billing-worker",
    "description": "nightly sync",
    "enabled": True,
    "type": "WORKER",
    "protocol": "OPENID_CONNECT",
    "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC",
    "grantTypes": ["CLIENT_CREDENTIALS"],
    "environment": {"id": ENV},
}


def assignment(rid: str, scope_type: str = "ENVIRONMENT", scope_id: str = ENV) -> dict[str, object]:
    """A role assignment as PingOne returns it."""
    return {
        "id": f"ra-{rid}",
        "role": {"id": rid},
        "scope": {"id": scope_id, "type": scope_type},
        "environment": {"id": ENV},
        "readOnly": False,
    }


def route_app(api: respx.MockRouter, *, enabled: bool = True) -> dict[str, respx.Route]:
    """Routes for the app, three role assignments and role names (one role unreadable)."""
    routes = {
        "app": api.get(f"/environments/{ENV}/applications/{APP_ID}").respond(
            200, json={**APP, "enabled": enabled}
        ),
        "ra": api.get(f"/environments/{ENV}/applications/{APP_ID}/roleAssignments").respond(
            200,
            json=collection(
                "roleAssignments",
                [
                    assignment("r-admin"),
                    assignment("r-dev"),
                    assignment("r-ro", "POPULATION", "pop-1"),
                    assignment("r-admin", "ORGANIZATION", "org-1"),
                ],
            ),
        ),
    }
    for rid, name in ROLE_IDS.items():
        if rid == "r-ro":
            routes[rid] = api.get(f"/roles/{rid}").respond(404, json=error_body("NOT_FOUND", "x"))
        else:
            routes[rid] = api.get(f"/roles/{rid}").respond(200, json={"id": rid, "name": name})
    return routes


def test_discover_app_with_several_roles(
    client: PingOneClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """The app's fields, four role grants with names, and the DISCOVERY log line."""
    routes = route_app(api)
    with caplog.at_level(logging.INFO, logger="httpx_pingone_worker"):
        app = discover_worker_app(client, APP_ID)
    assert app.name == "billing-worker"
    assert app.status == "enabled"
    assert app.is_worker
    assert app.grant_types == ("CLIENT_CREDENTIALS",)
    assert app.token_endpoint_auth_method == "CLIENT_SECRET_BASIC"
    assert [(r.name, r.scope_type, r.scope_id) for r in app.roles] == [
        ("Identity Data Admin", "ENVIRONMENT", ENV),
        ("Client Application Developer", "ENVIRONMENT", ENV),
        (None, "POPULATION", "pop-1"),
        ("Identity Data Admin", "ORGANIZATION", "org-1"),
    ]
    assert app.role_names[2] == "r-ro"
    assert routes["r-admin"].call_count == 1  # role names are fetched once per role id
    lines = [r.getMessage() for r in caplog.records]
    assert any(
        "[🔍 DISCOVERY] found worker app" in m
        and "name=billing-worker" in m
        and "status=enabled" in m
        for m in lines
    )


def test_discover_disabled_app(
    client: PingOneClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """A disabled app is reported (and logged) as disabled."""
    route_app(api, enabled=False)
    with caplog.at_level(logging.INFO, logger="httpx_pingone_worker"):
        app = discover_worker_app(client, APP_ID)
    assert app.status == "disabled"
    assert any("status=disabled" in r.getMessage() for r in caplog.records)


def test_discover_falls_back_to_custom_client_id(
    client: PingOneClient, api: respx.MockRouter
) -> None:
    """An imported app whose clientId differs from its id is found by listing applications."""
    api.get(f"/environments/{ENV}/applications/custom-client").respond(
        404, json=error_body("NOT_FOUND", "x")
    )
    api.get(f"/environments/{ENV}/applications").respond(
        200, json=collection("applications", [{**APP, "clientId": "custom-client"}])
    )
    api.get(f"/environments/{ENV}/applications/{APP_ID}/roleAssignments").respond(
        200, json=collection("roleAssignments", [])
    )
    app = discover_worker_app(client, "custom-client")
    assert app.id == APP_ID
    assert app.client_id == "custom-client"
    assert app.roles == ()


def test_discover_forbidden_raises_with_hint(client: PingOneClient, api: respx.MockRouter) -> None:
    """A worker that may not read applications gets a 403 naming the needed role."""
    api.get(f"/environments/{ENV}/applications/{APP_ID}").respond(
        403, json=error_body("ACCESS_FAILED", "x", [{"code": "INSUFFICIENT_PERMISSIONS"}])
    )
    with pytest.raises(ManagementApiError) as info:
        discover_worker_app(client, APP_ID)
    assert "Client Application Developer" in (info.value.hint or "")


def test_discover_needs_client_id(client: PingOneClient) -> None:
    """A static-token client without client_id= is a configuration error."""
    with pytest.raises(ConfigurationError, match="client id"):
        discover_worker_app(client)


def test_probes_mixed_outcomes(
    client: PingOneClient, api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    """allowed, forbidden and error outcomes, with limit=1 only where the endpoint pages."""
    users = api.get(f"/environments/{ENV}/users").respond(
        200, json=collection("users", [{"id": "u"}])
    )
    groups = api.get(f"/environments/{ENV}/groups").respond(
        403, json=error_body("ACCESS_FAILED", "x", [{"code": "INSUFFICIENT_PERMISSIONS"}])
    )
    apps = api.get(f"/environments/{ENV}/applications").respond(
        200, json=collection("applications", [])
    )
    pops = api.get(f"/environments/{ENV}/populations").respond(
        500, json=error_body("UNEXPECTED_ERROR", "x"), headers={"Correlation-Id": "c-5"}
    )
    roles = api.get("/roles").respond(200, json=collection("roles", []))
    custom = api.get(f"/environments/{ENV}/gateways").respond(
        404, json=error_body("NOT_FOUND", "x")
    )
    with caplog.at_level(logging.INFO, logger="httpx_pingone_worker"):
        report = test_api_access(
            client,
            [
                "users",
                "groups",
                "applications",
                "populations",
                "roles",
                "/environments/{env}/gateways",
            ],
        )
    assert [(r.endpoint, r.outcome, r.status_code, r.code) for r in report.results] == [
        ("users", "allowed", 200, None),
        ("groups", "forbidden", 403, "ACCESS_FAILED"),
        ("applications", "allowed", 200, None),
        ("populations", "error", 500, "UNEXPECTED_ERROR"),
        ("roles", "allowed", 200, None),
        ("/environments/{env}/gateways", "error", 404, "NOT_FOUND"),
    ]
    assert report.allowed == ("users", "applications", "roles")
    assert report.forbidden == ("groups",)
    assert not report.all_allowed
    assert report["populations"].correlation_id == "c-5"
    assert "Identity Data" in (report["groups"].hint or "")
    assert users.calls.last.request.url.params["limit"] == "1"
    assert groups.calls.last.request.url.params["limit"] == "1"
    assert "limit" not in apps.calls.last.request.url.params
    assert "limit" not in roles.calls.last.request.url.params
    assert custom.calls.last.request.url.params["limit"] == "1"
    assert pops.called
    lines = [r.getMessage() for r in caplog.records]
    assert any("[🧪 API-TEST]" in m and "endpoint=groups" in m and "status=403" in m for m in lines)
    assert any("[🧪 API-TEST]" in m and "endpoint=users" in m and "status=200" in m for m in lines)


def test_probe_unknown_name(client: PingOneClient) -> None:
    """An unknown probe name is rejected with the list of known ones."""
    with pytest.raises(ConfigurationError, match="unknown probe"):
        test_api_access(client, ["userz"])


TOKEN_URL = f"https://auth.pingone.com/{ENV}/as/token"


def test_validate_all_steps_ok(api: respx.MockRouter) -> None:
    """Format, token and discovery all pass; the report carries the app and fingerprint."""
    api.route(url=TOKEN_URL, method="POST").respond(
        200,
        json={"access_token": "tok-abcdefghijklmnop", "token_type": "Bearer", "expires_in": 3600},
    )
    route_app(api)
    report = validate_worker_credentials(APP_ID, CANARY_SECRET, ENV)
    assert report.ok, report.summary()
    assert [s.name for s in report.steps] == ["format", "token", "discovery"]
    assert report.worker_app is not None
    assert report.worker_app.name == "billing-worker"
    assert report.token_fingerprint
    assert_no_canary(report.summary() + repr(report))


def test_validate_token_step_fails(api: respx.MockRouter) -> None:
    """invalid_client makes the token step fail with the OAuth error named."""
    api.route(url=TOKEN_URL, method="POST").respond(
        401, json={"error": "invalid_client", "error_description": "Invalid client credentials"}
    )
    report = validate_worker_credentials(APP_ID, CANARY_SECRET, ENV)
    assert not report.ok
    assert report.failed_step is not None
    assert report.failed_step.name == "token"
    assert report.failed_step.error == "invalid_client"
    assert_no_canary(report.summary() + repr(report))


def test_validate_format_step_fails() -> None:
    """A non-UUID environment id fails the format step without any request."""
    with respx.mock() as router:
        report = validate_worker_credentials(APP_ID, CANARY_SECRET, "not-a-uuid")
        assert not router.calls
    assert report.failed_step is not None
    assert report.failed_step.name == "format"
    assert "environment_id" in report.failed_step.message


def test_validate_discovery_forbidden_is_warning(api: respx.MockRouter) -> None:
    """A token that works but may not read its app is valid with a discovery warning."""
    api.route(url=TOKEN_URL, method="POST").respond(
        200,
        json={"access_token": "tok-abcdefghijklmnop", "token_type": "Bearer", "expires_in": 3600},
    )
    api.get(f"/environments/{ENV}/applications/{APP_ID}").respond(
        403, json=error_body("ACCESS_FAILED", "x")
    )
    api.get(f"/environments/{ENV}/users").respond(200, json=collection("users", []))
    report = validate_worker_credentials(APP_ID, CANARY_SECRET, ENV, probes=["users"])
    assert report.ok
    step = report.step("discovery")
    assert step is not None
    assert step.status == "warning"
    assert report.api_access is not None
    assert report.api_access.allowed == ("users",)


def test_probe_network_error_is_error_outcome(client: PingOneClient, api: respx.MockRouter) -> None:
    """A network failure on a probe is reported as an error outcome, not raised."""
    api.get(f"/environments/{ENV}/users").mock(side_effect=httpx.ConnectError("down"))
    report = test_api_access(client, ["users"])
    assert report.results[0].outcome == "error"
    assert report.results[0].status_code is None
