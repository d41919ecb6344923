"""The emulator's URL properties: PingOne's hosts of its region, its seeded issuer."""

from __future__ import annotations

from httpx_pingone_worker._core._regions import Region

__all__ = ["UrlsMixin"]


class UrlsMixin:
    """URLs of the emulated PingOne, from the facade's ``region`` and ``environment_id``."""

    region: Region

    @property
    def environment_id(self) -> str:
        raise NotImplementedError  # pragma: no cover - the facade's

    @property
    def auth_base_url(self) -> str:
        """``https://auth.pingone.<tld>`` of the emulator's region (served by the adapters)."""
        return self.region.auth_base_url

    @property
    def api_base_url(self) -> str:
        """``https://api.pingone.<tld>/v1`` of the emulator's region."""
        return self.region.api_base_url

    @property
    def issuer(self) -> str:
        """Issuer of the seeded environment on PingOne's host."""
        return f"{self.auth_base_url}/{self.environment_id}/as"

    @property
    def token_endpoint(self) -> str:
        """Token endpoint of the seeded environment on PingOne's host."""
        return f"{self.issuer}/token"

    @property
    def jwks_url(self) -> str:
        """JWKS URL of the seeded environment on PingOne's host."""
        return f"{self.issuer}/jwks"

    @property
    def introspection_endpoint(self) -> str:
        """Introspection URL of the seeded environment on PingOne's host."""
        return f"{self.issuer}/introspect"
