"""The emulator runner as a real process: signals, the files it leaves (none), keys across
restarts, private_key_jwt for outside clients, and trust files that keep real sites working."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk as jose_jwk
from jose import jwt as jose_jwt

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Run:
    """A running `python -m httpx_pingone_worker.emulator`: its process and what it printed."""

    proc: subprocess.Popen[str]
    banner: dict[str, str]
    env: dict[str, str]

    @property
    def ca_file(self) -> str:
        return self.env["PINGONE_EMULATOR_CA_FILE"]

    def client(self) -> httpx.Client:
        return httpx.Client(verify=ssl.create_default_context(cafile=self.ca_file), timeout=10)

    @property
    def issuer(self) -> str:
        return self.banner["issuer"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PINGONE_")}
    env.pop("SSL_CERT_FILE", None)
    return env


@contextmanager
def running(*args: str) -> Iterator[Run]:
    """Start the runner, read its banner and env file; kill it if the test leaves it running.

    The banner is read line by line from the pipe (no polling); a watchdog kills a process
    that prints nothing for 60 s, so a broken runner fails the test instead of hanging it.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "httpx_pingone_worker.emulator", "--users", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    watchdog = threading.Timer(60, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        banner: dict[str, str] = {}
        for line in proc.stdout:
            key, sep, value = line.partition(":")
            if sep:
                banner[key.strip()] = value.strip().split("  (")[0]
            if key.strip() == "or per tool":
                break
        watchdog.cancel()
        assert "env file" in banner, proc.stderr.read() if proc.stderr else ""
        env_path = Path(banner["env file"])
        env = dict(line.split("=", 1) for line in env_path.read_text().splitlines() if "=" in line)
        yield Run(proc, banner, env)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def _stop(run: Run, signum: int) -> str:
    run.proc.send_signal(signum)
    _, err = run.proc.communicate(timeout=30)
    assert run.proc.returncode == 0, err
    return err


def _files(run: Run) -> list[Path]:
    return [
        Path(run.banner["env file"]),
        Path(run.ca_file),
        Path(run.ca_file).parent,
        Path(run.env["SSL_CERT_FILE"]),
        Path(run.env["SSL_CERT_FILE"]).parent,
        *(
            [Path(run.env["PINGONE_PRIVATE_KEY_FILE"])]
            if "PINGONE_PRIVATE_KEY_FILE" in run.env
            else []
        ),
    ]


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_signals_stop_the_server_and_remove_its_files(signame: str) -> None:
    """SIGTERM (a service manager, `kill`), SIGINT (Ctrl-C) and SIGHUP (a closed terminal)
    each stop the runner with exit 0 and remove the CA directory, the env file (it holds the
    throwaway secret), the CA bundle and the run directory."""
    with running("--seed", "3") as run:
        files = _files(run)
        assert all(path.exists() for path in files)
        with run.client() as client:
            assert client.get(f"{run.issuer}/jwks").status_code == 200
        _stop(run, getattr(signal, signame))
        assert [path for path in files if path.exists()] == []


def test_restart_with_the_same_seed_serves_the_same_keys() -> None:
    """Two runs with one seed publish the same key under each kid, so a token of the second
    run verifies with the JWKS a client cached from the first (RFC 7517 §4.5: a kid names one
    key; a verifier with a cached JWKS does not refetch for a kid it knows)."""
    with running("--seed", "7") as first:
        with first.client() as client:
            cached = client.get(f"{first.issuer}/jwks").json()
        _stop(first, signal.SIGTERM)
    with running("--seed", "7") as second:
        with second.client() as client:
            assert client.get(f"{second.issuer}/jwks").json() == cached
            token = client.post(
                f"{second.issuer}/token",
                data={"grant_type": "client_credentials"},
                auth=(second.env["PINGONE_CLIENT_ID"], second.env["PINGONE_CLIENT_SECRET"]),
            ).json()["access_token"]
        _stop(second, signal.SIGTERM)
    claims = jose_jwt.decode(token, cached, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["client_id"] == second.env["PINGONE_CLIENT_ID"]


def _assertion(key_pem: str, kid: str, client_id: str, token_endpoint: str) -> str:
    now = int(time.time())
    return jose_jwt.encode(
        {"iss": client_id, "sub": client_id, "aud": token_endpoint, "iat": now,
         "exp": now + 60, "jti": str(uuid.uuid4())},
        key_pem, algorithm="RS256", headers={"kid": kid},
    )  # fmt: skip


def _token_with_assertion(client: httpx.Client, run: Run, key_pem: str, kid: str) -> httpx.Response:
    url = f"{run.issuer}/token"
    return client.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": _assertion(key_pem, kid, run.env["PINGONE_CLIENT_ID"], url),
        },
    )


def test_private_key_jwt_writes_the_client_key_next_to_the_env_file(tmp_path: Path) -> None:
    """`--auth-method private_key_jwt` writes the app's private key (0600) beside the env file
    and names it there; a client that is not this library (python-jose assertions, plain
    httpx) signs with it and gets a token. PINGONE.md: the assertion's iss = sub = client id,
    aud = the token endpoint."""
    env_file = tmp_path / "emu.env"
    with running("--auth-method", "private_key_jwt", "--env-file", str(env_file)) as run:
        key_file = Path(run.env["PINGONE_PRIVATE_KEY_FILE"])
        assert key_file.parent == env_file.parent
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert not any("PRIVATE KEY" in value for value in run.banner.values())
        assert str(key_file) in run.banner["client key"]
        with run.client() as client:
            ok = _token_with_assertion(client, run, key_file.read_text(), run.env["PINGONE_KEY_ID"])
            assert ok.status_code == 200, ok.text
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            forged = _token_with_assertion(client, run, _pem(other), run.env["PINGONE_KEY_ID"])
            assert (forged.status_code, forged.json()["error"]) == (401, "invalid_client")
        _stop(run, signal.SIGTERM)
        assert not key_file.exists()
        assert not env_file.exists()


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.mark.parametrize("form", ["public-key", "jwks"])
def test_the_app_can_trust_the_clients_own_key(tmp_path: Path, form: str) -> None:
    """`--client-public-key PEM` / `--client-jwks JSON`: the seeded app trusts the caller's
    key (private_key_jwt implied), no key file is written, and only that key authenticates."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if form == "public-key":
        path = tmp_path / "client.pub.pem"
        path.write_bytes(public_pem)
        args = ["--client-public-key", str(path), "--client-key-id", "mine-1"]
    else:
        jwk = jose_jwk.construct(public_pem.decode(), "RS256").to_dict()
        path = tmp_path / "client.jwks.json"
        path.write_text(json.dumps({"keys": [{**jwk, "kid": "mine-1"}]}))
        args = ["--client-jwks", str(path)]
    with running(*args) as run:
        assert "PINGONE_PRIVATE_KEY_FILE" not in run.env
        assert run.env["PINGONE_KEY_ID"] == "mine-1"
        assert run.banner["auth method"] == "private_key_jwt"
        with run.client() as client:
            ok = _token_with_assertion(client, run, _pem(key), "mine-1")
            assert ok.status_code == 200, ok.text
            reset = client.post(f"{run.env['PINGONE_AUTH_BASE_URL']}/_emulator/reset")
            assert reset.status_code in (200, 204)
            again = _token_with_assertion(client, run, _pem(key), "mine-1")
            assert again.status_code == 200, again.text  # a reset keeps the trusted key
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            assert _token_with_assertion(client, run, _pem(other), "mine-1").status_code == 401
        _stop(run, signal.SIGTERM)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ('{"keys": []}', "not a JWKS with keys"),
        ('{"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b"}]}', "RSA public key"),
        ('{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "c2VjcmV0"}]}', "private key"),
    ],
)
def test_a_bad_client_jwks_exits_2_with_the_reason(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JWKS that is not JSON, has no keys, holds a non-RSA key or private members: exit 2
    with one line that says why (and never echoes the private member)."""
    from httpx_pingone_worker.emulator.__main__ import main

    path = tmp_path / "jwks.json"
    path.write_text(content)
    stop = threading.Event()
    stop.set()
    assert main(["--users", "0", "--client-jwks", str(path)], stop=stop) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "c2VjcmV0" not in err


def test_client_key_options_need_private_key_jwt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--client-public-key` with another `--auth-method` exits 2 saying what to pass; so does
    a public key file that is not a PEM public key."""
    from httpx_pingone_worker.emulator.__main__ import main

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pub = tmp_path / "k.pem"
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    stop = threading.Event()
    stop.set()
    argv = ["--users", "0", "--auth-method", "client_secret_basic", "--client-public-key", str(pub)]
    assert main(argv, stop=stop) == 2
    assert "private_key_jwt" in capsys.readouterr().err
    priv = tmp_path / "priv.pem"
    priv.write_text(_pem(key))
    assert main(["--users", "0", "--client-public-key", str(priv)], stop=stop) == 2
    assert "not a PEM public key" in capsys.readouterr().err


def test_env_file_trust_keeps_real_roots(tmp_path: Path) -> None:
    """Sourcing the env file must not replace the shell's trust store: SSL_CERT_FILE,
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE name one bundle holding every root this machine
    trusts plus the emulator's CA; NODE_EXTRA_CA_CERTS (added to Node's own roots) names the
    emulator's CA alone; PINGONE_API_BASE_URL already ends in /v1."""
    system = ssl.create_default_context()
    system_roots = system.cert_store_stats()["x509_ca"]
    with running("--env-file", str(tmp_path / "e.env")) as run:
        bundle = run.env["SSL_CERT_FILE"]
        assert run.env["REQUESTS_CA_BUNDLE"] == run.env["CURL_CA_BUNDLE"] == bundle
        assert run.env["NODE_EXTRA_CA_CERTS"] == run.ca_file != bundle
        assert run.env["PINGONE_API_BASE_URL"].endswith("/v1")
        ctx = ssl.create_default_context(cafile=bundle)
        assert ctx.cert_store_stats()["x509_ca"] >= max(system_roots, 1) + 1
        system_ders = set(system.get_ca_certs(binary_form=True))
        bundle_only = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        bundle_only.load_verify_locations(cafile=bundle)
        assert system_ders <= set(bundle_only.get_ca_certs(binary_form=True))
        with httpx.Client(verify=ctx, timeout=10) as client:
            assert client.get(f"{run.issuer}/.well-known/openid-configuration").status_code == 200
        _stop(run, signal.SIGTERM)
