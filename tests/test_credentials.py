"""``ClientCredentials`` and auth method parsing."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, assert_no_canary
from httpx_pingone_worker import ClientCredentials, Region, Secret
from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker.credentials._credentials import AUTH_METHODS, parse_auth_method

PEM = "-----BEGIN PRIVATE KEY-----\nMIIfake\n-----END PRIVATE KEY-----\n"


def creds(**kw: object) -> ClientCredentials:
    args: dict[str, object] = {
        "client_id": CANARY_CLIENT_ID,
        "client_secret": CANARY_SECRET,
        "environment_id": CANARY_ENV_ID,
    }
    args.update(kw)
    return ClientCredentials(**args)  # type: ignore[arg-type]


def test_fields_normalised() -> None:
    """Secret wrapped, ids stripped, region parsed, scopes normalised."""
    c = creds(client_id=f" {CANARY_CLIENT_ID} ", region="eu", scopes="b a")
    assert c.client_id == CANARY_CLIENT_ID
    assert isinstance(c.client_secret, Secret)
    assert c.client_secret.get_secret_value() == CANARY_SECRET
    assert c.region is Region.EU
    assert c.scopes == frozenset({"a", "b"})
    assert c.auth_method == "client_secret_basic"
    assert c.private_key is None


def test_positional_arguments() -> None:
    """The first five parameters may be positional."""
    c = ClientCredentials(CANARY_CLIENT_ID, Secret(CANARY_SECRET), CANARY_ENV_ID, "AP", ["x"])
    assert (c.region, c.scopes) == (Region.AP, frozenset({"x"}))


def test_repr_masked() -> None:
    """repr and str show ids, never the secret or private key."""
    c = creds(auth_method="private_key_jwt", private_key=PEM + CANARY_SECRET)
    for text in (repr(c), str(c), f"{c}", repr([c])):
        assert_no_canary(text)
        assert "MIIfake" not in text
        assert CANARY_CLIENT_ID in text


def test_repr_says_which_secrets_are_present() -> None:
    """repr marks a secret or private key as present (masked) and an absent secret as None."""
    with_secret = repr(creds())
    assert "client_secret=Secret('**********')" in with_secret
    assert "private_key" not in with_secret
    key_only = repr(creds(client_secret=None, auth_method="private_key_jwt", private_key=PEM))
    assert "client_secret=None" in key_only
    assert "private_key=Secret('**********')" in key_only


def test_pickle_refused() -> None:
    """Pickling is refused: the object holds a secret."""
    with pytest.raises(TypeError, match="refuses to be pickled"):
        pickle.dumps(creds())


def test_copy_and_replace() -> None:
    """copy/deepcopy return the same immutable object; dataclasses.replace works."""
    c = creds()
    assert copy.copy(c) is c
    assert copy.deepcopy(c) is c
    other = dataclasses.replace(c, region=Region.SG)
    assert other.region is Region.SG
    assert other.client_secret == c.client_secret


def test_frozen() -> None:
    """Fields cannot be reassigned."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds().client_id = "x"  # type: ignore[misc]


def test_missing_fields_listed_together() -> None:
    """Every missing field is named in one error; the secret is never echoed."""
    with pytest.raises(ConfigurationError) as info:
        ClientCredentials("", None, "  ")
    msg = info.value.message
    assert "client_id" in msg
    assert "environment_id" in msg
    assert "client_secret" in msg
    with pytest.raises(ConfigurationError) as info2:
        ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, "")
    assert "environment_id" in info2.value.message
    assert "client_id" not in info2.value.message
    assert_no_canary(str(info2.value))


def test_empty_secret_is_missing() -> None:
    """An empty secret counts as missing for secret-based methods."""
    with pytest.raises(ConfigurationError, match="client_secret"):
        creds(client_secret="")


def test_private_key_jwt_needs_key_not_secret() -> None:
    """private_key_jwt requires private_key (str or bytes) and no secret."""
    c = creds(client_secret=None, auth_method="PRIVATE_KEY_JWT", private_key=PEM.encode())
    assert c.auth_method == "private_key_jwt"
    assert isinstance(c.private_key, Secret)
    assert c.private_key.get_secret_value() == PEM
    with pytest.raises(ConfigurationError, match="private_key"):
        creds(auth_method="private_key_jwt")
    with pytest.raises(ConfigurationError, match="private_key"):
        creds(auth_method="private_key_jwt", private_key=b"")


def test_any_secret_characters_accepted() -> None:
    """Constructors never reject a secret for its characters (principle 6)."""
    c = creds(client_secret="  sp ace\ttab ü € \"quote' ")
    assert c.client_secret is not None
    assert c.client_secret.get_secret_value() == "  sp ace\ttab ü € \"quote' "


def test_unknown_region_rejected() -> None:
    """An unknown region is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="unknown PingOne region"):
        creds(region="XX")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("client_secret_basic", "client_secret_basic"),
        ("CLIENT_SECRET_POST", "client_secret_post"),
        (" Client_Secret_JWT ", "client_secret_jwt"),
        ("private_key_jwt", "private_key_jwt"),
    ],
)
def test_parse_auth_method(given: str, expected: str) -> None:
    """Both spellings of the four methods are accepted."""
    assert parse_auth_method(given) == expected
    assert expected in AUTH_METHODS


@pytest.mark.parametrize("bad", ["none", "NONE", "basic", "", "tls_client_auth"])
def test_parse_auth_method_unknown(bad: str) -> None:
    """Unknown methods are errors listing the supported ones."""
    with pytest.raises(ConfigurationError) as info:
        parse_auth_method(bad)
    assert info.value.hint is not None
    for method in AUTH_METHODS:
        assert method in info.value.hint


def test_parse_auth_method_wrong_type() -> None:
    """A non-string method is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="must be a str"):
        parse_auth_method(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("blank", ["   ", "\n", Secret(""), Secret(" \t ")])
def test_blank_secret_is_missing_even_inside_a_secret(blank: str | Secret) -> None:
    """A whitespace-only secret, or an empty one wrapped in Secret, counts as missing."""
    with pytest.raises(ConfigurationError, match="missing client_secret"):
        creds(client_secret=blank)


@pytest.mark.parametrize("blank", [Secret(""), " ", b"  "])
def test_blank_private_key_is_missing(blank: str | bytes | Secret) -> None:
    """private_key_jwt with an empty or whitespace-only key (str, bytes or Secret) is refused."""
    with pytest.raises(ConfigurationError, match="missing private_key"):
        creds(client_secret=None, auth_method="private_key_jwt", private_key=blank)


def test_secret_of_wrong_type_is_a_type_error() -> None:
    """A secret that is not str/Secret fails with Secret's TypeError, never an AttributeError."""
    with pytest.raises(TypeError, match="takes a str"):
        creds(client_secret=12345)  # type: ignore[arg-type]
