"""Worker apps: creation (secret, JWKS for ``private_key_jwt``, role assignments) and the
``ClientCredentials`` the emulator hands out for them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker.credentials._credentials import ClientCredentials

from ._engine import EmulatorEngine
from ._keys import SigningKey, signing_key
from ._state import App, Environment, RoleAssignment

__all__ = ["add_app", "credentials_of"]


def credentials_of(engine: EmulatorEngine, app: App) -> ClientCredentials:
    """The ClientCredentials of ``app`` (current secret; throwaway values)."""
    env = engine.world.environments[app.environment_id]
    return ClientCredentials(
        app.id,
        app.secret,
        env.id,
        env.region,
        auth_method=app.credential_method or app.auth_method,
        private_key=app.private_pem,
        key_id=app.key_id,
    )


def add_app(
    engine: EmulatorEngine,
    env: Environment,
    *,
    name: str,
    auth_method: str,
    enabled: bool,
    roles: Iterable[str],
    jwks: Mapping[str, Any] | None = None,
    private_key: str | None = None,
    key_id: str | None = None,
    scopes: Iterable[str] = (),
    token_lifetime: int | None = None,
) -> App:
    """Create a WORKER app in ``env`` with role assignments at environment scope
    (``Organization Admin`` at organization scope)."""
    world = engine.world
    created = world.timestamp()
    app = App(
        id=world.new_id(),
        environment_id=env.id,
        name=name,
        description=f"{name} (emulated worker application)",
        enabled=enabled,
        auth_method=auth_method,
        secret=world.new_secret(),
        created_at=created,
        updated_at=created,
        scopes=frozenset(scopes),
        token_lifetime=token_lifetime,
        credential_method=auth_method,
    )
    if auth_method == "private_key_jwt":
        if jwks is not None:
            if private_key is None:
                raise EmulatorError(
                    "add_worker_app(jwks=...) also needs private_key=",
                    hint="pass the PEM whose public half is in jwks (the returned "
                    "ClientCredentials must be able to sign assertions), or pass neither "
                    "and let the emulator generate a key pair",
                )
            app.jwks = json.loads(json.dumps(dict(jwks)))
            app.private_pem, app.key_id = private_key, key_id
        elif private_key is not None:
            app.jwks = {"keys": [_public_jwk_from_pem(private_key, key_id or app.id)]}
            app.private_pem, app.key_id = private_key, key_id or app.id
        else:
            key = signing_key(engine.seed, "client", engine.client_key_index)
            engine.client_key_index += 1
            app.jwks = {"keys": [key.public_jwk()]}
            app.private_pem, app.key_id = key.private_pem(), key.kid
    for role in roles:
        org = role == "Organization Admin"
        app.role_assignments.append(
            RoleAssignment(
                id=world.new_id(),
                role_id=world.roles[role],
                role_name=role,
                scope_type="ORGANIZATION" if org else "ENVIRONMENT",
                scope_id=world.organization_id if org else env.id,
                environment_id=env.id,
            )
        )
    env.apps[app.id] = app
    return app


def _public_jwk_from_pem(pem: str, kid: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise EmulatorError("private_key is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise EmulatorError("private_key must be an RSA key (private_key_jwt uses RS256)")
    return SigningKey(kid=kid, key=key).public_jwk()
