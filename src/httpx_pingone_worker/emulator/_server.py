"""The threaded HTTPS server on loopback (certificate from ``trustme``, made at start)."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shutil
import socket
import ssl
import tempfile
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

from httpx_pingone_worker._core._errors import EmulatorError
from httpx_pingone_worker._core._regions import is_loopback_host

from ._http import Responder

__all__ = [
    "EmulatorServer",
    "RemoteBindWarning",
    "ServedEmulator",
    "is_loopback_peer",
    "warn_if_not_loopback",
]


class ServedEmulator(Responder, Protocol):
    """What the server needs from an emulator (``PingOneEmulator`` is one)."""

    _servers: list[Any]

    @property
    def environment_id(self) -> str: ...


_MAX_BODY = 1 << 20
_TIMEOUT_FAULT_SECONDS = 30.0


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: EmulatorServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Drop open keep-alive connections so their threads end with the server."""
        with self.connections_lock:
            conns, self.connections = list(self.connections), set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        # Handshake lazily in the request thread, so a slow client cannot stall accept().
        tls = self.owner._server_ctx.wrap_socket(
            sock, server_side=True, do_handshake_on_connect=False
        )
        with self.connections_lock:
            self.connections.add(tls)
        return tls, addr

    def handle_error(self, request: Any, client_address: Any) -> None:  # noqa: ARG002
        # Clients that drop TLS connections (or injected faults) are not server errors.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _TLSServer
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # noqa: ARG002
        return  # the emulator keeps its own redacted request log

    def _serve(self) -> None:
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            self.send_error(413)
            return
        body = self.rfile.read(length) if length else b""
        url = f"https://{self.headers.get('Host') or f'{owner.host}:{owner.port}'}{self.path}"
        if not is_loopback_peer(self.client_address) and _is_control(self.command, url):
            # The Host header is the client's to choose: only the socket's peer address says
            # where a request comes from. /_emulator/reset hands out the client secret.
            self._refuse_control()
            return
        resp = owner.emulator.respond(self.command, url, dict(self.headers.items()), body)
        if resp.delay and owner._stopping.wait(resp.delay):
            return
        if resp.action == "connect":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if resp.action == "timeout":
            owner._stopping.wait(_TIMEOUT_FAULT_SECONDS)
            self.close_connection = True
            return
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)

    def _refuse_control(self) -> None:
        body = json.dumps(
            {
                "code": "ACCESS_FAILED",
                "message": "the emulator's /_emulator/ control endpoints answer loopback "
                "clients only (127.0.0.0/8, ::1); this request came from another address",
            }
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


def is_loopback_peer(address: Any) -> bool:
    """True when a socket peer address (``(host, port, ...)``) is in 127.0.0.0/8 or is ::1
    (an IPv4-mapped ``::ffff:127.x.y.z`` counts as its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
    except (ValueError, TypeError, IndexError):
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _is_control(method: str, url: str) -> bool:
    """Whether the dispatcher would route this request to the control endpoints: the same
    parse as ``_dispatch.make_ctx`` (so no spelling of the path slips past this check); a
    URL it cannot parse counts as control (refused)."""
    del method
    try:
        path = urlsplit(url).path or "/"
    except ValueError:
        return True
    return path.startswith("/_emulator/")


class RemoteBindWarning(UserWarning):
    """The emulator server listens on an address other machines can reach."""


def warn_if_not_loopback(host: str, *, stacklevel: int = 2) -> bool:
    """Warn (``RemoteBindWarning``) when ``host`` is not a loopback address; True if it is."""
    if is_loopback_host(host):
        return True
    warnings.warn(
        f"the PingOne emulator is binding {host!r}, which other machines may reach: anyone "
        "who can connect gets tokens for its throwaway worker app and can call its Management "
        "API. Its /_emulator/ control endpoints still answer loopback clients only.",
        RemoteBindWarning,
        stacklevel=stacklevel + 1,
    )
    return False


class EmulatorServer:
    """A real HTTPS PingOne on ``127.0.0.1`` (port 0 picks a free port).

    Both the auth and the API side are served on one origin: ``auth_base_url`` is the
    origin (``/<envId>/as/...`` below it), ``api_base_url`` is ``<origin>/v1``. Clients trust
    it through ``ssl_context`` or ``ca_file`` (a PEM written at start, deleted at
    stop). Control endpoints: ``POST /_emulator/reset|seed|advance|expire|faults`` (JSON
    bodies), ``GET /_emulator/requests|state``.
    """

    def __init__(self, emulator: ServedEmulator, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.ready = threading.Event()
        self._stopping = threading.Event()
        self._httpd: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self._tmpdir: str | None = None
        self._server_ctx: ssl.SSLContext
        self.ssl_context: ssl.SSLContext
        self.ca_file: str = ""
        self.ca_pem: bytes = b""

    def start(self) -> EmulatorServer:
        """Generate the certificate, bind, and serve in a daemon thread; returns ``self``.

        A host other than a loopback address (``0.0.0.0``, a LAN address) works but warns
        (``RemoteBindWarning``): the control endpoints answer only loopback peers, the
        token and API endpoints anyone who can connect.
        """
        if self._httpd is not None:
            raise EmulatorError("the emulator server is already running")
        warn_if_not_loopback(self.host)
        try:
            import trustme
        except ImportError:
            raise EmulatorError(
                "emu.serve() needs trustme", hint="pip install 'httpx-pingone-worker[emulator]'"
            ) from None
        ca = trustme.CA()
        cert = ca.issue_cert(self.host, "localhost", "127.0.0.1")
        self._server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._server_ctx)
        self.ssl_context = ssl.create_default_context()
        ca.configure_trust(self.ssl_context)
        self.ca_pem = ca.cert_pem.bytes()
        self._tmpdir = tempfile.mkdtemp(prefix="pingone-emulator-")
        self.ca_file = os.path.join(self._tmpdir, "ca.pem")
        with open(self.ca_file, "wb") as fh:
            fh.write(self.ca_pem)
        self._httpd = _TLSServer((self.host, self.port), self)
        self.port = int(self._httpd.server_address[1])
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"pingone-emulator:{self.port}", daemon=True
        )
        self.emulator._servers.append(self)
        self._thread.start()
        if not self.ready.wait(10):
            self.stop()
            raise EmulatorError("the emulator server did not start within 10 s")
        return self

    def _run(self) -> None:
        assert self._httpd is not None  # noqa: S101
        self.ready.set()
        self._httpd.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        """Stop serving, close the socket and delete the CA file."""
        self._stopping.set()
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
            httpd.close_connections()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with contextlib.suppress(ValueError):
            self.emulator._servers.remove(self)
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self.ready.clear()

    @property
    def url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://{self.host}:{self.port}"

    @property
    def auth_base_url(self) -> str:
        """Origin of the auth endpoints (``/<envId>/as/...`` below it)."""
        return self.url

    @property
    def api_base_url(self) -> str:
        """Management API base, ``<url>/v1``."""
        return f"{self.url}/v1"

    def issuer(self, environment_id: str | None = None) -> str:
        """Issuer URL of an environment on this server."""
        return f"{self.url}/{environment_id or self.emulator.environment_id}/as"

    @property
    def token_endpoint(self) -> str:
        """Token endpoint of the seeded environment on this server."""
        return f"{self.issuer()}/token"

    def __enter__(self) -> EmulatorServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._httpd is not None else "stopped"
        return f"EmulatorServer({self.url!r}, {state})"
