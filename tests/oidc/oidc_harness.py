"""A real OpenID-Certified server for the suite: panva's ``oidc-provider`` on loopback HTTPS.

The session fixture ``oidc_server`` installs the Node package (``npm ci``, once, under a
file lock so parallel xdist workers do not race) when ``node_modules`` is missing, writes a
config (a trustme certificate, one client per client auth method, a resource indicator whose
tokens are JWTs), starts ``node server.mjs`` on port 0 and waits for the line it prints
once it listens. Without node or npm the tests skip and say why; under ``CI=true`` they fail.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import selectors
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SERVER_DIR = Path(__file__).parent / "server"
RESOURCE = "https://api.example.test"
START_TIMEOUT = 120.0
NPM_TIMEOUT = 600.0


def _unavailable(reason: str) -> None:
    """Skip with ``reason``, or fail under CI, where the harness must run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true: the oidc-provider tests must run, but {reason}", pytrace=False)
    pytest.skip(reason)


def _b64u_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True)
class OIDCClient:
    """One registered client: its id, auth method, and what authenticates it."""

    client_id: str
    auth_method: str
    client_secret: str | None = None
    private_key: str | None = field(default=None, repr=False)
    key_id: str | None = None


@dataclass
class OIDCServer:
    """The running server: its issuer, a CA the Python side trusts, and its clients."""

    issuer: str
    ca_file: str
    ssl_context: ssl.SSLContext
    clients: dict[str, OIDCClient]
    jwt_client: OIDCClient
    resource: str = RESOURCE

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def introspection_endpoint(self) -> str:
        return f"{self.issuer}/token/introspection"

    @property
    def jwks_uri(self) -> str:
        return f"{self.issuer}/jwks"


#: What package.json installs: the server, and the third-party clients run against the emulator.
NODE_PACKAGES = ("oidc-provider", "openid-client", "jose")


def _installed() -> bool:
    return all((SERVER_DIR / "node_modules" / name).is_dir() for name in NODE_PACKAGES)


def node_with_packages() -> str:
    """The ``node`` executable, once ``npm ci`` has installed package.json's packages; skips
    (fails under ``CI=true``) when node or npm is missing."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not installed: the Node tests need Node.js >= 20")
    if not _installed():
        npm = shutil.which("npm")
        if npm is None:
            _unavailable("npm is not installed: run `npm ci --prefix tests/oidc/server`")
        _npm_ci(npm)  # type: ignore[arg-type]
    return node  # type: ignore[return-value]


def _npm_ci(npm: str) -> None:
    """Install the server's locked dependencies once (a lock keeps xdist workers in line)."""
    from filelock import FileLock

    with FileLock(str(SERVER_DIR / ".npm-ci.lock")):
        if _installed():
            return
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(SERVER_DIR)],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            _unavailable(f"`npm ci` in {SERVER_DIR} failed: {proc.stderr.strip()[-500:]}")


def _client_key() -> tuple[str, dict[str, Any]]:
    """An RSA key for the private_key_jwt client: (PEM private key, public JWK)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": _b64u_int(numbers.n),
        "e": _b64u_int(numbers.e),
        "kid": "client-key-1",
        "alg": "RS256",
        "use": "sig",
    }
    return pem, jwk


def _wait_for_issuer(proc: subprocess.Popen[bytes], log: Path) -> str | None:
    """Read the server's readiness line ({"issuer": ...}); None (the server killed, the
    reason written to ``log``) when no such line came within START_TIMEOUT or it exited."""
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    started = time.monotonic()
    deadline = started + START_TIMEOUT
    buf = b""
    try:
        while b"\n" not in buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not sel.select(remaining):
                break  # no line in time
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                break  # EOF: the server exited
            buf += chunk
    finally:
        sel.close()
    line = buf.split(b"\n", 1)[0]
    try:
        issuer = json.loads(line)["issuer"]
    except (ValueError, KeyError, TypeError):
        exited = proc.poll()
        proc.kill()
        proc.wait()
        with log.open("a") as out:
            out.write(
                f"\n[harness] no readiness line after {time.monotonic() - started:.1f}s "
                f"(output {line[:200]!r}; exit status {exited})\n"
            )
        return None
    assert isinstance(issuer, str)
    return issuer


def _start_server(node: str, config_file: Path, ca_file: Path, log: Path) -> Any:
    """Start ``server.mjs``; (process, issuer), trying twice: a loaded CI machine once got
    no readiness line from a node that normally starts in about a second."""
    for _ in range(2):
        with log.open("ab") as log_out:
            proc = subprocess.Popen(
                [node, str(SERVER_DIR / "server.mjs"), str(config_file)],
                stdout=subprocess.PIPE,
                stderr=log_out,
                cwd=SERVER_DIR,
                env={**os.environ, "NODE_EXTRA_CA_CERTS": str(ca_file), "NODE_ENV": "test"},
            )
        issuer = _wait_for_issuer(proc, log)
        if issuer is not None:
            return proc, issuer
        if proc.stdout is not None:
            proc.stdout.close()
    pytest.fail(
        f"oidc-provider did not start (twice); its log:\n{log.read_text(errors='replace')[-3000:]}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def oidc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCServer]:
    """panva's oidc-provider on https://127.0.0.1:<port>, for the whole session."""
    node = node_with_packages()
    import trustme

    tmp = tmp_path_factory.mktemp("oidc-provider")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp / "cert.pem", tmp / "key.pem", tmp / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    ca.cert_pem.write_to_path(str(ca_file))

    def secret() -> str:
        return secrets.token_urlsafe(48)  # >= 32 bytes: HS256 for client_secret_jwt

    pem, jwk = _client_key()
    clients = {
        "client_secret_basic": OIDCClient("basic-client", "client_secret_basic", secret()),
        "client_secret_post": OIDCClient("post-client", "client_secret_post", secret()),
        "client_secret_jwt": OIDCClient("hmac-jwt-client", "client_secret_jwt", secret()),
        "private_key_jwt": OIDCClient(
            "key-jwt-client", "private_key_jwt", private_key=pem, key_id=jwk["kid"]
        ),
    }
    jwt_client = OIDCClient("jwt-at-client", "client_secret_basic", secret())
    metadata = []
    for c in [*clients.values(), jwt_client]:
        meta: dict[str, Any] = {
            "client_id": c.client_id,
            "token_endpoint_auth_method": c.auth_method,
            "grant_types": ["client_credentials"],
            "response_types": [],
            "redirect_uris": [],
            "scope": "read write",
        }
        if c.client_secret is not None:
            meta["client_secret"] = c.client_secret
        if c.auth_method == "private_key_jwt":
            meta["jwks"] = {"keys": [jwk]}
        metadata.append(meta)
    config = {
        "host": "127.0.0.1",
        "port": 0,
        "cert": str(cert_file),
        "key": str(key_file),
        "clients": metadata,
        "scopes": ["read", "write", "admin"],  # admin: known, but no client may have it
        "resource": {
            "indicator": RESOURCE,
            "scope": "read write",
            "clients": [jwt_client.client_id],
        },
        "ttl": 600,
    }
    config_file = tmp / "config.json"
    config_file.write_text(json.dumps(config))
    config_file.chmod(0o600)
    log = tmp / "server.log"
    proc, issuer = _start_server(node, config_file, ca_file, log)
    try:
        ctx = ssl.create_default_context(cafile=str(ca_file))
        yield OIDCServer(
            issuer=issuer,
            ca_file=str(ca_file),
            ssl_context=ctx,
            clients=clients,
            jwt_client=jwt_client,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
