"""Live mode under pytest-xdist: one token for every worker, shared encrypted on disk.

The "live tenant" is an emulator behind real HTTPS in this process, reached through the
PINGONE_* variables exactly as a real tenant would be.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from httpx_pingone_worker.emulator import PingOneEmulator

TESTS = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_live(n, pingone_token, pingone_environment, pingone_credentials):
    assert pingone_environment.id == pingone_credentials.environment_id
    assert pingone_token.expires_in > 0
"""


@pytest.fixture
def tenant(monkeypatch: pytest.MonkeyPatch) -> Iterator[PingOneEmulator]:
    """An emulator server standing in for a live tenant, with PINGONE_* pointing at it."""
    emulator = PingOneEmulator()
    with emulator.serve() as server:
        creds = emulator.credentials
        assert creds.client_secret is not None
        monkeypatch.setenv("PINGONE_CLIENT_ID", creds.client_id)
        monkeypatch.setenv("PINGONE_CLIENT_SECRET", creds.client_secret.get_secret_value())
        monkeypatch.setenv("PINGONE_ENVIRONMENT_ID", creds.environment_id)
        monkeypatch.setenv("PINGONE_AUTH_BASE_URL", server.auth_base_url)
        monkeypatch.setenv("PINGONE_API_BASE_URL", server.api_base_url)
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        yield emulator


def test_live_token_is_shared_between_xdist_workers(
    ptr: pytest.Pytester, tenant: PingOneEmulator
) -> None:
    """Two workers, six tests, one token request; the cache on disk holds no raw token."""
    ptr.makepyfile(TESTS)
    result = ptr.runpytest("-n", "2", "-v", "--pingone=live", "--basetemp", str(ptr.path / "bt"))
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines_random(["[[]gw0[]]*PASSED*", "[[]gw1[]]*PASSED*"])  # both ran …
    assert tenant.token_requests == 1  # … with a single token between them
    cache_files = [p for p in (ptr.path / "bt").rglob("*") if p.is_file()]
    assert cache_files, "the shared cache wrote nothing"
    for path in cache_files:
        assert b"eyJ" not in path.read_bytes(), f"plain JWT in {path.name}"
    api_calls = [r for r in tenant.requests if r.endpoint == "api"]
    assert len(api_calls) == 6
