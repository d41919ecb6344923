"""What a command works with: resolved settings, an HTTP transport, auth and API clients.

``--emulator`` swaps everything for a throwaway in-process ``PingOneEmulator``: its
seeded worker app's credentials and its transport (no sockets, no network).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from httpx_pingone_worker._core._errors import ConfigurationError
from httpx_pingone_worker._core._logging import register_secret
from httpx_pingone_worker._core._regions import Endpoints, Region, display_url, endpoints_for
from httpx_pingone_worker.credentials._credentials import ClientCredentials

if TYPE_CHECKING:
    import ssl

    import httpx

    from httpx_pingone_worker import PingOneClient
    from httpx_pingone_worker._auth import PingOneWorkerAuth
    from httpx_pingone_worker.caches._memory import TokenCache
    from httpx_pingone_worker.credentials._settings import ResolvedSettings
    from httpx_pingone_worker.emulator import PingOneEmulator

__all__ = ["Session", "emulator_factory"]

_ENV_NAMES = {
    "client_id": "PINGONE_CLIENT_ID",
    "client_secret": "PINGONE_CLIENT_SECRET",
    "environment_id": "PINGONE_ENVIRONMENT_ID",
}


def _default_emulator(region: str | None) -> PingOneEmulator:
    from httpx_pingone_worker.emulator import PingOneEmulator

    return PingOneEmulator(region=(region or "NA"))


#: How ``--emulator`` and ``demo`` build their emulator (tests swap it for a scenario).
emulator_factory: Callable[[str | None], PingOneEmulator] = _default_emulator


def _stored_lookup(client_id: str | None) -> ClientCredentials | None:
    """Credentials saved by ``pingone-worker store`` (the last source settings come from)."""
    from httpx_pingone_worker.credentials._store import stored_credentials_lookup

    return stored_credentials_lookup(client_id)


@dataclass
class Session:
    """Settings and lazily built clients for one command run; ``close`` releases them."""

    args: argparse.Namespace
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    emulator: PingOneEmulator | None = None
    settings: ResolvedSettings | None = None
    _credentials: ClientCredentials | None = None
    _http: httpx.Client | None = None
    _auth: PingOneWorkerAuth | None = None
    _client: PingOneClient | None = None
    _cache: TokenCache | None = None
    _discovered: Endpoints | None = None

    # --- settings ----------------------------------------------------------------------

    def start_emulator(self) -> PingOneEmulator:
        """Create the in-process emulator (``--emulator`` and ``demo``)."""
        if self.emulator is None:
            self.emulator = emulator_factory(self.args.region)
            register_secret(self.emulator.credentials.client_secret)
        return self.emulator

    def resolve(self, *, require: bool = True) -> ResolvedSettings | None:
        """Resolve settings from flags, env file, settings file, environment and the store.

        In emulator mode there is nothing to resolve: returns ``None``.
        """
        if self.args.emulator:
            self.start_emulator()
            return None
        if self.settings is None:
            from httpx_pingone_worker.credentials._settings import resolve_settings

            self.settings = resolve_settings(
                client_id=self.args.client_id,
                environment_id=self.args.environment_id,
                region=self.args.region,
                scopes=self.args.scopes,
                auth_base_url=self.args.auth_base_url,
                api_base_url=self.args.api_base_url,
                env=self.env,
                env_file=self.args.env_file,
                settings_file=self.args.settings,
                stored=_stored_lookup,
                require=require,
                environment_id_required=not self.custom_oidc,
            )
            creds = self.settings.credentials
            if creds is not None:
                register_secret(creds.client_secret)
        return self.settings

    @property
    def custom_oidc(self) -> bool:
        """``--issuer`` or ``--token-endpoint``: a (non-PingOne) OIDC server, no environment."""
        if self.args.emulator:
            return False
        return bool(
            getattr(self.args, "issuer", None) or getattr(self.args, "token_endpoint", None)
        )

    @property
    def environment_id(self) -> str:
        """The PingOne environment id, for commands that call the Management API."""
        env_id = self.credentials.environment_id
        if env_id is None:
            raise ConfigurationError(
                "this command calls the PingOne Management API, which needs an environment id",
                hint="set PINGONE_ENVIRONMENT_ID or pass --environment-id; with --issuer or "
                "--token-endpoint alone, use token, decode, verify or introspect",
            )
        return env_id

    @property
    def sources(self) -> dict[str, str]:
        """Setting name → where its value came from."""
        if self.args.emulator:
            return dict.fromkeys(
                ("client_id", "client_secret", "environment_id", "region"), "emulator"
            )
        settings = self.resolve(require=False)
        return dict(settings.sources) if settings is not None else {}

    @property
    def credentials(self) -> ClientCredentials:
        """The worker app's credentials (raises ``ConfigurationError`` if incomplete)."""
        if self._credentials is None:
            if self.args.emulator:
                self._credentials = self.start_emulator().credentials
            else:
                settings = self.resolve(require=False)
                if settings is None or settings.credentials is None:
                    missing = list(getattr(settings, "missing", ())) or ["credentials"]
                    raise ConfigurationError(
                        f"missing PingOne setting{'s' if len(missing) > 1 else ''}: "
                        + ", ".join(missing),
                        hint="set "
                        + ", ".join(_ENV_NAMES.get(m, m) for m in missing)
                        + ", or use --env-file, --settings or `pingone-worker store`; "
                        "add --emulator to try it offline",
                    )
                self._credentials = settings.credentials
        return self._credentials

    @property
    def auth_base_url(self) -> str | None:
        """Auth host override (emulator server, ``PINGONE_AUTH_BASE_URL``), or ``None``."""
        if self.args.emulator:
            return None
        settings = self.resolve(require=False)
        return self.args.auth_base_url or (settings.auth_base_url if settings else None)

    @property
    def api_base_url(self) -> str:
        """The Management API base URL, e.g. ``https://api.pingone.com/v1``."""
        return self._api_base_for(self.credentials.region)

    @property
    def region(self) -> Region:
        """The region of the configured environment."""
        return self.credentials.region

    def endpoints(self, *, need_secret: bool = True) -> Endpoints:
        """The configured environment's auth endpoints (no I/O).

        With ``need_secret=False`` an environment id (and region) is enough: verifying a
        token needs no client secret. With ``--issuer`` the endpoints are those of the
        issuer's discovery document (read once); with ``--token-endpoint`` alone only the
        token endpoint is known.
        """
        if self.custom_oidc:
            return self._custom_endpoints()
        if need_secret or self.args.emulator:
            creds = self.credentials
            environment_id, region = creds.environment_id, creds.region
        else:
            settings = self.resolve(require=False)
            if settings is None or not settings.environment_id:
                raise ConfigurationError(
                    "no PingOne environment configured to verify against",
                    hint="set PINGONE_ENVIRONMENT_ID (and PINGONE_REGION), or pass --issuer",
                )
            environment_id, region = settings.environment_id, settings.region
        return endpoints_for(
            environment_id,
            region,
            auth_base_url=self.auth_base_url,
            api_base_url=self._api_base_for(region),
        )

    def _custom_endpoints(self) -> Endpoints:
        issuer = getattr(self.args, "issuer", None)
        token_endpoint = getattr(self.args, "token_endpoint", None)
        if issuer:
            if self._discovered is None:
                from httpx_pingone_worker.oauth._discovery_doc import (
                    discovery_url,
                    parse_discovery_document,
                )

                url = discovery_url(issuer)
                response = self.http().get(url, headers={"Accept": "application/json"})
                if response.status_code != 200:
                    raise ConfigurationError(
                        f"OIDC discovery at {display_url(url)} answered HTTP "
                        f"{response.status_code}",
                        status_code=response.status_code,
                        hint="check --issuer (the provider's exact issuer URL), or pass "
                        "--token-endpoint",
                    )
                self._discovered = parse_discovery_document(issuer, response.content)
            if token_endpoint:
                return dataclasses.replace(self._discovered, token=token_endpoint)
            return self._discovered
        assert token_endpoint  # noqa: S101 - custom_oidc: one of the two is set
        return Endpoints(
            issuer=token_endpoint.rsplit("/", 1)[0],  # a guess: verify asks for --issuer
            token=token_endpoint,
            jwks=None,
            introspection=None,
            discovery=None,
            revocation=None,
            api_base_url=None,
        )

    def _api_base_for(self, region: Region) -> str:
        if not self.args.emulator:
            settings = self.resolve(require=False)
            url = self.args.api_base_url or (settings.api_base_url if settings else None)
            if url:
                return str(url).rstrip("/")
        return region.api_base_url

    # --- HTTP --------------------------------------------------------------------------

    def verify(self) -> ssl.SSLContext | bool:
        """TLS verification: ``--ca-file``, then ``SSL_CERT_FILE`` (the environment, then the
        ``--env-file``, as for ``PINGONE_*``: the emulator server writes it there), else the
        system default."""
        ca_file = self.args.ca_file or self.env.get("SSL_CERT_FILE") or self._env_file_ca()
        if not ca_file:
            return True
        path = Path(ca_file)
        if not path.is_file():
            raise ConfigurationError(
                f"CA file {str(path)!r} does not exist",
                hint="pass --ca-file with the PEM bundle of the server's certificate authority",
            )
        import ssl  # loaded by httpx anyway; not at module level for `--help`

        return ssl.create_default_context(cafile=str(path))

    def _env_file_ca(self) -> str | None:
        """``SSL_CERT_FILE`` of ``--env-file`` (relative to the file's folder), if any."""
        env_file = getattr(self.args, "env_file", None)
        if not env_file:
            return None
        from httpx_pingone_worker.credentials._sources import parse_env_file

        value = parse_env_file(env_file).get("SSL_CERT_FILE", "").strip()
        if not value:
            return None
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else Path(env_file).parent / path)

    def transport(self) -> httpx.BaseTransport:
        """A fresh transport: the emulator's in-process one, or real HTTPS."""
        import httpx  # not at module level: `pingone-worker --help` does not load httpx

        if self.args.emulator:
            transport: Any = self.start_emulator().transport()
            return transport  # type: ignore[no-any-return]
        return httpx.HTTPTransport(verify=self.verify(), retries=0)

    @property
    def attempts(self) -> int:
        """Attempts per call (``--retries`` + 1, at least 1)."""
        return max(0, int(self.args.retries)) + 1

    def http(self) -> httpx.Client:
        """A plain HTTP client (token endpoint, JWKS, introspection)."""
        import httpx

        if self._http is None:
            self._http = httpx.Client(transport=self.transport(), timeout=self.args.timeout)
        return self._http

    def cache(self) -> TokenCache:
        """The token cache chosen with ``--cache``."""
        if self._cache is None:
            if self.args.cache == "file" and self.args.emulator:
                # Keys scoped to this emulator object: a token another run's emulator issued is
                # unknown here (and fails verification when its signing keys differ).
                from ._emucache import EmulatorScopedFileCache, emulator_instance_id

                self._cache = EmulatorScopedFileCache(
                    self.args.cache_path,
                    instance=emulator_instance_id(self.start_emulator()),
                )
            elif self.args.cache == "file":
                from httpx_pingone_worker.caches._file import EncryptedFileTokenCache

                self._cache = EncryptedFileTokenCache(self.args.cache_path)
            else:
                from httpx_pingone_worker.caches._memory import MemoryTokenCache

                self._cache = MemoryTokenCache()
        return self._cache

    def cache_info(self) -> dict[str, str | None]:
        """``{"backend": ..., "location": ...}`` of the token cache."""
        cache = self.cache()
        # The emulator's scoped file cache is the file cache, with scoped keys.
        names = [c.__name__ for c in type(cache).__mro__]
        backend = "EncryptedFileTokenCache" if "EncryptedFileTokenCache" in names else names[0]
        location = getattr(cache, "path", None)
        if location is None and backend == "MemoryTokenCache":
            return {"backend": backend, "location": "this process only"}
        return {"backend": backend, "location": None if location is None else str(location)}

    def auth(self) -> PingOneWorkerAuth:
        """The worker-token ``httpx.Auth`` for the configured app."""
        if self._auth is None:
            from httpx_pingone_worker._auth import PingOneWorkerAuth

            creds = self.credentials
            from httpx_pingone_worker._core._retry import RetryPolicy

            kwargs: dict[str, Any] = {"retry": RetryPolicy(max_attempts=self.attempts)}
            if self.settings is not None:
                kwargs["refresh_ratio"] = self.settings.refresh_ratio
            if self.custom_oidc:
                kwargs["token_endpoint"] = self.endpoints().token
            elif self.args.emulator:
                # Name the emulator's hosts explicitly: PINGONE_AUTH/API_BASE_URL in the
                # environment must not redirect the in-process emulator's requests.
                emu = self.start_emulator()
                kwargs["auth_base_url"] = emu.auth_base_url
                kwargs["api_base_url"] = emu.api_base_url
            else:
                if self.auth_base_url:
                    kwargs["auth_base_url"] = self.auth_base_url
                if self.api_base_url:
                    kwargs["api_base_url"] = self.api_base_url
            self._auth = PingOneWorkerAuth.from_credentials(
                creds, cache=self.cache(), http_client=self.http(), **kwargs
            )
        return self._auth

    def client(self) -> PingOneClient:
        """A Management API client authenticated with ``auth``."""
        if self._client is None:
            import dataclasses

            from httpx_pingone_worker import PingOneClient
            from httpx_pingone_worker.management._sansio import API_RETRY

            creds = self.credentials
            self._client = PingOneClient(
                retry=dataclasses.replace(API_RETRY, max_attempts=self.attempts),
                timeout=self.args.timeout,
                auth=self.auth(),
                environment_id=self.environment_id,
                region=creds.region,
                api_base_url=self.api_base_url,
                transport=self.transport(),
            )
        return self._client

    def close(self) -> None:
        """Close every client this session opened."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._auth is not None:
            close = getattr(self._auth, "close", None)
            if callable(close):
                close()
            self._auth = None
        if self._http is not None:
            self._http.close()
            self._http = None
