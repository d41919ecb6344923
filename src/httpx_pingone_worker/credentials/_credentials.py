"""``ClientCredentials``: what a worker app needs to get a token."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker._core._secrets import Secret
from httpx_pingone_worker._core._token import normalize_scopes

__all__ = ["AUTH_METHODS", "AuthMethod", "ClientCredentials", "parse_auth_method"]

AuthMethod = Literal[
    "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"
]
AUTH_METHODS: tuple[AuthMethod, ...] = (
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
)


def parse_auth_method(value: str) -> AuthMethod:
    """Accept ``client_secret_basic`` or PingOne's ``CLIENT_SECRET_BASIC`` spelling."""
    if not isinstance(value, str):
        raise ConfigurationError(
            f"auth_method must be a str, not {type(value).__name__}",
            hint=f"use one of {', '.join(AUTH_METHODS)}",
        )
    norm = value.strip().lower()
    for method in AUTH_METHODS:
        if norm == method:
            return method
    # Quoted back only when it looks like a method name: a secret pasted into the wrong
    # setting must not reach a log through this message.
    shown = repr(value) if re.fullmatch(r"[A-Za-z_]{1,40}", value.strip()) else "(not shown)"
    raise ConfigurationError(
        f"unknown token endpoint auth method {shown}",
        hint=f"use one of {', '.join(AUTH_METHODS)}",
    )


def _blank(value: str | bytes | Secret | None) -> bool:
    """True for a missing value: ``None``, or empty / whitespace only (also inside a Secret).

    Any other characters are accepted: custom OIDC servers issue secrets of every shape.
    """
    if value is None:
        return True
    raw: object = value.get_secret_value() if isinstance(value, Secret) else value
    if not isinstance(raw, (str, bytes)):
        return False  # not blank but of the wrong type: Secret() explains that
    return not raw.strip()


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """A worker app's credentials and where its environment lives.

    ``client_secret`` is kept as a :class:`Secret` (a plain ``str`` is wrapped);
    ``private_key`` (PEM, for ``private_key_jwt``) likewise. ``repr`` shows ids, never
    secrets. ``environment_id`` is ``None`` for a client of a custom OIDC server (no PingOne
    environment): it is needed only where PingOne URLs are derived from it, and those places
    say so when it is missing.
    """

    client_id: str
    client_secret: Secret | None
    environment_id: str | None
    region: Region = Region.NA
    scopes: frozenset[str] = field(default_factory=frozenset)
    auth_method: AuthMethod = "client_secret_basic"
    private_key: Secret | None = None
    key_id: str | None = None

    def __init__(
        self,
        client_id: str,
        client_secret: str | Secret | None,
        environment_id: str | None = None,
        region: Region | str | None = Region.NA,
        scopes: str | Iterable[str] | None = None,
        *,
        auth_method: str = "client_secret_basic",
        private_key: str | bytes | Secret | None = None,
        key_id: str | None = None,
    ) -> None:
        missing = [] if isinstance(client_id, str) and client_id.strip() else ["client_id"]
        # None: no PingOne environment (a custom OIDC server). Blank: a value that went
        # missing on the way (an empty PINGONE_ENVIRONMENT_ID), reported like the others.
        if environment_id is not None and (
            not isinstance(environment_id, str) or not environment_id.strip()
        ):
            missing.append("environment_id")
        method = parse_auth_method(auth_method)
        if method == "private_key_jwt":
            if _blank(private_key):
                missing.append("private_key")
        elif _blank(client_secret):
            missing.append("client_secret")
        if missing:
            raise ConfigurationError(
                f"ClientCredentials is missing {', '.join(missing)}",
                hint="pass every value, or use resolve_credentials() to read them "
                "from PINGONE_* environment variables"
                + (
                    " (environment_id=None is for a custom OIDC server without one)"
                    if "environment_id" in missing
                    else ""
                ),
            )
        secret = None if client_secret is None else Secret(client_secret)
        if isinstance(private_key, bytes):
            private_key = private_key.decode()
        pkey = None if private_key is None else Secret(private_key)
        object.__setattr__(self, "client_id", client_id.strip())
        object.__setattr__(self, "client_secret", secret)
        object.__setattr__(
            self, "environment_id", None if environment_id is None else environment_id.strip()
        )
        object.__setattr__(self, "region", Region.parse(region))
        object.__setattr__(self, "scopes", normalize_scopes(scopes))
        object.__setattr__(self, "auth_method", method)
        object.__setattr__(self, "private_key", pkey)
        object.__setattr__(self, "key_id", key_id)

    def __repr__(self) -> str:
        # Say whether a secret / key is there (masked), never what it is.
        secret = None if self.client_secret is None else "Secret('**********')"
        key = "" if self.private_key is None else ", private_key=Secret('**********')"
        return (
            f"ClientCredentials(client_id={self.client_id!r}, client_secret={secret}, "
            f"environment_id={self.environment_id!r}, region={self.region.value!r}, "
            f"scopes={sorted(self.scopes)!r}, auth_method={self.auth_method!r}{key})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("ClientCredentials refuses to be pickled: it holds a secret")

    # Immutable: a copy is the object itself (and copy must not go through __reduce__).
    def __copy__(self) -> ClientCredentials:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> ClientCredentials:
        return self
