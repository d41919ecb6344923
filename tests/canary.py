"""Known fake secrets for canary tests: pushed through every path, they must never appear.

Import them in tests (``from canary import CANARY_SECRET``) and check output with
:func:`assert_no_canary`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

CANARY_SECRET = "canary-SECRET-7fQ2xL9vN4kP8wR3tY6z"
# Opaque (non-JWT) access token: only the known-secret registry can mask it.
CANARY_TOKEN = "canaryTOKEN.opaque.Xk4Wm9Qz2Lp7Rv5Tn8Bc"
CANARY_CLIENT_ID = "6f1f0c5e-8a4b-4c2d-9e3f-0a1b2c3d4e5f"
CANARY_ENV_ID = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"


def canary_forms(value: str) -> list[str]:
    """The raw value plus the encodings it could leak in (base64 of id:secret, url-encoding)."""
    from urllib.parse import quote, quote_plus

    forms = {value, quote(value, safe=""), quote_plus(value)}
    forms.add(base64.b64encode(f"{CANARY_CLIENT_ID}:{value}".encode()).decode())
    # A long-enough slice catches truncated leaks too.
    if len(value) > 16:
        forms.add(value[4:20])
    return sorted(forms)


def assert_no_canary(text: str | bytes, extra: Iterable[str] = ()) -> None:
    """Fail if any canary (or one of its encodings) occurs in ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    needles = [*canary_forms(CANARY_SECRET), *canary_forms(CANARY_TOKEN), *extra]
    for needle in needles:
        assert needle not in text, f"canary {needle[:6]}… leaked"
