"""Every token-endpoint fault, every client auth method, every way to ask: no canary shows.

The fake endpoint echoes what it received (the form, the ``Authorization`` header) in its
error bodies, as a careless proxy might; the library must quote none of it. Each failure is
rendered with every frame's locals and the whole exception chain (``.request``,
``.response`` included).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from leak_support import exposure, failure

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    PingOneWorkerAuth,
    RetryPolicy,
    Secret,
    arequest_client_credentials_token,
    request_client_credentials_token,
)

API = f"https://api.pingone.com/v1/environments/{CANARY_ENV_ID}"
TOKEN_URL = f"https://auth.pingone.com/{CANARY_ENV_ID}/as/token"
ONE_TRY = RetryPolicy(max_attempts=1)
METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"]


@pytest.fixture(scope="module")
def pem() -> Secret:
    """A fresh PEM key, wrapped: the test's own frames must not hold it raw either."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Secret(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
    )


class Endpoint:
    """A token endpoint answering with ``fault``; remembers the credentials it was sent."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self._record(request)  # in its own frame: this one's locals stay free of credentials
        if self.fault == "connect":
            raise httpx.ConnectError("refused", request=request)
        if self.fault == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        return self._answer(
            request.content + b" " + request.headers.get("authorization", "").encode()
        )

    def _record(self, request: httpx.Request) -> None:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        for name in ("client_secret", "client_assertion"):
            if name in form:
                self.seen.append(form[name])
        if "authorization" in request.headers:
            self.seen.append(request.headers["authorization"].split(" ", 1)[-1])

    def _answer(self, echo: bytes) -> httpx.Response:
        answers: dict[str, Callable[[], httpx.Response]] = {
            "400 echo": lambda: httpx.Response(
                400, json={"error": "invalid_client", "error_description": echo.decode()}
            ),
            "400 bare echo": lambda: httpx.Response(
                400,
                json={"error": "invalid_client", "error_description": f"got {self._bare()} !"},
            ),
            "401 echo": lambda: httpx.Response(401, content=echo),
            "403 html": lambda: httpx.Response(403, html=f"<p>{echo.decode()}</p>"),
            "500 echo": lambda: httpx.Response(500, content=echo),
            "503": lambda: httpx.Response(503, headers={"Retry-After": "1"}),
            "200 malformed": lambda: httpx.Response(200, content=b'{"access_token": "x'),
            "200 not an object": lambda: httpx.Response(200, json=[echo.decode()]),
            "200 no token": lambda: httpx.Response(200, json={"token_type": "Bearer"}),
            "200 bad token_type": lambda: httpx.Response(
                200, json={"access_token": CANARY_TOKEN, "token_type": "MAC", "expires_in": 60}
            ),
            "200 bad expires_in": lambda: httpx.Response(
                200, json={"access_token": CANARY_TOKEN, "token_type": "Bearer", "expires_in": [1]}
            ),
        }
        return answers[self.fault]()

    def _bare(self) -> str:
        """The credential last received, as a server would name it: the secret itself (a
        Basic value decoded), or the client assertion."""
        last = self.seen[-1]
        if last.startswith("ey"):
            return last
        with contextlib.suppress(ValueError, IndexError):
            return unquote_plus(base64.b64decode(last, validate=True).decode().split(":", 1)[1])
        return last

    def needles(self) -> list[str]:
        """What was sent as a credential (assertions, Basic values), worth hiding too."""
        return [s for s in self.seen if len(s) > 16]


FAULTS = [
    "400 echo",
    "400 bare echo",
    "401 echo",
    "403 html",
    "500 echo",
    "503",
    "200 malformed",
    "200 not an object",
    "200 no token",
    "200 bad token_type",
    "200 bad expires_in",
    "connect",
    "timeout",
]


def _secret_args(method: str, pem: Secret) -> dict[str, Any]:
    if method == "private_key_jwt":
        return {"client_secret": None, "private_key": pem, "auth_method": method}
    return {"client_secret": CANARY_SECRET, "auth_method": method}


def _pem_needles(pem: Secret) -> list[str]:
    """Slices of the key's body (past the ASN.1 prefix every RSA-2048 key shares)."""
    body = "".join(pem.get_secret_value().splitlines()[1:-1])
    return [body[i : i + 40] for i in range(64, len(body) - 40, 200)]


def _ways(method: str, pem: Secret, endpoint: Endpoint) -> Iterator[tuple[str, Callable[[], Any]]]:
    def auth() -> PingOneWorkerAuth:
        return PingOneWorkerAuth(
            client_id=CANARY_CLIENT_ID,
            environment_id=CANARY_ENV_ID,
            retry=ONE_TRY,
            http_client=httpx.Client(transport=httpx.MockTransport(endpoint)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(endpoint)),
            **_secret_args(method, pem),
        )

    def through_client() -> None:
        with httpx.Client(auth=auth(), transport=httpx.MockTransport(endpoint)) as client:
            client.get(API)

    async def through_async_client() -> None:
        transport = httpx.MockTransport(endpoint)
        async with httpx.AsyncClient(auth=auth(), transport=transport) as client:
            await client.get(API)

    def standalone() -> None:
        with httpx.Client(transport=httpx.MockTransport(endpoint)) as client:
            request_client_credentials_token(
                TOKEN_URL,
                CANARY_CLIENT_ID,
                client=client,
                retry=ONE_TRY,
                **_secret_args(method, pem),
            )

    async def astandalone() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(endpoint)) as client:
            await arequest_client_credentials_token(
                TOKEN_URL,
                CANARY_CLIENT_ID,
                client=client,
                retry=ONE_TRY,
                **_secret_args(method, pem),
            )

    yield "httpx.Client(auth=...)", through_client
    yield "get_token()", lambda: auth().get_token()
    yield "httpx.AsyncClient(auth=...)", lambda: asyncio.run(through_async_client())
    yield "request_client_credentials_token", standalone
    yield "arequest_client_credentials_token", lambda: asyncio.run(astandalone())


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("method", METHODS)
def test_token_endpoint_fault_shows_no_credential(
    method: str, fault: str, pem: Secret, caplog: pytest.LogCaptureFixture
) -> None:
    """Sync, async, auth and standalone: the error, its chain and the DEBUG log lines show
    no credential."""
    caplog.set_level("DEBUG")
    for way, call in _ways(method, pem, endpoint := Endpoint(fault)):
        exc = failure(call)
        text = exposure(exc) + "\n" + caplog.text
        try:
            assert_no_canary(text, [*endpoint.needles(), *_pem_needles(pem)])
        except AssertionError as err:
            raise AssertionError(f"{way}: {err}") from None


def test_credentials_object_with_each_method_fails_cleanly(pem: Secret) -> None:
    """`ClientCredentials` carrying a key, used by the standalone call against a fault."""
    endpoint = Endpoint("500 echo")
    creds = ClientCredentials(
        CANARY_CLIENT_ID, None, CANARY_ENV_ID, auth_method="private_key_jwt", private_key=pem
    )

    def call() -> None:
        with httpx.Client(transport=httpx.MockTransport(endpoint)) as client:
            request_client_credentials_token(
                TOKEN_URL,
                creds.client_id,
                None,
                auth_method=creds.auth_method,
                private_key=creds.private_key,
                client=client,
                retry=ONE_TRY,
            )

    assert_no_canary(exposure(failure(call)), [*endpoint.needles(), *_pem_needles(pem)])


def test_reloaded_secret_refused_again_is_not_shown() -> None:
    """After `invalid_client` the secret provider is asked again; its (new, raw) secret is
    refused too: the error's frames (the fetch flow retried with it) do not show it."""
    refusing = Endpoint("400 echo")

    def build() -> PingOneWorkerAuth:
        return PingOneWorkerAuth(
            CANARY_CLIENT_ID,
            "the-first-secret-0123456789",
            CANARY_ENV_ID,
            secret_provider=lambda: CANARY_SECRET,
            auth_method="client_secret_post",
            retry=ONE_TRY,
            http_client=httpx.Client(transport=httpx.MockTransport(refusing)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(refusing)),
        )

    assert_no_canary(exposure(failure(lambda: build().get_token())), refusing.needles())
    assert_no_canary(
        exposure(failure(lambda: asyncio.run(build().aget_token()))), refusing.needles()
    )
    assert CANARY_SECRET in refusing.seen  # the provider's secret was really sent
