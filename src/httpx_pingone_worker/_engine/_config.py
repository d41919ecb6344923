"""`AuthConfig`: one auth object's settings, validated once, frozen.

`PingOneWorkerAuth(...)` hands its documented keyword arguments to `AuthConfig.build`, which
checks every one of them (a clear `ConfigurationError` saying what was wrong and how to fix
it), resolves the endpoints and the cache key, and returns one immutable object. The engine,
the lead and the auth shell read their settings from it; what changes at run time (a rotated
secret, a discovered token endpoint) lives in the engine, not here.

The secret and the private key arrive already wrapped in `Secret` (the constructor wraps
them on its first line, so no frame a failure unwinds through holds the raw value);
`take_secret` wraps what a `secret_provider` returns here, before anything else can fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._input import checked_clock, finite_arg
from httpx_pingone_worker._core._regions import (
    Endpoints,
    Region,
    check_secure_url,
    endpoints_for,
)
from httpx_pingone_worker._core._retry import DEFAULT_RETRY, RetryPolicy
from httpx_pingone_worker._core._secrets import Secret, SecretProvider, take_secret
from httpx_pingone_worker._core._testtime import current_test_time
from httpx_pingone_worker._core._token import DEFAULT_EXPIRY_MARGIN, normalize_scopes
from httpx_pingone_worker.caches._memory import cache_key as make_cache_key
from httpx_pingone_worker.credentials._credentials import (
    AuthMethod,
    ClientCredentials,
    parse_auth_method,
)

__all__ = ["AuthConfig"]


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Every setting of one auth object, checked by `build` (the only constructor to use)."""

    client_id: str
    environment_id: str | None
    region: Region
    scopes: frozenset[str]
    auth_method: AuthMethod
    client_secret: Secret | None
    private_key: Secret | None
    key_id: str | None
    #: The environment's endpoints (`None` with `issuer=` until discovery).
    endpoints: Endpoints | None
    #: The token endpoint (`None` with `issuer=`: discovered on the first fetch).
    token_endpoint: str | None
    issuer: str | None
    api_base_url: str
    cache_key: str
    refresh_ratio: float
    expiry_margin: float
    wait_timeout: float
    strict_scopes: bool
    allow_loopback_http: bool
    retry: RetryPolicy
    clock: Callable[[], float]
    sleep: Callable[[float], None] | None
    async_sleep: Callable[[float], Any] | None
    secret_provider: SecretProvider | None

    @property
    def known_issuer(self) -> str | None:
        """The issuer URL the endpoints name; a bare ``token_endpoint=`` names none (its
        endpoints carry only the token URL), an ``issuer=`` is the engine's to report."""
        ep = self.endpoints
        return ep.issuer if ep is not None and ep.introspection is not None else None

    def credentials(self, client_secret: Secret | None) -> ClientCredentials:
        """These settings as `ClientCredentials`, with ``client_secret`` (the current one)."""
        return ClientCredentials(
            self.client_id,
            client_secret,
            self.environment_id,
            self.region,
            self.scopes,
            auth_method=self.auth_method,
            private_key=self.private_key,
            key_id=self.key_id,
        )

    @classmethod
    def build(
        cls,
        client_id: object,
        client_secret: Secret | None,
        environment_id: object,
        *,
        secret_problem: str | None = None,
        key_problem: str | None = None,
        region: Region | str | None = None,
        scopes: str | Iterable[str] | None = None,
        token_endpoint: str | None = None,
        issuer: str | None = None,
        auth_method: str = "client_secret_basic",
        private_key: Secret | None = None,
        refresh_ratio: float = 0.8,
        auth_base_url: str | None = None,
        allow_loopback_http: bool = False,
        clock: Callable[[], float] | None = None,
        key_id: str | None = None,
        strict_scopes: bool = False,
        secret_provider: SecretProvider | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        api_base_url: str | None = None,
        custom_domain: str | None = None,
        expiry_margin: float = DEFAULT_EXPIRY_MARGIN,
        sleep: Callable[[float], None] | None = None,
        async_sleep: Callable[[float], Any] | None = None,
        wait_timeout: float = 120.0,
    ) -> AuthConfig:
        """Check the constructor's arguments and resolve endpoints and the cache key.

        `client_secret` / `private_key` come wrapped (`take_secret`); `secret_problem` /
        `key_problem` say what was wrong with a value of the wrong type (raised here).
        Blank counts as missing: the errors below say how to fix it. Built during an
        emulator-mode test, retries wait on the emulator's clock unless `sleep` /
        `async_sleep` are given.
        """
        test_time = current_test_time()
        if test_time is not None:
            sleep = sleep or test_time.sleep
            async_sleep = async_sleep or test_time.async_sleep
        if client_secret is None and secret_problem is None and secret_provider is not None:
            client_secret, secret_problem = take_secret(secret_provider())
        for name, problem in (("client_secret", secret_problem), ("private_key", key_problem)):
            if problem is not None:
                raise ConfigurationError(
                    f"{name} must be a str or Secret, not {problem}",
                    hint=f"pass {name} as a string (a PEM string for private_key) or a Secret",
                )
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigurationError(
                "client_id is missing or empty",
                hint="pass the worker app's client id, or use PingOneWorkerAuth.from_env()",
            )
        method = parse_auth_method(auth_method)
        if method == "private_key_jwt":
            if private_key is None:
                raise ConfigurationError(
                    "auth_method='private_key_jwt' needs private_key",
                    hint="pass private_key= with the PEM-encoded RSA private key",
                )
        elif client_secret is None:
            raise ConfigurationError(
                f"auth_method={method!r} needs a client secret",
                hint="pass client_secret=, set PINGONE_CLIENT_SECRET and use from_env(), "
                "or use from_store()",
            )
        if token_endpoint and issuer:
            raise ConfigurationError(
                "pass either token_endpoint= or issuer=, not both",
                hint="issuer= discovers the token endpoint; token_endpoint= names it",
            )
        if not isinstance(refresh_ratio, (int, float)) or not 0.0 < refresh_ratio <= 1.0:
            raise ConfigurationError(
                f"refresh_ratio must be a number in (0, 1], got {refresh_ratio!r}",
                hint="0.8 refreshes when 80% of the token lifetime has passed",
            )
        # NaN compares false with everything: a NaN margin would keep a token "valid".
        expiry_margin = finite_arg(
            expiry_margin, what="expiry_margin", hint="seconds before expiry a token is dropped"
        )
        wait_timeout = finite_arg(
            wait_timeout,
            what="wait_timeout",
            positive=True,
            hint="seconds a caller waits for another caller's fetch, e.g. 120",
        )
        env_id = environment_id.strip() if isinstance(environment_id, str) else None
        env_id = env_id or None
        if env_id is None and not (token_endpoint or issuer or custom_domain):
            raise ConfigurationError(
                "environment_id is missing",
                hint="pass environment_id= (or token_endpoint=/issuer= for a custom OIDC "
                "server), or set PINGONE_ENVIRONMENT_ID and use from_env()",
            )
        if auth_base_url is None and not (token_endpoint or issuer or custom_domain):
            # The host override may come from the environment (e.g. an emulator server).
            auth_base_url = os.environ.get("PINGONE_AUTH_BASE_URL") or None
        if api_base_url is None:
            api_base_url = os.environ.get("PINGONE_API_BASE_URL") or None
        the_region = Region.parse(region)
        the_client_id = client_id.strip()
        the_scopes = normalize_scopes(scopes)
        endpoints: Endpoints | None
        token_url: str | None
        if issuer:
            issuer = check_secure_url(
                issuer, what="issuer", allow_loopback_http=allow_loopback_http
            )
            endpoints = token_url = None
            api_url = check_secure_url(
                api_base_url or the_region.api_base_url,
                what="api_base_url",
                allow_loopback_http=allow_loopback_http,
            )
        elif env_id is None and not custom_domain:
            assert token_endpoint is not None  # noqa: S101 - checked above
            token_url = check_secure_url(
                token_endpoint, what="token_endpoint", allow_loopback_http=allow_loopback_http
            )
            api_url = check_secure_url(
                api_base_url or the_region.api_base_url,
                what="api_base_url",
                allow_loopback_http=allow_loopback_http,
            )
            endpoints = Endpoints(
                issuer=token_url.rsplit("/", 1)[0],
                token=token_url,
                jwks=None,
                introspection=None,
                discovery=None,
                revocation=None,
                api_base_url=api_url,
            )
        else:
            endpoints = endpoints_for(
                env_id,
                the_region,
                auth_base_url=auth_base_url,
                api_base_url=api_base_url,
                custom_domain=custom_domain,
                token_endpoint=token_endpoint,
                allow_loopback_http=allow_loopback_http,
            )
            token_url = endpoints.token
            api_url = endpoints.api_base_url or the_region.api_base_url
        return cls(
            client_id=the_client_id,
            environment_id=env_id,
            region=the_region,
            scopes=the_scopes,
            auth_method=method,
            client_secret=client_secret,
            private_key=private_key,
            key_id=key_id,
            endpoints=endpoints,
            token_endpoint=token_url,
            issuer=issuer,
            api_base_url=api_url,
            cache_key=make_cache_key(issuer or token_url or "", the_client_id, the_scopes),
            refresh_ratio=float(refresh_ratio),
            expiry_margin=expiry_margin,
            wait_timeout=wait_timeout,
            strict_scopes=strict_scopes,
            allow_loopback_http=allow_loopback_http,
            retry=retry,
            # A caller's clock is checked on every reading: NaN would keep a token fresh.
            clock=time.time if clock is None else checked_clock(clock),
            sleep=sleep,
            async_sleep=async_sleep,
            secret_provider=secret_provider,
        )
