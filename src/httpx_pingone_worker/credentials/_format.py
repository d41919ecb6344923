"""Credential format checks: ``validate_credential_format`` advises, it does not gatekeep.

Ids should be UUIDs and a secret should look like one; each finding is a
``CredentialProblem`` (no secret is rejected for its characters).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Literal

from httpx_pingone_worker._core._errors import CredentialFormatError
from httpx_pingone_worker._core._secrets import Secret

__all__ = ["CredentialProblem", "validate_credential_format"]


@dataclass(frozen=True, slots=True)
class CredentialProblem:
    """One thing ``validate_credential_format`` found wrong or suspicious.

    ``field`` names the setting (``client_id``, ``client_secret``, ``environment_id``);
    ``message`` says what looks wrong without quoting the value; ``hint`` says how to fix
    it. ``severity`` is ``"error"`` (cannot work with PingOne) or ``"warning"`` (unusual,
    but may be right, e.g. a custom OIDC server's secret format).
    """

    field: str
    message: str
    hint: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.message} ({self.hint})"


# --- format validation -----------------------------------------------------------------

# Characters PingOne uses in generated client secrets.
_PINGONE_SECRET_CHARS = re.compile(r"[A-Za-z0-9._~-]+")
_MIN_SECRET_LEN = 16
_MAX_SECRET_LEN = 1024


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))


def validate_credential_format(
    client_id: str | None,
    client_secret: str | Secret | None,
    environment_id: str | None = None,
    *,
    raise_on_error: bool = False,
) -> list[CredentialProblem]:
    """Check that credentials look like a PingOne worker app's; return what looks off.

    Ids must be UUIDs (``8-4-4-4-12`` hex); the secret must be non-empty and is checked
    for plausibility: surrounding whitespace or control characters (copy-paste damage)
    and equality with an id are errors; an unusual length or characters outside PingOne's
    ``[A-Za-z0-9._~-]`` are warnings only, because custom OIDC servers issue other formats.
    No message quotes a value. With ``raise_on_error=True``, any ``"error"``-severity
    problem raises ``CredentialFormatError`` carrying every problem.
    """
    if isinstance(client_secret, str):  # wrapped first: the error raised below unwinds here
        client_secret = Secret(client_secret)
    problems: list[CredentialProblem] = []

    def check_id(name: str, value: object, what: str) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(CredentialProblem(name, "is missing", f"set it to the {what} (a UUID)"))
            return
        if not isinstance(value, str):
            problems.append(
                CredentialProblem(
                    name, f"must be a str, not {type(value).__name__}", f"pass the {what}"
                )
            )
            return
        if value != value.strip():
            problems.append(
                CredentialProblem(
                    name,
                    "has leading or trailing whitespace",
                    "remove the spaces or newline copied along with it",
                )
            )
        if not _is_uuid(value.strip()):
            problems.append(
                CredentialProblem(
                    name,
                    "is not a UUID (8-4-4-4-12 hexadecimal digits)",
                    f"copy the {what} from the PingOne admin console"
                    + (
                        "; imported apps and custom OIDC servers may use other ids"
                        if name == "client_id"
                        else ""
                    ),
                )
            )

    check_id("client_id", client_id, "worker application's Client ID")
    if environment_id is not None:
        check_id("environment_id", environment_id, "environment ID")

    given: object = client_secret  # callers without type checking pass anything
    if isinstance(given, Secret):
        problems.extend(_secret_problems(given.get_secret_value(), client_id, environment_id))
    elif given is None or isinstance(given, str):
        problems.extend(_secret_problems(given, client_id, environment_id))
    else:
        problems.append(
            CredentialProblem(
                "client_secret",
                f"must be a str or Secret, not {type(given).__name__}",
                "pass the client secret as a string",
            )
        )

    if raise_on_error and any(p.severity == "error" for p in problems):
        fields = sorted({p.field for p in problems if p.severity == "error"})
        raise CredentialFormatError(
            f"credentials look wrong: {', '.join(fields)}",
            problems=problems,
            hint="; ".join(str(p) for p in problems if p.severity == "error"),
        )
    return problems


def _secret_problems(
    raw: str | None, client_id: str | None, environment_id: str | None
) -> list[CredentialProblem]:
    name = "client_secret"
    if not raw:
        return [
            CredentialProblem(
                name, "is missing", "copy the Client Secret of the worker application"
            )
        ]
    out: list[CredentialProblem] = []
    if raw != raw.strip():
        out.append(
            CredentialProblem(
                name,
                "has leading or trailing whitespace",
                "remove the spaces or newline copied along with it",
            )
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in raw.strip()):
        out.append(
            CredentialProblem(
                name,
                "contains control characters",
                "the value was probably damaged while copying; copy it again",
            )
        )
    ids = {v.strip() for v in (client_id, environment_id) if isinstance(v, str) and v.strip()}
    if raw.strip() in ids:
        out.append(
            CredentialProblem(
                name,
                "equals the client or environment id",
                "the secret is a separate value: copy the Client Secret, not an id",
            )
        )
    elif _is_uuid(raw.strip()):
        out.append(
            CredentialProblem(
                name,
                "looks like a UUID (an id), not a client secret",
                "check that the client id and secret were not swapped",
                "warning",
            )
        )
    stripped = raw.strip()
    if len(stripped) < _MIN_SECRET_LEN:
        out.append(
            CredentialProblem(
                name,
                f"is shorter than {_MIN_SECRET_LEN} characters",
                "PingOne generates 64-character secrets; check it was copied in full",
                "warning",
            )
        )
    elif len(stripped) > _MAX_SECRET_LEN:
        out.append(
            CredentialProblem(
                name,
                f"is longer than {_MAX_SECRET_LEN} characters",
                "check that a whole file or token was not pasted instead of the secret",
                "warning",
            )
        )
    printable = "".join(c for c in stripped if ord(c) >= 32 and ord(c) != 127)
    if printable and not _PINGONE_SECRET_CHARS.fullmatch(printable):
        out.append(
            CredentialProblem(
                name,
                "contains characters PingOne does not use in generated secrets",
                "fine for a custom OIDC server; for PingOne, check for copy-paste artefacts "
                "such as quotes or spaces",
                "warning",
            )
        )
    return out
