"""PingOne worker tokens for httpx: fetched, cached, refreshed and kept secret.

```pycon
>>> import httpx
>>> from httpx_pingone_worker import PingOneWorkerAuth
>>> auth = PingOneWorkerAuth(client_id, secret, env_id, region="EU")
>>> with httpx.Client(auth=auth) as client:
...     client.get(f"https://api.pingone.eu/v1/environments/{env_id}")
```

Heavy dependencies (python-jose, cryptography, keyring, redis, pluggy, the emulator) load on
first use: the names below that need them are resolved lazily through ``__getattr__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._core._errors import (
    ConfigurationError,
    ConflictError,
    CredentialFormatError,
    EmulatorError,
    InsecureTransportError,
    IntrospectionError,
    InvalidArgumentError,
    InvalidRequestError,
    JWTError,
    ManagementApiError,
    NotFoundError,
    PermissionDeniedError,
    PingOneError,
    RateLimitedError,
    ScopeError,
    StorageError,
    TLSVerificationError,
    TokenEndpointUnreachableError,
    TokenError,
    TokenProtocolError,
    TokenRequestError,
)
from ._core._events import EventKind, LogEvent
from ._core._logging import register_secret
from ._core._regions import Endpoints, Region
from ._core._secrets import Secret
from ._core._token import Token, TokenState
from ._version import __version__
from .caches._memory import MemoryTokenCache, TokenCache, cache_key
from .credentials._credentials import ClientCredentials

if TYPE_CHECKING:  # pragma: no cover - names resolved lazily at run time
    # lazily-imported modules add their `from ._x import Y` lines here
    from ._auth import PingOneWorkerAuth
    from ._core._hookspecs import hookimpl
    from ._core._plugins import plugin_manager
    from ._core._retry import RetryPolicy
    from ._engine._standalone import (
        arequest_client_credentials_token,
        request_client_credentials_token,
    )
    from .caches._file import EncryptedFileTokenCache
    from .caches._redis import RedisTokenCache
    from .credentials._crypto import KeyringFallbackWarning
    from .credentials._format import CredentialProblem, validate_credential_format
    from .credentials._settings import resolve_credentials, resolve_settings
    from .credentials._store import secure_delete, secure_list, secure_retrieve, secure_store
    from .management._async import AsyncPingOneClient
    from .management._discovery import (
        RoleGrant,
        WorkerApp,
        adiscover_worker_app,
        discover_worker_app,
    )
    from .management._models import (
        Application,
        Environment,
        Group,
        Population,
        RoleAssignment,
        User,
        UserName,
    )
    from .management._probes import ApiAccessReport, ProbeResult, atest_api_access, test_api_access
    from .management._ratelimit import RateLimiter
    from .management._sync import PingOneClient, create_pingone_client
    from .management._validation import (
        ValidationReport,
        avalidate_worker_credentials,
        validate_worker_credentials,
    )
    from .tokens._introspection import Introspection, aintrospect_token, introspect_token
    from .tokens._jwks import JWKSCache
    from .tokens._jwt_decode import DecodedJWT, decode_jwt
    from .tokens._jwt_verify import averify_jwt, verify_jwt

# name -> private module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "hookimpl": "._core._hookspecs",  # pluggy loads on first use
    "plugin_manager": "._core._plugins",
    "PingOneWorkerAuth": "._auth",
    "request_client_credentials_token": "._engine._standalone",
    "arequest_client_credentials_token": "._engine._standalone",
    "resolve_credentials": ".credentials._settings",
    "resolve_settings": ".credentials._settings",
    "validate_credential_format": ".credentials._format",
    "CredentialProblem": ".credentials._format",
    "introspect_token": ".tokens._introspection",
    "aintrospect_token": ".tokens._introspection",
    "Introspection": ".tokens._introspection",
    "decode_jwt": ".tokens._jwt_decode",
    "verify_jwt": ".tokens._jwt_verify",
    "averify_jwt": ".tokens._jwt_verify",
    "DecodedJWT": ".tokens._jwt_decode",
    "JWKSCache": ".tokens._jwks",
    "PingOneClient": ".management._sync",
    "AsyncPingOneClient": ".management._async",
    "create_pingone_client": ".management._sync",
    "RateLimiter": ".management._ratelimit",
    "Application": ".management._models",
    "Environment": ".management._models",
    "Group": ".management._models",
    "Population": ".management._models",
    "RoleAssignment": ".management._models",
    "User": ".management._models",
    "UserName": ".management._models",
    "discover_worker_app": ".management._discovery",
    "adiscover_worker_app": ".management._discovery",
    "test_api_access": ".management._probes",
    "atest_api_access": ".management._probes",
    "avalidate_worker_credentials": ".management._validation",
    "validate_worker_credentials": ".management._validation",
    "WorkerApp": ".management._discovery",
    "RoleGrant": ".management._discovery",
    "ProbeResult": ".management._probes",
    "ApiAccessReport": ".management._probes",
    "ValidationReport": ".management._validation",
    "EncryptedFileTokenCache": ".caches._file",
    "secure_store": ".credentials._store",
    "secure_retrieve": ".credentials._store",
    "secure_list": ".credentials._store",
    "secure_delete": ".credentials._store",
    "KeyringFallbackWarning": ".credentials._crypto",
    "RedisTokenCache": ".caches._redis",
    "RetryPolicy": "._core._retry",
}

__all__ = [
    "ApiAccessReport",
    "Application",
    "AsyncPingOneClient",
    "ClientCredentials",
    "ConfigurationError",
    "ConflictError",
    "CredentialFormatError",
    "CredentialProblem",
    "DecodedJWT",
    "EmulatorError",
    "EncryptedFileTokenCache",
    "Endpoints",
    "Environment",
    "EventKind",
    "Group",
    "InsecureTransportError",
    "Introspection",
    "IntrospectionError",
    "InvalidArgumentError",
    "InvalidRequestError",
    "JWKSCache",
    "JWTError",
    "KeyringFallbackWarning",
    "LogEvent",
    "ManagementApiError",
    "MemoryTokenCache",
    "NotFoundError",
    "PermissionDeniedError",
    "PingOneClient",
    "PingOneError",
    "PingOneWorkerAuth",
    "Population",
    "ProbeResult",
    "RateLimitedError",
    "RateLimiter",
    "RedisTokenCache",
    "Region",
    "RetryPolicy",
    "RoleAssignment",
    "RoleGrant",
    "ScopeError",
    "Secret",
    "StorageError",
    "TLSVerificationError",
    "Token",
    "TokenCache",
    "TokenEndpointUnreachableError",
    "TokenError",
    "TokenProtocolError",
    "TokenRequestError",
    "TokenState",
    "User",
    "UserName",
    "ValidationReport",
    "WorkerApp",
    "__version__",
    "adiscover_worker_app",
    "aintrospect_token",
    "arequest_client_credentials_token",
    "atest_api_access",
    "avalidate_worker_credentials",
    "averify_jwt",
    "cache_key",
    "create_pingone_client",
    "decode_jwt",
    "discover_worker_app",
    "hookimpl",
    "introspect_token",
    "plugin_manager",
    "register_secret",
    "request_client_credentials_token",
    "resolve_credentials",
    "resolve_settings",
    "secure_delete",
    "secure_list",
    "secure_retrieve",
    "secure_store",
    "test_api_access",
    "validate_credential_format",
    "validate_worker_credentials",
    "verify_jwt",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # cache: later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
