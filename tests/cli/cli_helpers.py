"""Shared types and helpers of the console tests."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from canary import assert_no_canary


@dataclass
class CliResult:
    """Exit status and captured streams of one console run."""

    code: int
    out: str
    err: str

    @property
    def all(self) -> str:
        """stdout and stderr together (for leak checks)."""
        return self.out + "\n" + self.err

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


Cli = Callable[..., CliResult]


@dataclass
class TokenRecorder(httpx.BaseTransport):
    """Wraps a transport and remembers every access token the token endpoint handed out."""

    inner: httpx.BaseTransport
    tokens: list[str] = field(default_factory=list)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/as/token") and response.status_code == 200:
            response.read()
            self.tokens.append(response.json()["access_token"])
        return response

    def close(self) -> None:
        self.inner.close()


def assert_no_leak(text: str, secrets: Iterable[str], client_id: str = "") -> None:
    """No canary, no given secret or token (raw, a 16-char slice, or Basic-encoded) in ``text``."""
    needles: list[str] = []
    for value in secrets:
        needles.append(value)
        if len(value) > 24:
            needles.append(value[4:20])
        if client_id:
            needles.append(base64.b64encode(f"{client_id}:{value}".encode()).decode())
    assert_no_canary(text, extra=needles)
