"""Clients this project did not write, against the emulator's HTTPS server: panva's
openid-client and jose from npm (``server/emulator_client.mjs``).

They discover the issuer, get a client-credentials token (``client_secret_basic`` and
``private_key_jwt``), verify it against the remote JWKS, see the Basic challenge on a wrong
secret, and page through users and groups the way Ping's docs page
(follow ``_links.next.href``). Node trusts the emulator through ``NODE_EXTRA_CA_CERTS``, as the
emulator docs tell Node users. Without node these tests skip (fail under ``CI=true``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
from oidc_harness import SERVER_DIR, node_with_packages

from httpx_pingone_worker.emulator import PingOneEmulator

SCRIPT = SERVER_DIR / "emulator_client.mjs"


def _run_node(server: Any, **env: str) -> dict[str, Any]:
    node = node_with_packages()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EMU_", "SSL_CERT"))}
    proc = subprocess.run(
        [node, str(SCRIPT)],
        env={**base, "NODE_EXTRA_CA_CERTS": server.ca_file, "EMU_ISSUER": server.issuer(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.stdout.strip(), proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"], (result, proc.stderr[-2000:])
    assert proc.returncode == 0, proc.stderr[-2000:]
    return result


def test_openid_client_and_jose_discover_verify_and_page_through() -> None:
    """openid-client + jose: discovery, a client_secret_basic token verified with the remote
    JWKS (``typ: at+jwt``, RS256, issuer), a Basic challenge on a wrong secret, and a
    page-through of every user and group (4 a page) with each group's parents, like a
    catalog ingester (PingOne API reference: READ Group Nesting,
    ``GET /environments/{envID}/groups/{groupID}/memberOfGroups``).

    Sources: OpenID Connect Discovery 1.0 §3-4; RFC 6749 §4.4 and §5.2 (a 401 with
    ``WWW-Authenticate`` matching the client's scheme); RFC 9068 (``at+jwt``); PingOne
    "Pagination" (follow ``_links.next``).
    """
    emu = PingOneEmulator(users=23, roles=("Environment Admin", "Identity Data Admin"))
    creds = emu.credentials
    secret = creds.client_secret.get_secret_value()  # type: ignore[union-attr]
    with emu.serve() as server, httpx.Client(verify=server.ssl_context, timeout=10) as client:
        api = f"{server.api_base_url}/environments/{emu.environment_id}"
        token = client.post(
            server.token_endpoint,
            data={"grant_type": "client_credentials"},
            auth=(creds.client_id, secret),
        ).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        groups = client.get(f"{api}/groups", headers=bearer)
        ids = [g["id"] for g in groups.json()["_embedded"]["groups"]]
        # Nest the first group in the second and third (PingOne's Group Nesting, add).
        child, *parents_of_child = ids[:3]
        for parent in parents_of_child:
            nested = client.post(
                f"{api}/groups/{child}/memberOfGroups", headers=bearer, json={"id": parent}
            )
            assert nested.is_success, nested.text
        result = _run_node(
            server,
            EMU_CLIENT_ID=creds.client_id,
            EMU_CLIENT_SECRET=secret,
            EMU_API_BASE=server.api_base_url,
            EMU_ENV_ID=emu.environment_id,
            EMU_PAGE_LIMIT="4",
            EMU_NESTING="1",
        )
    assert result["discovery"]["issuer"] == server.issuer()
    assert result["discovery"]["authorization_endpoint"] == f"{server.issuer()}/authorize"
    assert result["token"]["token_type"] == "bearer"
    # openid-client reports the seconds left when it read the answer: 3600, or 3599 if a
    # second boundary passed in between (seen on a loaded machine).
    assert result["token"]["expires_in"] in (3599, 3600)
    assert result["verified"]["client_id"] == creds.client_id
    assert result["verified"]["env"] == emu.environment_id
    assert result["verified"]["kid"] in {k["kid"] for k in emu.jwks["keys"]}
    wrong = result["wrong_secret"]
    assert wrong["status"] == 401
    assert wrong["challenges"] == ["basic"]
    directory = result["directory"]
    assert len(directory["user_ids"]) == len(set(directory["user_ids"])) == 23
    assert directory["user_pages"] >= 6  # 23 users, at most 4 a page
    assert sorted(directory["group_ids"]) == sorted(ids)
    assert directory["group_pages"] >= 2
    # READ Group Nesting for every group, paged: the nested group's parents, nobody else's.
    assert sorted(directory["parents"][child]) == sorted(parents_of_child)
    assert all(not directory["parents"][g] for g in ids if g != child)
    assert secret not in json.dumps(result)


def test_openid_client_private_key_jwt_with_the_apps_key_file(tmp_path: Path) -> None:
    """openid-client's ``PrivateKeyJwt`` signs with the emulator app's PEM (a 0600 file, as
    the runner writes it) and gets a token jose verifies. PingOne's docs: the assertion's
    ``iss`` = ``sub`` = client id, ``aud`` = the issuer or token endpoint (openid-client
    sends the issuer); RFC 7523 §2.2."""
    emu = PingOneEmulator(users=0, auth_method="private_key_jwt")
    creds = emu.credentials
    assert creds.private_key is not None
    key_file = tmp_path / "client-key.pem"
    key_file.write_text(creds.private_key.get_secret_value())
    key_file.chmod(0o600)
    with emu.serve() as server:
        result = _run_node(
            server,
            EMU_CLIENT_ID=creds.client_id,
            EMU_PRIVATE_KEY_FILE=str(key_file),
            EMU_KEY_ID=creds.key_id or "",
        )
    assert result["verified"]["client_id"] == creds.client_id
    token_records = [r for r in emu.requests if r.endpoint == "token" and r.status == 200]
    assert {r.auth_method for r in token_records} == {"private_key_jwt"}
