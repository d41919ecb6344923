"""Telling a failed TLS certificate verification apart from other transport failures.

A certificate the client does not trust fails the same way on every attempt and is fixed by
configuration (the CA), not by waiting: callers report it as a TLS error naming the host and
the CA setting, and never retry it.
"""

from __future__ import annotations

__all__ = ["CA_HINT", "is_certificate_error"]

#: How to fix an untrusted certificate, for every error that reports one.
CA_HINT = (
    "trust the CA that signed it: set SSL_CERT_FILE to its PEM bundle, or pass "
    "verify=<ssl.SSLContext or CA file> to the client (an emulator server's ca_file, or the "
    "SSL_CERT_FILE line of the env file it writes)"
)


def is_certificate_error(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it wraps) is a failed certificate verification."""
    import ssl  # loaded by httpx anyway; not at import time of the modules using this

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False
