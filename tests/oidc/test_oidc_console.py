"""`pingone-worker --issuer URL` / `--token-endpoint URL` against oidc-provider: no environment."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest
from oidc_harness import OIDCServer

from httpx_pingone_worker.cli import main


def _run(
    monkeypatch: pytest.MonkeyPatch, server: OIDCServer, name: str, *argv: str
) -> tuple[int, Any, str]:
    client = server.jwt_client if name == "jwt" else server.clients[name]
    for var in ("PINGONE_ENVIRONMENT_ID", "PINGONE_AUTH_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PINGONE_CLIENT_ID", client.client_id)
    monkeypatch.setenv("PINGONE_CLIENT_SECRET", client.client_secret or "")
    monkeypatch.setenv("PINGONE_WORKER_DATA_DIR", "/nonexistent-store")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--json", "--ca-file", server.ca_file, *argv])
    text = out.getvalue()
    return code, json.loads(text) if text.strip() else None, err.getvalue()


@pytest.mark.parametrize("name", ["client_secret_basic", "client_secret_post"])
def test_token_with_issuer_and_no_environment(
    monkeypatch: pytest.MonkeyPatch, oidc_server: OIDCServer, name: str
) -> None:
    code, doc, err = _run(monkeypatch, oidc_server, name, "--issuer", oidc_server.issuer, "token")
    assert code == 0, (doc, err)
    assert doc["environment_id"] is None
    assert len(doc["token"]["fingerprint"]) == 8


def test_token_with_token_endpoint_and_no_environment(
    monkeypatch: pytest.MonkeyPatch, oidc_server: OIDCServer
) -> None:
    code, doc, err = _run(
        monkeypatch,
        oidc_server,
        "client_secret_basic",
        "--token-endpoint",
        oidc_server.token_endpoint,
        "--scopes",
        "read write",
        "token",
    )
    assert code == 0, (doc, err)
    assert doc["token"]["scopes"] == ["read", "write"]


def test_introspect_with_issuer(monkeypatch: pytest.MonkeyPatch, oidc_server: OIDCServer) -> None:
    code, doc, err = _run(
        monkeypatch,
        oidc_server,
        "client_secret_basic",
        "--issuer",
        oidc_server.issuer,
        "introspect",
    )
    assert code == 0, (doc, err)
    assert doc["active"] is True
    assert doc["introspection"]["client_id"] == "basic-client"
    assert doc["introspection"]["iss"] == oidc_server.issuer
    code, doc, _ = _run(
        monkeypatch,
        oidc_server,
        "client_secret_basic",
        "--issuer",
        oidc_server.issuer,
        "introspect",
        "never-issued-token",
    )
    assert code == 1
    assert doc["active"] is False


def test_introspect_with_token_endpoint_alone_says_what_to_pass(
    monkeypatch: pytest.MonkeyPatch, oidc_server: OIDCServer
) -> None:
    code, doc, _ = _run(
        monkeypatch,
        oidc_server,
        "client_secret_basic",
        "--token-endpoint",
        oidc_server.token_endpoint,
        "introspect",
        "some-token",
    )
    assert code == 2
    assert "--issuer" in doc["error"]["hint"]


def test_verify_jwt_access_token_with_issuer(
    monkeypatch: pytest.MonkeyPatch, oidc_server: OIDCServer
) -> None:
    code, doc, err = _run(
        monkeypatch,
        oidc_server,
        "jwt",
        "--issuer",
        oidc_server.issuer,
        "verify",
        "--audience",
        oidc_server.resource,
    )
    assert code == 0, (doc, err)
    assert doc["verified"] is True
    assert doc["issuer"] == oidc_server.issuer
    assert doc["jwks_url"] == oidc_server.jwks_uri
    assert doc["claims"]["aud"] == oidc_server.resource


def test_management_commands_need_an_environment(
    monkeypatch: pytest.MonkeyPatch, oidc_server: OIDCServer
) -> None:
    code, doc, _ = _run(
        monkeypatch, oidc_server, "client_secret_basic", "--issuer", oidc_server.issuer, "status"
    )
    assert code == 2
    assert "environment id" in doc["error"]["message"]
