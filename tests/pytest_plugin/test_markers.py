"""The pingone marker: registration, nearest-first merging, and clear errors for typos."""

from __future__ import annotations

import pytest

SHOW_SETTINGS = """
from pytest_pingone._fixtures import item_settings

@pytest.fixture
def settings(request):
    s = item_settings(request.node)
    return dict(s.values)
"""


def test_marker_is_registered_with_its_full_signature(ptr: pytest.Pytester) -> None:
    """`pytest --markers` lists pingone with every keyword, so --strict-markers accepts it."""
    result = ptr.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.pingone(region=None, token_lifetime=None, auth_method=None, "
            "roles=None, rate_limit=None, faults=None, strict_auth=None, users=None, "
            "seed_file=None):*"
        ]
    )


def test_nearest_marker_wins_keyword_by_keyword(ptr: pytest.Pytester) -> None:
    """Module, class and function markers merge; the closest one wins per keyword."""
    ptr.makepyfile(
        "import pytest\n"
        + SHOW_SETTINGS
        + """
pytestmark = pytest.mark.pingone(region="AU", roles=["Identity Data Admin"], strict_auth=True)

@pytest.mark.pingone(region="eu", token_lifetime=600)
class TestInClass:
    @pytest.mark.pingone(token_lifetime=300, faults={"endpoint": "token", "status": 503})
    def test_function_level(self, settings):
        assert settings["region"] == "EU"            # class beats module
        assert settings["token_lifetime"] == 300     # function beats class
        assert settings["roles"] == ("Identity Data Admin",)  # from the module
        assert settings["strict_auth"] is True
        assert [dict(f) for f in settings["faults"]] == [{"endpoint": "token", "status": 503}]

    def test_class_level(self, settings):
        assert settings == {
            "region": "EU", "token_lifetime": 600,
            "roles": ("Identity Data Admin",), "strict_auth": True,
        }

def test_module_level(settings):
    assert settings["region"] == "AU" and "token_lifetime" not in settings

@pytest.mark.pingone(auth_method="CLIENT_SECRET_POST", rate_limit=5, roles="Environment Admin")
def test_values_are_normalised(settings):
    assert settings["auth_method"] == "client_secret_post"
    assert settings["roles"] == ("Environment Admin",)
    assert settings["rate_limit"] == 5
"""
    )
    ptr.runpytest("--strict-markers").assert_outcomes(passed=4)


@pytest.mark.parametrize(
    ("marker", "expected"),
    [
        (
            "pingone(token_lifetim=300)",
            "*pingone marker got an unknown keyword 'token_lifetim' (did you mean "
            "'token_lifetime'?); valid keywords: region, token_lifetime, auth_method, roles, "
            "rate_limit, faults, strict_auth, users, seed_file",
        ),
        ("pingone(users=-1)", "*users= must be an int >= 0*"),
        ("pingone(seed_file=3)", "*seed_file= must be a path*"),
        ("pingone('EU')", "*pingone marker takes keyword arguments only, got positional*"),
        ("pingone(region='mars')", "*pingone marker region=: unknown PingOne region 'mars'*"),
        ("pingone(token_lifetime=-1)", "*token_lifetime= must be a positive int*"),
        ("pingone(strict_auth='yes')", "*strict_auth= must be True or False*"),
        ("pingone(auth_method='basic')", "*unknown token endpoint auth method 'basic'*"),
        (
            "pingone(faults=[{'endpoint': 'token', 'stauts': 503}])",
            "*faults[[]0[]] got an unknown keyword 'stauts' (did you mean 'status'?)*",
        ),
        ("pingone(faults=[{'kind': 'explode'}])", "*faults[[]0[]] kind='explode' is unknown*"),
        ("pingone(faults='token')", "*faults= must be a dict or a list of dicts*"),
    ],
)
def test_bad_marker_fails_the_test_with_a_clear_message(
    ptr: pytest.Pytester, marker: str, expected: str
) -> None:
    """A malformed marker errors its test at setup, naming the keyword and the valid ones."""
    ptr.makepyfile(
        f"""
import pytest

@pytest.mark.{marker}
def test_marked():
    pass

def test_unmarked():
    pass
"""
    )
    result = ptr.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([expected])
    assert "During handling of the above exception" not in result.stdout.str()
