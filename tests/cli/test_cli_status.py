"""`status`: the environment's license and enabled services, and the worker app's description."""

from __future__ import annotations

from typing import Any

import pytest
from cli_helpers import Cli, assert_no_leak

from httpx_pingone_worker.cli import _session
from httpx_pingone_worker.emulator import PingOneEmulator


def _emulator_json(emu: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """What the emulator itself serves: the environment, its license and the worker app."""
    import httpx

    from httpx_pingone_worker import PingOneWorkerAuth

    creds = emu.credentials
    auth = PingOneWorkerAuth(creds.client_id, creds.client_secret, creds.environment_id)
    base = f"https://api.pingone.com/v1/environments/{creds.environment_id}"
    with httpx.Client(auth=auth, transport=emu.transport()) as http:
        env = http.get(base).json()
        lic = http.get(
            f"https://api.pingone.com/v1/organizations/{env['organization']['id']}"
            f"/licenses/{env['license']['id']}"
        ).json()
        apps = http.get(f"{base}/applications").json()["_embedded"]["applications"]
    app = next(a for a in apps if a.get("type") == "WORKER")
    return env, lic, app


def test_status_json_shows_license_services_and_app_description(cli: Cli, emulator: Any) -> None:
    env, lic, app = _emulator_json(emulator)
    doc = cli("--emulator", "--json", "status").json()

    assert doc["environment"]["license"] == {
        "id": env["license"]["id"],
        "name": lic["name"],
        "package": lic["package"],
        "status": lic["status"],
    }
    products = env["billOfMaterials"]["products"]
    assert len(products) >= 1
    assert doc["environment"]["services"] == [
        {"type": p["type"], "description": p["description"]} for p in products
    ]
    assert doc["application"]["description"] == app["description"]
    assert doc["application"]["name"] == app["name"]
    assert doc["application"]["type"] == "WORKER"
    assert doc["application"]["enabled"] is True


def test_status_text_shows_license_services_and_app_description(cli: Cli, emulator: Any) -> None:
    env, lic, app = _emulator_json(emulator)
    result = cli("--emulator", "status")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    license_line = next(line for line in lines if line.strip().startswith("license"))
    assert env["license"]["id"] in license_line
    assert lic["name"] in license_line
    assert lic["package"] in license_line
    assert "Services" in lines
    for product in env["billOfMaterials"]["products"]:
        assert any(product["type"] in line and product["description"] in line for line in lines), (
            product
        )
    description = next(line for line in lines if line.strip().startswith("description"))
    assert app["description"] in description
    secrets = [emulator.credentials.client_secret.get_secret_value(), *emulator.recorded]
    assert_no_leak(result.all, secrets, emulator.credentials.client_id)


def test_status_without_a_role_that_reads_licenses_shows_the_license_id(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker that cannot read the license (403): status works and shows its id.

    Every built-in role holds ``licensing:read:license`` (an "essential" permission in
    PingOne's Permissions by Identifier reference), so the refusal is injected."""
    import httpx

    from httpx_pingone_worker import PingOneWorkerAuth

    emu = PingOneEmulator(users=5, roles=("Configuration Read Only",))
    emu.inject_fault("licenses", status=403, count=None)
    monkeypatch.setattr(_session, "emulator_factory", lambda _region: emu)
    creds = emu.credentials
    auth = PingOneWorkerAuth(creds.client_id, creds.client_secret, creds.environment_id)
    with httpx.Client(auth=auth, transport=emu.transport()) as http:
        env = http.get(f"https://api.pingone.com/v1/environments/{creds.environment_id}").json()
        refused = http.get(
            f"https://api.pingone.com/v1/organizations/{env['organization']['id']}"
            f"/licenses/{env['license']['id']}"
        )
    assert refused.status_code == 403  # the premise: this role cannot read licenses

    result = cli("--emulator", "--json", "status")

    assert result.code == 0, result.err
    doc = result.json()
    assert doc["environment"]["license"] == {
        "id": env["license"]["id"],
        "name": None,
        "package": None,
        "status": None,
    }
    assert [s["type"] for s in doc["environment"]["services"]] == [
        p["type"] for p in env["billOfMaterials"]["products"]
    ]
