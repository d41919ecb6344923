"""Servers and probes for the process-model tests (gunicorn, uvicorn) on loopback.

``TokenServer`` is a token endpoint (HTTP/1.1 keep-alive, like a real one) that finds, for
each token request, which processes hold the client's end of the TCP connection (Linux
``/proc``): one process, or several when a socket opened before a fork is used after it. It
writes that owner into the token (``w<pid>-<epoch>-<n>``), so a worker can check that the
token response it read answered its own request, and counts token requests per owner and epoch.

``ApiServer`` is the resource server: it accepts tokens of the current epoch only (``rotate()``
makes every earlier token answer 401: a refresh point for the whole fleet, on demand) and
answers with the owner written in the token. It closes every connection, so an app's
module-level client warmed in a parent keeps only its token-endpoint connection alive.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
SHARED = "shared"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """``pid`` and every process below it (from ``/proc/<pid>/task/*/children``)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            todo.extend(int(child) for child in children)
    return found


def running(pids: set[int]) -> set[int]:
    """The processes among ``pids`` that have not exited (a zombie has: it only waits for
    its new parent, which may be a container's init, to reap it)."""
    alive = set()
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        if "State:\tZ" not in status:
            alive.add(pid)
    return alive


def _socket_inode(local_port: int, remote_port: int) -> str | None:
    """The inode of the loopback TCP socket ``127.0.0.1:local_port -> :remote_port``."""
    local, remote = f":{local_port:04X}", f":{remote_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(local) and fields[2].endswith(remote) and fields[9] != "0":
            return fields[9]
    return None


def socket_holders(inode: str, pids: set[int]) -> set[int]:
    """The processes among ``pids`` with a file descriptor on socket ``inode``."""
    target = f"socket:[{inode}]"
    holders = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    holders.add(pid)
                    break
            except OSError:
                continue
    return holders


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class TokenServer(_Server):
    """A counting token endpoint that names the process each token request came from."""

    def __init__(self, delay: float = 0.2) -> None:
        self.delay = delay
        #: The root of the server processes under test (set once started).
        self.root_pid: int | None = None
        self.epoch = 0
        #: (epoch, owner) of every token request, in arrival order.
        self.requests: list[tuple[int, int | str]] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real token endpoint

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner = outer._owner(self.client_address[1])
                with outer._lock:
                    epoch = outer.epoch
                    outer.requests.append((epoch, owner))
                time.sleep(outer.delay)  # a real token endpoint is not instant
                access = f"w{owner}-{epoch}-{secrets.token_hex(8)}"
                body = json.dumps(
                    {"access_token": access, "token_type": "Bearer", "expires_in": 3600}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler)
        self.url = f"http://127.0.0.1:{self.port}/as/token"

    def _owner(self, peer_port: int) -> int | str:
        """The one process holding the client's socket, or ``"shared"`` (several), or
        ``"unknown"`` (not found under the root: e.g. the test process itself)."""
        inode = _socket_inode(peer_port, self.port)
        if inode is None or self.root_pid is None:
            return "unknown"
        holders = socket_holders(inode, descendants(self.root_pid))
        if len(holders) == 1:
            return holders.pop()
        return SHARED if holders else "unknown"

    def per_owner(self, epoch: int) -> Counter[int | str]:
        with self._lock:
            return Counter(owner for e, owner in self.requests if e == epoch)


class ApiServer(_Server):
    """Accepts tokens of the current epoch; answers ``{"owner": …}`` from the token."""

    def __init__(self, tokens: TokenServer) -> None:
        self.tokens = tokens
        self.rejected = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                owner, _, rest = token.removeprefix("w").partition("-")
                epoch = rest.partition("-")[0]
                if not epoch.isdigit() or int(epoch) != outer.tokens.epoch:
                    outer.rejected += 1
                    self._answer(401, {"error": "invalid_token"})
                    return
                self._answer(200, {"owner": owner})

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")  # no keep-alive to inherit
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        super().__init__(Handler)
        self.url = f"http://127.0.0.1:{self.port}/resource"

    def rotate(self) -> None:
        """A refresh point: tokens issued so far are refused from now on."""
        with self.tokens._lock:
            self.tokens.epoch += 1


@contextmanager
def servers(delay: float = 0.2) -> Iterator[tuple[TokenServer, ApiServer]]:
    tokens = TokenServer(delay)
    api = ApiServer(tokens)
    tokens.start()
    api.start()
    try:
        yield tokens, api
    finally:
        api.close()
        tokens.close()


def app_env(tokens: TokenServer, api: ApiServer, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(HERE.parent), env.get("PYTHONPATH", "")])
    env["PM_TOKEN_URL"] = tokens.url
    env["PM_API_URL"] = api.url
    env.update(extra)
    return env


class AppProcess:
    """A server process tree (gunicorn or uvicorn) started by the test, with its output kept
    in files (a pipe nobody reads could fill and block the server)."""

    def __init__(self, argv: list[str], env: dict[str, str], directory: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.out = directory / "server.out"
        self.err = directory / "server.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", *[a.replace("{port}", str(self.port)) for a in argv]],
                env=env,
                stdout=out,
                stderr=err,
                cwd=str(HERE),
            )

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll ``/health`` until it answers 200 (bounded; fails early if the server died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited ({self.proc.returncode}):\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server not ready in {timeout}s:\n{self.output()}")

    def call(self) -> dict[str, Any]:
        """One request to the app's ``/call`` on a new connection (so the kernel can hand it
        to any worker)."""
        response = httpx.get(f"{self.url}/call", timeout=30, headers={"Connection": "close"})
        assert response.status_code == 200, (response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        return answer

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM the root process and wait (bounded) for the whole tree to exit."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise

    def kill(self) -> None:
        if self.proc.poll() is None:
            for pid in descendants(self.proc.pid) - {self.proc.pid}:
                with suppress(OSError):  # already gone
                    os.kill(pid, signal.SIGKILL)
            self.proc.kill()
            self.proc.wait(timeout=10)


def drive(app: AppProcess, *, calls: int, concurrency: int = 8) -> list[dict[str, Any]]:
    """``calls`` requests to ``/call``, ``concurrency`` at a time; every answer."""
    answers: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    remaining = [calls]

    def run() -> None:
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                answer = app.call()
            except BaseException as exc:  # collected: the test reports them all
                with lock:
                    errors.append(exc)
                continue
            with lock:
                answers.append(answer)

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    return answers


def wait_until(condition: Any, timeout: float) -> bool:
    """Poll ``condition()`` every 20 ms until true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def until_every_worker(
    app: AppProcess, workers: int, *, timeout: float = 60, concurrency: int = 8
) -> list[dict[str, Any]]:
    """Drive rounds of concurrent calls until ``workers`` distinct worker pids have answered
    (bounded); every answer."""
    answers: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len({a["pid"] for a in answers}) < workers:
        assert time.monotonic() < deadline, (
            f"only {len({a['pid'] for a in answers})} of {workers} workers answered"
        )
        answers += drive(app, calls=concurrency, concurrency=concurrency)
    return answers
