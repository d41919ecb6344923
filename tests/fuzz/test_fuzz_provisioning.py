"""Lookups and idempotent writes with garbage arguments and garbage server answers: a library
error (or a correct result), never a builtin exception, a hang or an echoed secret."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fuzz_support import CANARY, library_error
from hypothesis import given
from hypothesis import strategies as st

from httpx_pingone_worker import ManagementApiError, PingOneClient, PingOneError
from httpx_pingone_worker.emulator import PingOneEmulator

ENV = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
EMU = PingOneEmulator(users=3)

#: Any text, including quotes, backslashes, control characters and the canary secret.
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(['"', "\\", '\\"', 'a" or username pr or "', CANARY, "\x00", " "]),
)
ANY = st.one_of(TEXT, st.none(), st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))


def _emulator_client() -> PingOneClient:
    creds = EMU.credentials
    from httpx_pingone_worker import PingOneWorkerAuth

    auth = PingOneWorkerAuth(
        creds.client_id, creds.client_secret, creds.environment_id, clock=EMU.clock.now
    )
    return PingOneClient(auth=auth, transport=EMU.transport(), rate_limiter=False, retry=False)


@given(username=ANY, email=ANY)
def test_find_user_with_any_values_finds_exactly_or_errs(username: Any, email: Any) -> None:
    """Any username/email: the exact match (quoting done by the library), None, or an error."""
    EMU.reset()
    with _emulator_client() as client:
        found = library_error(
            lambda: client.find_user(username=username, email=email), PingOneError
        )
    if isinstance(found, PingOneError):
        assert isinstance(found, (ValueError, ManagementApiError))
    elif found is not None:
        assert isinstance(username, str) or isinstance(email, str)
        if isinstance(username, str):
            assert (found.username or "").casefold() == username.casefold()


@given(name=ANY, description=st.one_of(st.none(), TEXT))
def test_get_or_create_group_with_any_name(name: Any, description: Any) -> None:
    """Any group name: created once and found again, or a library error (nothing half-made)."""
    EMU.reset()
    with _emulator_client() as client:
        first = library_error(
            lambda: client.get_or_create_group(name, description=description), PingOneError
        )
        if isinstance(first, PingOneError):
            return
        group, created = first
        assert created is True
        again = client.get_or_create_group(name)
        assert again == (group, False)


@given(
    status=st.sampled_from([200, 201, 400, 403, 404, 409, 429, 500, 503]),
    body=st.one_of(
        st.binary(max_size=60),
        st.builds(
            json.dumps,
            st.recursive(
                st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
                lambda inner: (
                    st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)
                ),
                max_leaves=8,
            ),
        ),
    ),
)
def test_garbage_answers_end_in_library_errors(status: int, body: Any) -> None:
    """Whatever PingOne's side answers, the idempotent writes end in a result or a library error."""
    content = body if isinstance(body, bytes) else body.encode()

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"Retry-After": "x"})

    with PingOneClient(
        token="static-token-abcdefghijkl",
        environment_id=ENV,
        transport=httpx.MockTransport(answer),
        rate_limiter=False,
        retry=False,
    ) as client:
        for call in (
            lambda: client.get_or_create_group("Eng"),
            lambda: client.create_or_update_user(username="ada", email="a@example.com"),
            lambda: client.find_user(email="a@example.com"),
            lambda: client.add_user_to_group("u", "g", exist_ok=True),
            lambda: client.remove_user_from_group("u", "g", missing_ok=True),
            lambda: list(client.iter_user_groups("u")),
        ):
            library_error(call, PingOneError)
