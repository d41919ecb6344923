"""PingOne's filter subset on users, `GET /applications?filter=` and the application's
`tokenEndpointAuthMethod`, through HTTP against the emulator.

Source of the users table: Ping's "SCIM filter language" page
(docs.pingidentity.com/pingone/directory/p1_scim_filter_language.html): `eq`, `sw` on the
listed attributes, `ew` on `email`, `name.family`, `name.given`, `co` on `name.family`,
`name.given`; `and`, `or` and parentheses; "These SCIM operators are not supported: ne, pr,
gt, ge, lt, le, not". `memberOfGroups[id eq "…"]`: "Read All Users in a Group with Other
User Attribute" (developer.pingidentity.com/pingone-api/platform/users/group-membership/).
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Api, assert_pingone_error

#: (attribute, operator, a JSON body that sets it, the value to compare with) — each
#: documented attribute of the page, with an operator the page lists for it.
DOCUMENTED: list[tuple[str, str, dict[str, object], str]] = [
    ("address.streetAddress", "eq", {"address": {"streetAddress": "1 Main St"}}, "1 main st"),
    ("address.locality", "eq", {"address": {"locality": "Denver"}}, "Denver"),
    ("address.region", "sw", {"address": {"region": "Colorado"}}, "Colo"),
    ("address.postalCode", "sw", {"address": {"postalCode": "80202"}}, "802"),
    ("address.countryCode", "sw", {"address": {"countryCode": "US"}}, "U"),
    ("email", "ew", {}, "@filters.example.com"),
    ("externalId", "sw", {"externalId": "ext-42"}, "ext-4"),
    ("locale", "eq", {"locale": "en-US"}, "en-us"),
    ("mobilePhone", "eq", {"mobilePhone": "+15550100"}, "+15550100"),
    ("name.formatted", "sw", {"name": {"formatted": "Zed Quux"}}, "Zed Q"),
    ("name.given", "co", {"name": {"given": "Zelda", "family": "Quux"}}, "eld"),
    ("name.middle", "sw", {"name": {"middle": "Marie"}}, "Mar"),
    ("name.family", "ew", {"name": {"family": "Quuxley"}}, "xley"),
    ("name.honorificPrefix", "eq", {"name": {"honorificPrefix": "Dr"}}, "Dr"),
    ("name.honorificSuffix", "sw", {"name": {"honorificSuffix": "PhD"}}, "Ph"),
    ("nickname", "eq", {"nickname": "Zee"}, "zee"),
    ("photo.href", "sw", {"photo": {"href": "https://img.example.com/z.png"}}, "https://img"),
    ("preferredLanguage", "eq", {"preferredLanguage": "fr"}, "fr"),
    ("primaryPhone", "sw", {"primaryPhone": "+4412345"}, "+44"),
    ("timezone", "eq", {"timezone": "Europe/Paris"}, "Europe/Paris"),
    ("title", "sw", {"title": "Chief Quux"}, "Chief"),
    ("type", "eq", {"type": "Contractor"}, "contractor"),
    ("username", "sw", {}, "filter.target"),
]


@pytest.mark.parametrize(("attribute", "op", "attrs", "value"), DOCUMENTED)
def test_documented_attribute_filters(
    api: Api, attribute: str, op: str, attrs: dict[str, object], value: str
) -> None:
    """Every attribute the SCIM filter language page lists works with its operator and
    selects exactly the user that has the value (case-insensitively)."""
    user = api.create_user("filter.target", **attrs)
    if attribute == "email":
        api.ok("PATCH", f"/users/{user['id']}", json={"email": "t@filters.example.com"})
    api.create_user("filter.other")
    found = api.all("/users", "users", filter=f'{attribute} {op} "{value}"')
    assert [u["id"] for u in found] == [user["id"]]


def test_account_id_is_a_filterable_attribute(api: Api) -> None:
    """`accountId eq` is accepted (the page lists it) and matches nobody here."""
    assert api.all("/users", "users", filter='accountId eq "x"') == []


@pytest.mark.parametrize(
    "flt",
    [
        'username ne "x"',
        "email pr",
        'username gt "a"',
        'username ge "a"',
        'username lt "z"',
        'username le "z"',
        'not (username eq "x")',
        'email co "example"',
        'username ew "x"',
        'population.id sw "x"',
        'memberOfGroups[id sw "x"]',
    ],
)
def test_unsupported_user_operators_are_refused(api: Api, flt: str) -> None:
    """`ne pr gt ge lt le not` are not supported on users (the page says so), nor an
    operator the page does not list for the attribute: 400 INVALID_DATA / INVALID_FILTER."""
    r = api.get("/users", params={"filter": flt})
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_FILTER")
    assert detail["target"] == "filter"
    assert detail["innerError"]["supportedOperators"]  # says what to use instead


def test_unknown_attribute_lists_the_supported_ones(api: Api) -> None:
    """An attribute the users filter does not take: INVALID_FILTER whose innerError lists
    the supported attributes (the official spec's `supportedAttributes`)."""
    r = api.get("/users", params={"filter": 'shoeSize eq "44"'})
    (detail,) = assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_FILTER")
    supported = detail["innerError"]["supportedAttributes"]
    assert {"username", "address.locality", "memberOfGroups"} <= set(supported)


def test_member_of_groups_and_population_filters(api: Api) -> None:
    """`memberOfGroups[id eq "…"] and name.family eq "…"` (the API reference's example) and
    `population.id eq`."""
    group = api.ok("POST", "/groups", json={"name": "Filtered"})
    demo = api.create_user("demo.one", name={"given": "D", "family": "demo"})
    api.create_user("demo.two", name={"given": "D", "family": "demo"})
    api.ok("POST", f"/users/{demo['id']}/memberOfGroups", json={"id": group["id"]})
    flt = f'memberOfGroups[id eq "{group["id"]}"] and name.family eq "demo"'
    assert [u["id"] for u in api.all("/users", "users", filter=flt)] == [demo["id"]]
    pop = demo["population"]["id"]
    in_pop = api.all("/users", "users", filter=f'population.id eq "{pop}"')
    assert demo["id"] in {u["id"] for u in in_pop}


def test_applications_filter_is_refused(api: Api) -> None:
    """READ All Applications has no `filter` parameter (SDK spec
    `/environments/{environmentID}/applications` GET; absent from the query parameter quick
    reference): the emulator refuses it instead of ignoring it, so code never trusts a filter
    PingOne does not apply."""
    assert api.ok("GET", "/applications")["_embedded"]["applications"]
    r = api.get("/applications", params={"filter": 'name eq "x"'})
    assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_FILTER")


def test_put_application_sets_token_endpoint_auth_method(api: Api) -> None:
    """`PUT /applications/{id}` takes `tokenEndpointAuthMethod` (SDK spec `ApplicationOIDC`,
    `EnumApplicationOIDCTokenAuthMethod`); a value a worker cannot use is refused."""
    worker = api.emu.add_worker_app(name="Switch", roles=[])
    body = {
        "name": "Switch",
        "enabled": True,
        "type": "WORKER",
        "protocol": "OPENID_CONNECT",
        "tokenEndpointAuthMethod": "CLIENT_SECRET_POST",
    }
    out = api.ok("PUT", f"/applications/{worker.client_id}", json=body)
    assert out["tokenEndpointAuthMethod"] == "CLIENT_SECRET_POST"
    again = api.ok("GET", f"/applications/{worker.client_id}")
    assert again["tokenEndpointAuthMethod"] == "CLIENT_SECRET_POST"
    for bad in ("NONE", "client_secret_post", "BOGUS", "PRIVATE_KEY_JWT"):
        r = api.call(
            "PUT",
            f"/applications/{worker.client_id}",
            json={**body, "tokenEndpointAuthMethod": bad},
        )
        assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_VALUE")
    assert api.ok("GET", f"/applications/{worker.client_id}")["tokenEndpointAuthMethod"] == (
        "CLIENT_SECRET_POST"
    )


_PIECES = st.sampled_from(
    [
        "username",
        "email",
        "name.given",
        "memberOfGroups",
        "eq",
        "sw",
        "ne",
        "pr",
        "not",
        "and",
        "or",
        "(",
        ")",
        "[",
        "]",
        '"x"',
        '"\\q"',
        '"',
        "true",
        "null",
        "12",
        "1.5",
        "\\",
        "~",
        "é",
        "\x00",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.lists(_PIECES, max_size=14).map(" ".join),
        st.text(alphabet=string.printable + "éß\u2028", max_size=60),
        st.integers(1, 400).map(lambda n: "(" * n + 'username eq "a"' + ")" * n),
        st.integers(1, 400).map(lambda n: "not (" * n),
    )
)
def test_garbage_filters_never_500(shared_api: Api, flt: str) -> None:
    """Any filter text: 200, or 400 with PingOne's INVALID_FILTER body; never a 500."""
    r = shared_api.get("/users", params={"filter": flt, "limit": "5"})
    if r.status_code != 200:
        assert_pingone_error(r, 400, "INVALID_DATA", "INVALID_FILTER")
