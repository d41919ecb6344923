"""Redaction by value: URLs, ids and names in every command's ``--json`` output are shown whole.

Every command runs against ``--emulator``. Its JSON is walked: every string that is a URL must
be a whole URL (no mask inside), no value may be masked at all (the emulator's outputs hold no
secret: a ``<redacted>`` there masked something that is not one), and the fields that name an
endpoint (``issuer``, ``token``, ``jwks_url``, ``api``, ``href`` …) hold the URL itself.
The canaries still never appear: the secret and every token the console obtained.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from cli_helpers import Cli, assert_no_leak

#: command line → how many URL values its JSON holds at least (0: none expected).
COMMANDS: dict[tuple[str, ...], int] = {
    ("status",): 3,
    ("token",): 0,
    ("decode",): 1,
    ("verify",): 3,
    ("introspect",): 1,
    ("check",): 1,
    ("api", "users"): 2,
    ("api", "GET", "/environments/{env}"): 1,
    ("api", "applications"): 2,
    ("demo",): 3,
}
#: Keys whose value is an endpoint URL wherever they appear.
URL_KEYS = {"issuer", "jwks_url", "api", "href", "iss", "token_endpoint"}
MASKS = ("<redacted", "<jwt:", "********")


def _strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def _is_whole_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.netloc) and not any(m in value for m in MASKS)


@pytest.mark.parametrize("argv", list(COMMANDS), ids=" ".join)
def test_every_url_in_json_output_is_shown_whole(
    cli: Cli, emulator: Any, argv: tuple[str, ...]
) -> None:
    result = cli("--json", *argv) if argv == ("demo",) else cli("--emulator", "--json", *argv)
    assert result.code == 0, result.out + result.err
    doc = result.json()
    values = list(_strings(doc))
    urls = [(p, v) for p, v in values if "://" in v]
    assert len(urls) >= COMMANDS[argv], urls
    for path, value in urls:
        assert _is_whole_url(value), f"{path} = {value!r} is not a whole URL"
    for path, value in values:
        key = path.rsplit(".", 1)[-1]
        if key == "client_secret" or path.endswith("client_secret.value"):
            continue  # `check` shows that a secret is set as "********"
        assert not any(m in value for m in MASKS), f"{path} = {value!r} was masked"
        if key in URL_KEYS:
            assert _is_whole_url(value), f"{path} = {value!r} should be a URL"
    secrets = [emulator.credentials.client_secret.get_secret_value(), *emulator.recorded]
    assert_no_leak(result.all, secrets, emulator.credentials.client_id)


def test_status_endpoints_are_the_emulator_urls(cli: Cli, emulator: Any) -> None:
    doc = cli("--emulator", "--json", "status").json()
    issuer = f"{emulator.auth_base_url}/{emulator.environment_id}/as"
    assert doc["endpoints"] == {
        "issuer": issuer,
        "token": f"{issuer}/token",
        "api": emulator.api_base_url,
    }


def test_a_token_value_under_any_key_is_still_masked() -> None:
    """The console's scrub masks secrets by value: a JWT or registered token under a key
    that is not secret-looking ("token", "note") is masked; a URL under "token" is not."""
    from canary import CANARY_SECRET
    from httpx_pingone_worker._core._logging import register_secret
    from httpx_pingone_worker.cli._output import scrub

    register_secret(CANARY_SECRET)
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4eHh4In0.c2lnbmF0dXJlc2ln"
    out = scrub(
        {
            "token": jwt,
            "note": f"Bearer {CANARY_SECRET}",
            "endpoints": {"token": "https://auth.example.test/as/token"},
            "client_secret": "not-registered-but-a-secret-field",
            "password": "hunter2-hunter2",
            "client_assertion": "opaque-assertion-value",
            "form": f"grant_type=client_credentials&client_secret={CANARY_SECRET}",
        }
    )
    text = repr(out)
    assert jwt not in text
    assert CANARY_SECRET not in text
    assert "not-registered-but-a-secret-field" not in text
    assert "hunter2-hunter2" not in text
    assert "opaque-assertion-value" not in text
    assert out["endpoints"]["token"] == "https://auth.example.test/as/token"
