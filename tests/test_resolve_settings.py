"""Settings resolution: every source, precedence, recorded sources, and format checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import ClientCredentials, Region, Secret
from httpx_pingone_worker._core._errors import (
    ConfigurationError,
    CredentialFormatError,
    InsecureTransportError,
)
from httpx_pingone_worker.credentials._format import CredentialProblem, validate_credential_format
from httpx_pingone_worker.credentials._settings import resolve_credentials, resolve_settings
from httpx_pingone_worker.credentials._sources import parse_env_file

OTHER_ID = "11111111-2222-4333-8444-555555555555"
OTHER_ENV = "99999999-8888-4777-8666-555555555555"
GOOD_SECRET = "aB3~dE5.fG7-hJ9_kL1mN2pQ4rS6tU8vW0xY2zA4bC6dE8fG0hJ2kL4mN6pQ8rS0"

FULL_ENV = {
    "PINGONE_CLIENT_ID": CANARY_CLIENT_ID,
    "PINGONE_CLIENT_SECRET": CANARY_SECRET,
    "PINGONE_ENVIRONMENT_ID": CANARY_ENV_ID,
}


def write_settings(tmp_path: Path, block: Any, name: str = "settings.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"pingone": {"workerToken": block}}), encoding="utf-8")
    return path


def write_env(tmp_path: Path, text: str, name: str = ".env") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- sources and precedence -------------------------------------------------------------


def test_arguments_only() -> None:
    """Explicit arguments alone resolve, each recorded as 'argument'."""
    r = resolve_settings(
        client_id=CANARY_CLIENT_ID,
        client_secret=CANARY_SECRET,
        environment_id=CANARY_ENV_ID,
        region="eu",
        scopes="a b",
        env={},
    )
    assert r.credentials is not None
    assert r.credentials.client_id == CANARY_CLIENT_ID
    assert r.credentials.client_secret == Secret(CANARY_SECRET)
    assert r.credentials.region is Region.EU
    assert r.credentials.scopes == frozenset({"a", "b"})
    for name in ("client_id", "client_secret", "environment_id", "region", "scopes"):
        assert r.sources[name] == "argument"
    assert r.sources["auth_base_url"] == "default"
    assert r.auth_base_url is None


def test_environment_variables_with_sources() -> None:
    """PINGONE_* variables resolve and record 'env:<VAR>'."""
    env = {**FULL_ENV, "PINGONE_REGION": "Ca", "PINGONE_SCOPES": "x,y z"}
    r = resolve_settings(env=env)
    assert r.credentials is not None
    assert r.credentials.region is Region.CA
    assert r.scopes == frozenset({"x", "y", "z"})
    assert r.sources["client_id"] == "env:PINGONE_CLIENT_ID"
    assert r.sources["client_secret"] == "env:PINGONE_CLIENT_SECRET"
    assert r.sources["environment_id"] == "env:PINGONE_ENVIRONMENT_ID"
    assert r.sources["region"] == "env:PINGONE_REGION"
    assert r.sources["scopes"] == "env:PINGONE_SCOPES"


def test_default_env_is_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without env=, os.environ is read."""
    for key, value in FULL_ENV.items():
        monkeypatch.setenv(key, value)
    assert resolve_credentials().client_id == CANARY_CLIENT_ID


def test_argument_beats_env() -> None:
    """An explicit argument wins over the environment variable."""
    r = resolve_settings(client_id=OTHER_ID, region="AU", env={**FULL_ENV, "PINGONE_REGION": "EU"})
    assert r.client_id == OTHER_ID
    assert r.region is Region.AU
    assert r.sources["client_id"] == "argument"
    assert r.sources["client_secret"] == "env:PINGONE_CLIENT_SECRET"


def test_empty_env_var_counts_as_unset(tmp_path: Path) -> None:
    """An empty variable falls through to the next source."""
    env_file = write_env(tmp_path, f"PINGONE_CLIENT_ID={OTHER_ID}\n")
    r = resolve_settings(env={**FULL_ENV, "PINGONE_CLIENT_ID": " "}, env_file=env_file)
    assert r.client_id == OTHER_ID
    assert r.sources["client_id"] == f"env-file:{env_file}"


def test_env_beats_env_file_beats_settings(tmp_path: Path) -> None:
    """env > .env file > settings.json, per value, each source recorded."""
    env_file = write_env(
        tmp_path,
        f"PINGONE_CLIENT_ID={OTHER_ID}\nPINGONE_ENVIRONMENT_ID={OTHER_ENV}\nPINGONE_REGION=sg\n",
    )
    settings = write_settings(
        tmp_path, {"region": "AU", "environmentId": CANARY_ENV_ID, "defaultScopes": ["s1"]}
    )
    env = {"PINGONE_CLIENT_ID": CANARY_CLIENT_ID, "PINGONE_CLIENT_SECRET": CANARY_SECRET}
    r = resolve_settings(env=env, env_file=env_file, settings_file=settings)
    assert r.client_id == CANARY_CLIENT_ID
    assert r.environment_id == OTHER_ENV
    assert r.region is Region.SG
    assert r.scopes == frozenset({"s1"})
    assert r.sources["client_id"] == "env:PINGONE_CLIENT_ID"
    assert r.sources["environment_id"] == f"env-file:{env_file}"
    assert r.sources["region"] == f"env-file:{env_file}"
    assert r.sources["scopes"] == f"settings:{settings}"


def test_settings_json_block(tmp_path: Path) -> None:
    """Every settings.json key is read with its type and recorded as 'settings:<path>'."""
    settings = write_settings(
        tmp_path,
        {
            "defaultScopes": ["p1:read", "p1:write"],
            "tokenCacheTtlPercent": 0.75,
            "introspectionEnabled": False,
            "managementApiEnabled": False,
            "autoDiscovery": False,
            "clientId": CANARY_CLIENT_ID,
            "environmentId": CANARY_ENV_ID,
            "region": "ap",
            "authBaseUrl": "https://auth.example.test",
            "apiBaseUrl": "https://api.example.test/v1",
        },
    )
    r = resolve_settings(client_secret=CANARY_SECRET, env={}, settings_file=settings)
    assert r.default_scopes == frozenset({"p1:read", "p1:write"})
    assert r.scopes == r.default_scopes
    assert r.token_cache_ttl_percent == 0.75
    assert r.refresh_ratio == 0.75
    assert (r.introspection_enabled, r.management_api_enabled, r.auto_discovery) == (
        False,
        False,
        False,
    )
    assert r.region is Region.AP
    assert r.auth_base_url == "https://auth.example.test"
    assert r.api_base_url == "https://api.example.test/v1"
    label = f"settings:{settings}"
    for name in ("default_scopes", "token_cache_ttl_percent", "client_id", "auth_base_url"):
        assert r.sources[name] == label


def test_defaults_recorded() -> None:
    """Unset optional settings take documented defaults, recorded as 'default'."""
    r = resolve_settings(env=FULL_ENV)
    assert r.region is Region.NA
    assert r.token_cache_ttl_percent == 0.8
    assert r.introspection_enabled
    assert r.management_api_enabled
    assert r.auto_discovery
    assert r.scopes == frozenset()
    for name in ("region", "scopes", "token_cache_ttl_percent", "auto_discovery"):
        assert r.sources[name] == "default"


def test_settings_without_block_is_empty(tmp_path: Path) -> None:
    """A settings.json without a pingone block contributes nothing."""
    path = tmp_path / "settings.json"
    path.write_text('{"other": 1}', encoding="utf-8")
    r = resolve_settings(env=FULL_ENV, settings_file=path)
    assert r.sources["token_cache_ttl_percent"] == "default"


# --- stored credentials seam ------------------------------------------------------------


def test_store_is_last_source() -> None:
    """Stored credentials fill only what nothing else gave, recorded as 'store'."""
    calls: list[str | None] = []

    def stored(client_id: str | None) -> ClientCredentials | None:
        calls.append(client_id)
        return ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, OTHER_ENV, "EU", "st")

    r = resolve_settings(env={"PINGONE_CLIENT_ID": CANARY_CLIENT_ID}, stored=stored)
    assert calls == [CANARY_CLIENT_ID]
    assert r.credentials is not None
    assert r.credentials.environment_id == OTHER_ENV
    assert r.credentials.region is Region.EU
    assert r.sources["client_id"] == "env:PINGONE_CLIENT_ID"
    assert r.sources["client_secret"] == "store"
    assert r.sources["environment_id"] == "store"
    assert r.sources["region"] == "store"


def test_store_not_asked_when_complete() -> None:
    """The store is not consulted when every required value is already known."""

    def stored(client_id: str | None) -> ClientCredentials | None:
        raise AssertionError("store must not be called")

    assert resolve_settings(env=FULL_ENV, stored=stored).credentials is not None


def test_store_of_other_app_is_ignored() -> None:
    """Stored credentials for a different client id are never mixed in."""

    def stored(client_id: str | None) -> ClientCredentials | None:
        return ClientCredentials(OTHER_ID, CANARY_SECRET, OTHER_ENV)

    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env={"PINGONE_CLIENT_ID": CANARY_CLIENT_ID}, stored=stored)
    assert "client_secret" in info.value.message
    assert "environment_id" in info.value.message


def test_store_returning_none_leaves_missing() -> None:
    """A store without an entry leaves the values missing."""
    r = resolve_settings(env={}, stored=lambda _cid: None, require=False)
    assert r.credentials is None
    assert r.missing == ("client_id", "client_secret", "environment_id")


def test_store_private_key_app() -> None:
    """A stored private_key_jwt app needs no secret and keeps its auth method and key."""

    def stored(client_id: str | None) -> ClientCredentials | None:
        return ClientCredentials(
            CANARY_CLIENT_ID,
            None,
            CANARY_ENV_ID,
            auth_method="private_key_jwt",
            private_key="-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----",
            key_id="k1",
        )

    creds = resolve_credentials(env={}, stored=stored)
    assert creds.auth_method == "private_key_jwt"
    assert creds.key_id == "k1"
    assert creds.client_secret is None


# --- missing values ---------------------------------------------------------------------


def test_missing_everything_one_error() -> None:
    """All missing required settings come in ONE error with where each could come from."""
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env={})
    err = info.value
    for name, var in (
        ("client_id", "PINGONE_CLIENT_ID"),
        ("client_secret", "PINGONE_CLIENT_SECRET"),
        ("environment_id", "PINGONE_ENVIRONMENT_ID"),
    ):
        assert name in err.message
        assert var in err.message
    assert [d["setting"] for d in err.details] == ["client_id", "client_secret", "environment_id"]


def test_missing_one_lists_only_it() -> None:
    """Only the settings that are actually missing are listed."""
    with pytest.raises(ConfigurationError) as info:
        resolve_credentials(client_id=CANARY_CLIENT_ID, client_secret=CANARY_SECRET, env={})
    assert [d["setting"] for d in info.value.details] == ["environment_id"]
    assert_no_canary(str(info.value))
    assert_no_canary(repr(info.value))


def test_require_false_returns_partial() -> None:
    """require=False returns what was found without credentials."""
    r = resolve_settings(client_id=CANARY_CLIENT_ID, env={}, require=False)
    assert r.credentials is None
    assert r.client_id == CANARY_CLIENT_ID
    assert r.missing == ("client_secret", "environment_id")


# --- host overrides ---------------------------------------------------------------------


def test_base_url_env_overrides() -> None:
    """PINGONE_AUTH_BASE_URL / PINGONE_API_BASE_URL override hosts, trailing slash removed."""
    env = {
        **FULL_ENV,
        "PINGONE_AUTH_BASE_URL": "https://auth.example.test/",
        "PINGONE_API_BASE_URL": "https://api.example.test/v1",
    }
    r = resolve_settings(env=env)
    assert r.auth_base_url == "https://auth.example.test"
    assert r.api_base_url == "https://api.example.test/v1"
    assert r.sources["auth_base_url"] == "env:PINGONE_AUTH_BASE_URL"


def test_go_sdk_hostname_pair() -> None:
    """The Go SDK hostname pair becomes https base URLs (API with /v1)."""
    env = {
        **FULL_ENV,
        "PINGONE_AUTH_SERVICE_HOSTNAME": "auth.example.test",
        "PINGONE_API_SERVICE_HOSTNAME": "api.example.test",
    }
    r = resolve_settings(env=env)
    assert r.auth_base_url == "https://auth.example.test"
    assert r.api_base_url == "https://api.example.test/v1"
    assert r.sources["auth_base_url"] == "env:PINGONE_AUTH_SERVICE_HOSTNAME"
    assert r.sources["api_base_url"] == "env:PINGONE_API_SERVICE_HOSTNAME"


def test_base_url_beats_go_hostname() -> None:
    """PINGONE_AUTH_BASE_URL wins over PINGONE_AUTH_SERVICE_HOSTNAME."""
    env = {
        **FULL_ENV,
        "PINGONE_AUTH_BASE_URL": "https://one.example.test",
        "PINGONE_AUTH_SERVICE_HOSTNAME": "two.example.test",
        "PINGONE_API_SERVICE_HOSTNAME": "api.example.test",
    }
    assert resolve_settings(env=env).auth_base_url == "https://one.example.test"


@pytest.mark.parametrize(
    ("have", "lack"),
    [
        ("PINGONE_AUTH_SERVICE_HOSTNAME", "PINGONE_API_SERVICE_HOSTNAME"),
        ("PINGONE_API_SERVICE_HOSTNAME", "PINGONE_AUTH_SERVICE_HOSTNAME"),
    ],
)
def test_go_sdk_hostname_needs_both(have: str, lack: str) -> None:
    """Overriding one Go SDK hostname without the other is an error naming both."""
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env={**FULL_ENV, have: "h.example.test"})
    assert have in info.value.message
    assert lack in info.value.message


def test_go_sdk_pair_checked_in_env_file(tmp_path: Path) -> None:
    """The hostname pair rule applies to .env files too, naming the file."""
    env_file = write_env(tmp_path, "PINGONE_AUTH_SERVICE_HOSTNAME=a.example.test\n")
    with pytest.raises(ConfigurationError, match="env-file"):
        resolve_settings(env=FULL_ENV, env_file=env_file)


def test_insecure_override_rejected_with_source() -> None:
    """A plain-http host override is rejected, naming the URL and where it came from."""
    env = {**FULL_ENV, "PINGONE_AUTH_BASE_URL": "http://auth.example.test"}
    with pytest.raises(InsecureTransportError) as info:
        resolve_settings(env=env)
    assert "http://auth.example.test" in info.value.message
    assert "env:PINGONE_AUTH_BASE_URL" in info.value.message


def test_loopback_override_needs_opt_in() -> None:
    """http:// to loopback passes only with allow_loopback_http=True."""
    env = {**FULL_ENV, "PINGONE_AUTH_BASE_URL": "http://127.0.0.1:8080"}
    with pytest.raises(InsecureTransportError):
        resolve_settings(env=env)
    r = resolve_settings(env=env, allow_loopback_http=True)
    assert r.auth_base_url == "http://127.0.0.1:8080"


# --- region -----------------------------------------------------------------------------


def test_unknown_region_names_source_and_valid_codes() -> None:
    """An unknown region is an error naming its source and listing valid codes."""
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env={**FULL_ENV, "PINGONE_REGION": "mars"})
    text = str(info.value)
    assert "env:PINGONE_REGION" in text
    for code in ("NA", "EU", "CA", "AU", "SG", "AP"):
        assert code in text


# --- .env parsing -----------------------------------------------------------------------


def test_env_file_syntax(tmp_path: Path) -> None:
    """Comments, export, quotes, escapes and inline comments parse as documented."""
    path = write_env(
        tmp_path,
        "# comment\n"
        "\n"
        "export A=1\n"
        "B = two words # trailing comment\n"
        "C='single # not a comment'\n"
        'D="line\\nbreak \\"q\\""\n'
        "E=\n"
        "F=a#b\n",
    )
    assert parse_env_file(path) == {
        "A": "1",
        "B": "two words",
        "C": "single # not a comment",
        "D": 'line\nbreak "q"',
        "E": "",
        "F": "a#b",
    }


def test_env_file_missing(tmp_path: Path) -> None:
    """A given .env path that does not exist is an error naming it."""
    path = tmp_path / "nope.env"
    with pytest.raises(ConfigurationError, match=r"nope\.env"):
        resolve_settings(env=FULL_ENV, env_file=path)


@pytest.mark.parametrize("line", [f"no equals {CANARY_SECRET}", f"X='{CANARY_SECRET}"])
def test_env_file_bad_line_never_quoted(tmp_path: Path, line: str) -> None:
    """A malformed line is reported by number, never by its text."""
    path = write_env(tmp_path, f"OK=1\n{line}\n")
    with pytest.raises(ConfigurationError) as info:
        parse_env_file(path)
    assert "line 2" in info.value.message
    assert_no_canary(str(info.value))


# --- settings.json validation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ({"defaultScopes": "a b"}, "defaultScopes"),
        ({"defaultScopes": ["a", 1]}, "defaultScopes"),
        ({"tokenCacheTtlPercent": "0.8"}, "tokenCacheTtlPercent"),
        ({"tokenCacheTtlPercent": True}, "tokenCacheTtlPercent"),
        ({"tokenCacheTtlPercent": 80}, "tokenCacheTtlPercent"),
        ({"tokenCacheTtlPercent": 0}, "tokenCacheTtlPercent"),
        ({"introspectionEnabled": "yes"}, "introspectionEnabled"),
        ({"managementApiEnabled": 1}, "managementApiEnabled"),
        ({"autoDiscovery": None, "region": 3}, "region"),
        ({"clientid": "x"}, "clientid"),
    ],
)
def test_settings_type_errors_name_file_and_key(tmp_path: Path, block: Any, key: str) -> None:
    """A wrongly typed or unknown key is an error naming the file and the dotted key."""
    path = write_settings(tmp_path, block)
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env=FULL_ENV, settings_file=path)
    assert str(path) in info.value.message
    assert f"pingone.workerToken.{key}" in info.value.message


def test_settings_secret_refused(tmp_path: Path) -> None:
    """A client secret in settings.json is refused without echoing it."""
    path = write_settings(tmp_path, {"clientSecret": CANARY_SECRET})
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env=FULL_ENV, settings_file=path)
    assert "clientSecret" in info.value.message
    assert_no_canary(str(info.value))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "is not JSON (invalid at line 1"),
        ("[1, 2]", "top level"),
        ('{"pingone": []}', "'pingone'"),
        ('{"pingone": {"workerToken": 5}}', "pingone.workerToken"),
    ],
)
def test_settings_structure_errors(tmp_path: Path, content: str, needle: str) -> None:
    """Malformed settings files are errors naming the file and what is wrong."""
    path = tmp_path / "settings.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        resolve_settings(env=FULL_ENV, settings_file=path)
    assert str(path) in info.value.message
    assert needle in info.value.message


def test_settings_file_missing(tmp_path: Path) -> None:
    """A given settings path that does not exist is an error naming it."""
    with pytest.raises(ConfigurationError, match=r"absent\.json"):
        resolve_settings(env=FULL_ENV, settings_file=tmp_path / "absent.json")


# --- argument types ---------------------------------------------------------------------


def test_bad_argument_types() -> None:
    """Wrongly typed arguments are errors naming the setting, not echoing the value."""
    with pytest.raises(ConfigurationError, match="client_id must be a str"):
        resolve_settings(client_id=123, env=FULL_ENV)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="client_secret must be a str"):
        resolve_settings(client_secret=b"raw", env=FULL_ENV)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="scopes must be"):
        resolve_settings(scopes=[1, 2], env=FULL_ENV)  # type: ignore[list-item]


def test_resolved_repr_has_no_secret(tmp_path: Path) -> None:
    """ResolvedSettings' repr, str and the credentials' repr never show the secret."""
    env_file = write_env(tmp_path, f"PINGONE_CLIENT_SECRET={CANARY_SECRET}\n")
    r = resolve_settings(
        client_id=CANARY_CLIENT_ID, environment_id=CANARY_ENV_ID, env={}, env_file=env_file
    )
    assert r.credentials is not None
    assert r.credentials.client_secret == Secret(CANARY_SECRET)
    assert_no_canary(repr(r))
    assert_no_canary(str(r))
    assert_no_canary(repr(dict(r.sources)))


# --- validate_credential_format ---------------------------------------------------------


def test_valid_credentials_have_no_problems() -> None:
    """Well-formed UUIDs and a PingOne-style secret produce no problems."""
    assert validate_credential_format(CANARY_CLIENT_ID, GOOD_SECRET, CANARY_ENV_ID) == []
    assert validate_credential_format(CANARY_CLIENT_ID, Secret(GOOD_SECRET)) == []


def fields_of(problems: list[CredentialProblem], severity: str | None = None) -> list[str]:
    return [p.field for p in problems if severity is None or p.severity == severity]


@pytest.mark.parametrize(
    "bad_id",
    ["not-a-uuid", "6f1f0c5e8a4b4c2d9e3f0a1b2c3d4e5f", "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5"],
)
def test_non_uuid_ids_are_errors(bad_id: str) -> None:
    """Client and environment ids that are not 8-4-4-4-12 UUIDs are errors."""
    problems = validate_credential_format(bad_id, GOOD_SECRET, bad_id)
    assert fields_of(problems, "error") == ["client_id", "environment_id"]
    assert all(bad_id not in p.message + p.hint for p in problems)


def test_missing_values_are_errors() -> None:
    """Missing id and secret are reported per field."""
    problems = validate_credential_format("", None, " ")
    assert sorted(fields_of(problems, "error")) == ["client_id", "client_secret", "environment_id"]


def test_whitespace_is_an_error() -> None:
    """Whitespace copied around an id or the secret is an error."""
    problems = validate_credential_format(f" {CANARY_CLIENT_ID}\n", f"{GOOD_SECRET}\n")
    assert sorted(fields_of(problems, "error")) == ["client_id", "client_secret"]


def test_secret_equal_to_id_is_an_error() -> None:
    """A secret equal to the client id (swapped fields) is an error."""
    problems = validate_credential_format(CANARY_CLIENT_ID, CANARY_CLIENT_ID)
    assert fields_of(problems, "error") == ["client_secret"]


def test_uuid_secret_is_a_warning() -> None:
    """A secret that looks like a UUID is a warning (probably an id)."""
    problems = validate_credential_format(CANARY_CLIENT_ID, OTHER_ID)
    assert fields_of(problems, "warning") == ["client_secret"]
    assert fields_of(problems, "error") == []


def test_control_characters_are_an_error() -> None:
    """Control characters inside the secret are an error."""
    problems = validate_credential_format(CANARY_CLIENT_ID, GOOD_SECRET[:10] + "\x00" + "x" * 10)
    assert "contains control characters" in [p.message for p in problems if p.severity == "error"]


def test_unusual_characters_only_advise() -> None:
    """Characters PingOne never generates are a warning, never an error (principle 6)."""
    problems = validate_credential_format(CANARY_CLIENT_ID, "p@ss w0rd!{}ÄÖ" + "x" * 20)
    assert fields_of(problems) == ["client_secret"]
    assert fields_of(problems, "error") == []
    assert validate_credential_format(CANARY_CLIENT_ID, "p@ss!" * 8, raise_on_error=True)
    # ClientCredentials accepts such a secret too.
    ClientCredentials(CANARY_CLIENT_ID, "p@ss w0rd!{}", CANARY_ENV_ID)


@pytest.mark.parametrize(
    ("length", "expect"), [(15, True), (16, False), (1024, False), (1025, True)]
)
def test_length_boundaries_warn(length: int, expect: bool) -> None:
    """Secrets shorter than 16 or longer than 1024 characters get a warning."""
    problems = validate_credential_format(CANARY_CLIENT_ID, "a" * length)
    assert (fields_of(problems, "warning") == ["client_secret"]) is expect
    assert fields_of(problems, "error") == []


def test_wrong_secret_type() -> None:
    """A secret of the wrong type is a problem, not a crash."""
    problems = validate_credential_format(CANARY_CLIENT_ID, 12345)  # type: ignore[arg-type]
    assert fields_of(problems, "error") == ["client_secret"]


def test_raise_on_error() -> None:
    """raise_on_error raises CredentialFormatError carrying every problem, no secret."""
    secret = f" {CANARY_SECRET}"
    with pytest.raises(CredentialFormatError) as info:
        validate_credential_format("nope", secret, CANARY_ENV_ID, raise_on_error=True)
    err = info.value
    assert {p.field for p in err.problems} == {"client_id", "client_secret"}
    assert "client_id" in err.message
    assert_no_canary(str(err))
    assert_no_canary(repr(err))
    assert_no_canary(repr(err.problems))


def test_problem_is_frozen() -> None:
    """CredentialProblem is immutable."""
    problem = CredentialProblem("client_id", "m", "h")
    with pytest.raises(AttributeError):
        problem.field = "x"  # type: ignore[misc]
    assert str(problem) == "client_id: m (h)"
