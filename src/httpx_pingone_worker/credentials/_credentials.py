"""``ClientCredentials``: what a worker app needs to get a token."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._regions import Region
from httpx_pingone_worker._core._secrets import Secret, take_secret
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


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    """A worker app's credentials and where its environment lives.

    ``client_secret`` is kept as a ``Secret`` (a plain ``str`` is wrapped);
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
        # Wrapped first: a failure below unwinds through this frame, and its locals are
        # printed by pytest -l and TracebackException(capture_locals=True).
        client_secret, bad_secret = take_secret(client_secret)
        private_key, bad_key = take_secret(private_key, allow_bytes=True)
        for name, problem in (("client_secret", bad_secret), ("private_key", bad_key)):
            if problem is not None:  # a TypeError, as Secret() raises (the value not shown)
                raise TypeError(
                    f"ClientCredentials {name} takes a str or Secret, not {problem}; "
                    "decode bytes first (the value itself is not shown)"
                )
        missing = [] if isinstance(client_id, str) and client_id.strip() else ["client_id"]
        # None: no PingOne environment (a custom OIDC server). Blank: a value that went
        # missing on the way (an empty PINGONE_ENVIRONMENT_ID), reported like the others.
        if environment_id is not None and (
            not isinstance(environment_id, str) or not environment_id.strip()
        ):
            missing.append("environment_id")
        method = parse_auth_method(auth_method)
        if method == "private_key_jwt":
            if private_key is None:
                missing.append("private_key")
        elif client_secret is None:
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
        secret = client_secret
        pkey = private_key
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
        # getattr with defaults: a half-built instance (its __init__ raised) is repr'd by
        # TracebackException(capture_locals=True) and pytest -l, which must not crash.
        secret = None if getattr(self, "client_secret", None) is None else "Secret('**********')"
        key = (
            ""
            if getattr(self, "private_key", None) is None
            else ", private_key=Secret('**********')"
        )
        region = getattr(self, "region", None)
        return (
            f"ClientCredentials(client_id={getattr(self, 'client_id', None)!r}, "
            f"client_secret={secret}, "
            f"environment_id={getattr(self, 'environment_id', None)!r}, "
            f"region={getattr(region, 'value', None)!r}, "
            f"scopes={sorted(getattr(self, 'scopes', ()))!r}, "
            f"auth_method={getattr(self, 'auth_method', None)!r}{key})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("ClientCredentials refuses to be pickled: it holds a secret")

    # Immutable: a copy is the object itself (and copy must not go through __reduce__).
    def __copy__(self) -> ClientCredentials:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> ClientCredentials:
        return self
