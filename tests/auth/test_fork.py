"""Fork safety: a forked child starts with clean per-process state.

Each scenario runs in a fresh interpreter (``subprocess``, hard timeout) that forks: the
parent sets up the state at fork time (a fetch in flight in another thread, a warm keep-alive
connection, a held lock) and the child must get its own token promptly. Exit codes carry
the verdict; nothing here sleeps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from auth_support import CLIENT_ID, ENV_ID, SECRET

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")

PRELUDE = f"""
import ctypes, os, sys, threading
import httpx
from httpx_pingone_worker import PingOneWorkerAuth
CLIENT_ID, SECRET, ENV_ID = {CLIENT_ID!r}, {SECRET!r}, {ENV_ID!r}

def fork(how):
    if how == "os":
        return os.fork()
    return ctypes.CDLL(None).fork()  # a fork the at-fork hooks do not see: the pid check

def wait_child(pid):
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
"""


def run_script(body: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run PRELUDE + body in a new interpreter (warnings about forking threads ignored)."""
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PRELUDE + textwrap.dedent(body), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- 1: forked while another thread leads a fetch ------------------------------------------

IN_FLIGHT = """
how = sys.argv[1]
parent = os.getpid()
entered, release = threading.Event(), threading.Event()

def handler(request):
    if os.getpid() == parent:  # the parent's fetch hangs until after the fork
        entered.set()
        release.wait(60)
    return httpx.Response(200, json={"access_token": f"tok-{os.getpid()}",
                                     "token_type": "Bearer", "expires_in": 3600})

client = httpx.Client(transport=httpx.MockTransport(handler))
auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, http_client=client, wait_timeout=20)
leader = threading.Thread(target=auth.get_token)
leader.start()
assert entered.wait(30)
pid = fork(how)
if pid == 0:
    try:
        token = auth.get_token()
    except BaseException as exc:
        print("child failed:", type(exc).__name__, exc, file=sys.stderr, flush=True)
        os._exit(4)
    os._exit(0 if token.access_token.get_secret_value() == f"tok-{os.getpid()}" else 3)
release.set()
leader.join(30)
code = wait_child(pid)
assert auth.get_token().access_token.get_secret_value() == f"tok-{parent}"
sys.exit(code)
"""


@pytest.mark.parametrize("how", ["os", "raw"])
def test_child_forked_during_a_fetch_fetches_its_own_token(how: str) -> None:
    """A child forked while a parent thread leads a token fetch gets its own token at once
    (it used to inherit the in-flight fetch, wait wait_timeout and fail, forever). ``raw``
    forks through libc, past the at-fork hooks: the engine's pid check resets it."""
    result = run_script(IN_FLIGHT, how)
    assert result.returncode == 0, result.stderr


# --- 2: the internal client's keep-alive sockets -------------------------------------------


class KeepAliveTokenServer:
    """An HTTP/1.1 (keep-alive) token endpoint recording each request's peer address."""

    def __init__(self) -> None:
        self.peers: list[tuple[str, int]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.peers.append(self.client_address[:2])
                body = json.dumps(
                    {
                        "access_token": f"tok-{len(outer.peers)}",
                        "token_type": "Bearer",
                        "expires_in": 3600,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # the "API": records which connection carried it
                outer.api_peers.append(self.client_address[:2])
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.api_peers: list[tuple[str, int]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/as/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keepalive_server() -> Iterator[KeepAliveTokenServer]:
    """A keep-alive token endpoint in this process."""
    server = KeepAliveTokenServer()
    yield server
    server.close()


WARM_CONNECTION = """
url = sys.argv[1]
auth = PingOneWorkerAuth(CLIENT_ID, SECRET, token_endpoint=url, allow_loopback_http=True)
auth.get_token()  # the --preload warm-up: the internal client keeps its connection open
pid = os.fork()
if pid == 0:
    auth.invalidate()
    try:
        auth.get_token()
    except BaseException as exc:
        print("child failed:", type(exc).__name__, exc, file=sys.stderr, flush=True)
        os._exit(4)
    auth.close()
    os._exit(0)
code = wait_child(pid)
auth.invalidate()
auth.get_token()  # the parent goes on on its own connection
auth.close()
sys.exit(code)
"""


def test_child_does_not_reuse_the_parents_keep_alive_connection(
    keepalive_server: KeepAliveTokenServer,
) -> None:
    """After a warm-up get_token() in the parent, the child's token request opens a new
    connection (it used to send on the parent's inherited socket: one process could read
    the other's response); the parent keeps its own."""
    result = run_script(WARM_CONNECTION, keepalive_server.url)
    assert result.returncode == 0, result.stderr
    warmup, child, parent_again = keepalive_server.peers
    assert child != warmup  # a connection of the child's own
    assert parent_again == warmup  # the parent still uses its connection


# --- 3: forked while another thread holds the internal client's lock ------------------------

HELD_LOCK = """
auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID)
held, release = threading.Event(), threading.Event()

def builder():  # a thread inside TokenClients.internal() at fork time, building the client
    with auth._clients._own_lock:
        held.set()
        release.wait(60)

thread = threading.Thread(target=builder)
thread.start()
assert held.wait(30)
pid = os.fork()
if pid == 0:
    closer = threading.Thread(target=auth.close, daemon=True)
    closer.start()
    closer.join(20)
    os._exit(5 if closer.is_alive() else 0)
release.set()
thread.join(30)
sys.exit(wait_child(pid))
"""


def test_child_forked_while_the_client_lock_is_held_can_close() -> None:
    """close() in a child forked while a parent thread held the internal client's lock
    returns (it used to block forever on the inherited, never-released lock)."""
    result = run_script(HELD_LOCK)
    assert result.returncode == 0, result.stderr


# --- file-lock descriptors ------------------------------------------------------------------

FILE_LOCK = """
from httpx_pingone_worker import EncryptedFileTokenCache

directory = sys.argv[1]
cache = EncryptedFileTokenCache(directory, key=b"k" * 32, lock_timeout=0)
key = "pingone:" + "ab" * 16
held, release = threading.Event(), threading.Event()

def holder():  # a parent thread fetching under the file lock at fork time
    with cache.fetch_lock(key):
        held.set()
        release.wait(60)

thread = threading.Thread(target=holder)
thread.start()
assert held.wait(30)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    os.read(r, 1)  # alive (with whatever it inherited) until the parent has checked
    os._exit(0)
os.close(r)
release.set()
thread.join(30)  # the parent released its lock
other = EncryptedFileTokenCache(directory, key=b"k" * 32, lock_timeout=0)
try:
    with other.fetch_lock(key):  # as another process would take it
        ok = True
except Exception as exc:
    print("lock still held:", exc, file=sys.stderr, flush=True)
    ok = False
os.write(w, b"x")
wait_child(pid)
sys.exit(0 if ok else 6)
"""


def test_child_does_not_keep_the_parents_file_lock(tmp_path: object) -> None:
    """Keep it so: a child forked while a parent thread held the file cache's fetch lock
    (flock: the open file, and its lock, are shared by the fork) does not keep the lock once
    the parent releases it: the next holder gets it at once while the child still runs."""
    result = run_script(FILE_LOCK, str(tmp_path))
    assert result.returncode == 0, result.stderr


# --- 4: a user's client warmed before the fork ----------------------------------------------

WARM_USER_CLIENT = """
url = sys.argv[1]
api = url.replace("/as/token", "/api")
auth = PingOneWorkerAuth(CLIENT_ID, SECRET, token_endpoint=url, allow_loopback_http=True)
client = httpx.Client(auth=auth)  # module level, warmed in the parent (README's example)
client.get(api)  # the token request goes through this client: its keep-alive socket
pid = os.fork()
if pid == 0:
    auth.invalidate()
    try:
        auth.get_token()  # no caller: http_client/internal
        auth.invalidate()
        client.get(api)  # a caller used before the fork: its socket is the parent's too
    except BaseException as exc:
        print("child failed:", type(exc).__name__, exc, file=sys.stderr, flush=True)
        os._exit(4)
    auth.close()
    os._exit(0)
sys.exit(wait_child(pid))
"""


def test_token_requests_skip_a_client_used_before_the_fork(
    keepalive_server: KeepAliveTokenServer,
) -> None:
    """A module-level client warmed in the parent shares its keep-alive socket with every
    child; the child's token requests go through a client of its own (never that socket),
    so no child reads another process's token response."""
    result = run_script(WARM_USER_CLIENT, keepalive_server.url)
    assert result.returncode == 0, result.stderr
    warmup, *in_child = keepalive_server.peers
    assert len(in_child) == 2
    assert warmup not in in_child  # neither child token request used the parent's socket


# --- 5: forked while a background refresh runs ----------------------------------------------

REFRESH_IN_FLIGHT = """
import asyncio, time
parent = os.getpid()
entered, release = threading.Event(), threading.Event()
now = [1_700_000_000.0]
count = [0]

def handler(request):
    if request.url.path.endswith("/as/token"):
        count[0] += 1
        if count[0] == 2 and os.getpid() == parent:  # the parent's refresh hangs over the fork
            entered.set()
            release.wait(60)
        return httpx.Response(200, json={"access_token": f"tok-{os.getpid()}-{count[0]}",
                                         "token_type": "Bearer", "expires_in": 1000})
    return httpx.Response(200, json={})

client = httpx.Client(transport=httpx.MockTransport(handler))
auth = PingOneWorkerAuth(CLIENT_ID, SECRET, ENV_ID, http_client=client, wait_timeout=60,
                         clock=lambda: now[0])
auth.get_token()
now[0] += 850  # past the refresh point, still valid
auth.get_token()  # starts the background refresh, returns the valid token
assert entered.wait(30)
pid = os.fork()
if pid == 0:
    started = time.monotonic()
    try:
        if not auth.wait_for_refresh(5):
            os._exit(5)  # a job of the parent's that never ends here
        asyncio.run(asyncio.wait_for(auth.aclose(), 10))
        auth.close()
    except BaseException as exc:
        print("child failed:", type(exc).__name__, exc, file=sys.stderr, flush=True)
        os._exit(4)
    os._exit(0 if time.monotonic() - started < 10 else 6)
release.set()
assert auth.wait_for_refresh(30)
code = wait_child(pid)
auth.close()
sys.exit(code)
"""


def test_child_forked_during_a_background_refresh_has_no_dead_job() -> None:
    """A child forked while a refresh runs in the parent starts with no refresh job:
    wait_for_refresh() is True at once and close()/aclose() return (they used to wait for a
    job that does not exist in the child: wait_for_refresh never True, aclose 120 s)."""
    result = run_script(REFRESH_IN_FLIGHT)
    assert result.returncode == 0, result.stderr
