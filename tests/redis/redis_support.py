"""Shared helpers for the Redis cache tests (tokens, credentials, caches)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from canary import CANARY_CLIENT_ID, CANARY_ENV_ID, CANARY_SECRET, CANARY_TOKEN
from httpx_pingone_worker import ClientCredentials, Secret, Token, cache_key

KEY = cache_key("https://auth.pingone.com/env/as/token", CANARY_CLIENT_ID, ["a", "b"])


def make_token(
    access: str = CANARY_TOKEN, *, expires_in: int = 3600, obtained_at: float | None = None
) -> Token:
    """A token as the token endpoint would return it."""
    return Token(
        access_token=Secret(access),
        token_type="Bearer",
        expires_in=expires_in,
        obtained_at=time.time() if obtained_at is None else obtained_at,
        scopes=frozenset({"a", "b"}),
        requested_scopes=frozenset({"a", "b", "c"}),
        scope_returned=True,
    )


def credentials(secret: str = CANARY_SECRET) -> ClientCredentials:
    """The canary worker app's credentials."""
    return ClientCredentials(CANARY_CLIENT_ID, secret, CANARY_ENV_ID, "NA")


#: Socket timeout of the caches in counting tests (the library default, 0.5 s, is for
#: production latency budgets; a loaded test machine can exceed it and degrade the cache).
TEST_SOCKET_TIMEOUT = 5.0


def bound_cache(url: str, secret: str = CANARY_SECRET, **kwargs: Any) -> Any:
    """A RedisTokenCache bound to the canary credentials, as PingOneWorkerAuth binds it."""
    from httpx_pingone_worker import RedisTokenCache

    # Counting tests must not degrade because a loaded CI machine answered slowly: tests of
    # slow or stopped Redis pass their own short socket_timeout.
    kwargs.setdefault("socket_timeout", TEST_SOCKET_TIMEOUT)
    cache = RedisTokenCache(url, **kwargs)
    cache.bind(credentials(secret))
    return cache


REDIS_SERVER = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
REDIS_CLI = shutil.which("redis-cli")
HERE = Path(__file__).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process we own: start, stop (SIGTERM, then SIGKILL), restart."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start on ``self.port`` and wait (bounded) until it answers PING."""
        import redis

        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--enable-debug-command",
                "local",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        try:
            while True:
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    pass
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}")
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server and wait until it is gone."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        self.proc = None

    def client(self, **kwargs: Any) -> Any:
        """A fresh sync client for assertions (caller closes it)."""
        import redis

        kwargs.setdefault("socket_timeout", 2)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def cli(self, *args: str) -> bytes:
        """Run ``redis-cli`` against this server and return its raw output."""
        if REDIS_CLI is None:  # pragma: no cover - redis-tools ships with redis-server
            pytest.skip("redis-cli is not installed")
        return subprocess.run(
            [REDIS_CLI, "-h", "127.0.0.1", "-p", str(self.port), *args],
            check=True,
            capture_output=True,
            timeout=10,
        ).stdout


WORKER = HERE / "fleet_worker.py"


def worker_env() -> dict[str, str]:
    """The environment for fleet members: this folder and tests/ importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(HERE), str(HERE.parent), env.get("PYTHONPATH", "")])
    return env


class TokenServer:
    """A tiny OAuth token endpoint on 127.0.0.1 that counts the requests it answers."""

    def __init__(self, delay: float = 0.2, *, gate: threading.Event | None = None) -> None:
        self.requests = 0
        self.delay = delay
        #: When given, every answer waits (bounded) until the gate is set.
        self.gate = gate
        #: Set once a request has arrived (and been counted).
        self.arrived = threading.Event()
        #: Access tokens handed out, in order.
        self.issued: list[str] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                access = secrets.token_urlsafe(24)
                with outer._lock:
                    outer.requests += 1
                    outer.issued.append(access)
                outer.arrived.set()
                if outer.gate is not None:
                    outer.gate.wait(180)
                time.sleep(outer.delay)  # a realistic token endpoint is not instant
                body = json.dumps(
                    {
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": 3600,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/as/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> TokenServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def make_auth(url: str, token_url: str, **cache_kwargs: Any) -> Any:
    """One "process": its own PingOneWorkerAuth and RedisTokenCache on the shared Redis."""
    from httpx_pingone_worker import PingOneWorkerAuth, RedisTokenCache

    cache_kwargs.setdefault("secret", CANARY_SECRET)
    cache_kwargs.setdefault("socket_timeout", TEST_SOCKET_TIMEOUT)
    return PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        CANARY_ENV_ID,
        token_endpoint=token_url,
        allow_loopback_http=True,
        cache=RedisTokenCache(url, **cache_kwargs),
    )


RENEWAL_THREAD = "pingone-redis-lock-renewal"


def renewal_threads() -> list[threading.Thread]:
    """The lock-renewal daemon threads alive in this process."""
    return [t for t in threading.enumerate() if t.name == RENEWAL_THREAD]


def eval_calls(client: Any) -> int:
    """How many EVAL commands the server has run (compare-and-renew/-delete scripts)."""
    stats = client.info("commandstats")
    return int(stats.get("cmdstat_eval", {}).get("calls", 0))


def wait_until(condition: Any, timeout: float = 5.0) -> bool:
    """Poll ``condition()`` every 10 ms until true or ``timeout`` seconds pass (bounded)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def subscribers(client: Any, channel: str) -> int:
    """How many clients listen on ``channel`` (a waiter is subscribed once this is > 0)."""
    return int(dict(client.pubsub_numsub(channel)).get(channel.encode(), 0))


def require_redis_binaries(*names: str) -> dict[str, str]:
    """The paths of the Redis binaries a test needs; skip without them, but under CI=true fail
    (``.ci/run`` installs redis-server and redis-tools, so a missing binary there is a bug)."""
    found = {"redis-server": REDIS_SERVER, "redis-cli": REDIS_CLI}
    missing = [name for name in names if not found.get(name)]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install redis-server redis-tools)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true requires them", pytrace=False)
        pytest.skip(reason)
    return {name: str(found[name]) for name in names}


def _wait_ping(client: Any, proc: subprocess.Popen[bytes], what: str) -> None:
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            if client.ping():
                return
        except redis.RedisError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.02)


def _free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    import random

    for _ in range(200):
        port = random.randint(20000, 50000)
        try:
            for candidate in (port, port + 10000):
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


#: The ACL password of the TLS server's user (canary-like: it must never be logged).
TLS_PASSWORD = "acl-pw-3f9c2a7e1b6d4c08"


class TlsRedisServer:
    """A redis-server speaking only TLS (certificates from trustme) with an ACL user.

    The default user is off: only ``user``/``password`` get in, limited to keys and channels
    under ``pingone:`` (the documented minimal ACL).
    """

    user = "tokencache"
    #: The ACL rule the README documents for the cache's user.
    acl: ClassVar[list[str]] = ["~pingone:*", "&pingone:*", "+@all", "-@dangerous"]

    def __init__(self, binary: str, directory: Path, password: str) -> None:
        import trustme

        self.binary = binary
        self.directory = directory
        self.password = password
        self.port = _free_port()
        self.ca = trustme.CA()
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = directory / "ca.pem"
        self.cert_file = directory / "server.pem"
        self.key_file = directory / "server.key"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        cert.cert_chain_pems[0].write_to_path(str(self.cert_file))
        cert.private_key_pem.write_to_path(str(self.key_file))
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, *, user: str | None = None, password: str | None = None, ca: bool = True) -> str:
        """``rediss://user:password@127.0.0.1:port/0?ssl_ca_certs=…``."""
        query = f"?ssl_ca_certs={self.ca_file}" if ca else ""
        return (
            f"rediss://{user or self.user}:{password or self.password}"
            f"@127.0.0.1:{self.port}/0{query}"
        )

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                "0",
                "--tls-port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--tls-cert-file",
                str(self.cert_file),
                "--tls-key-file",
                str(self.key_file),
                "--tls-ca-cert-file",
                str(self.ca_file),
                "--tls-auth-clients",
                "no",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--user",
                "default",
                "off",
                "--user",
                self.user,
                "on",
                f">{self.password}",
                *self.acl,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url(), socket_timeout=2)
        try:
            _wait_ping(client, self.proc, f"TLS redis-server on port {self.port}")
        finally:
            client.close()

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url(), socket_timeout=2)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = None


class RedisCluster:
    """Three ``redis-server --cluster-enabled yes`` nodes on loopback, joined by
    ``redis-cli --cluster create … --cluster-replicas 0``; nodes can be stopped and restarted
    (each keeps its ``nodes.conf``, so it rejoins with its slots)."""

    def __init__(self, server: str, cli: str, directory: Path, nodes: int = 3) -> None:
        self.server = server
        self.cli = cli
        self.directory = directory
        self.ports = [_free_cluster_port() for _ in range(nodes)]
        self.procs: dict[int, subprocess.Popen[bytes]] = {}

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}"

    def start_node(self, port: int) -> None:
        import redis

        node_dir = self.directory / str(port)
        node_dir.mkdir(exist_ok=True)
        self.procs[port] = subprocess.Popen(
            [
                self.server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--cluster-node-timeout",
                "5000",
                "--dir",
                str(node_dir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
        try:
            _wait_ping(client, self.procs[port], f"cluster node on port {port}")
        finally:
            client.close()

    def start(self) -> None:
        for port in self.ports:
            self.start_node(port)
        subprocess.run(
            [
                self.cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self.wait_ok()

    def states(self) -> list[str]:
        """``cluster_state`` as each running node sees it."""
        import redis

        out = []
        for port in self.procs:
            client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=2)
            try:
                info = client.execute_command("CLUSTER INFO")
            except redis.RedisError:
                info = {}
            finally:
                client.close()
            if isinstance(info, bytes):  # older redis-py: the raw text
                info = dict(
                    line.split(":", 1) for line in info.decode().splitlines() if ":" in line
                )
            out.append("ok" if str(info.get("cluster_state")) == "ok" else "fail")
        return out

    def wait_ok(self, timeout: float = 60) -> None:
        """Wait (bounded) until every node reports the cluster healthy."""
        if not wait_until(lambda: set(self.states()) == {"ok"}, timeout):
            raise RuntimeError(f"cluster not ok: {self.states()}")

    def stop_node(self, port: int) -> None:
        proc = self.procs.pop(port)
        proc.terminate()
        proc.wait(timeout=10)

    def client(self) -> Any:
        import redis.cluster

        return redis.cluster.RedisCluster(host="127.0.0.1", port=self.ports[0], socket_timeout=5)

    def stop(self) -> None:
        for port in list(self.procs):
            self.stop_node(port)


#: The password of the Sentinel deployment's data nodes (canary-like: never logged).
SENTINEL_NODE_PASSWORD = "sentinel-node-pw-9d2f7c41e8"
#: The TLS deployment's ACL user password and its sentinels' own password.
SENTINEL_ACL_PASSWORD = "sentinel-acl-pw-5be01f93aa"
SENTINEL_SENTINELS_PASSWORD = "sentinel-sentinels-pw-c7d3e2"
SENTINEL_SERVICE = "tokens"


class SentinelDeployment:
    """A Redis Sentinel deployment on loopback: a master and a replica (both with
    ``requirepass``), and ``sentinels`` processes of ``redis-server --sentinel`` watching the
    master as ``SENTINEL_SERVICE`` (quorum: a majority). The master can be killed for a
    failover; :meth:`current_master` asks a sentinel which port serves now.

    With ``tls=True`` every process speaks TLS only (trustme certificates, replication and
    sentinel links included), the data nodes have the cache's ACL user (``TlsRedisServer``'s
    rules) next to the default user the sentinels and the replica use, and the sentinels ask
    for a password of their own (``requirepass`` and ``sentinel sentinel-pass``)."""

    user = TlsRedisServer.user

    def __init__(self, binary: str, directory: Path, sentinels: int = 3, *, tls: bool = False):
        self.binary = binary
        self.directory = directory
        self.password = SENTINEL_NODE_PASSWORD
        self.tls = tls
        self.master_port = _free_port()
        self.replica_port = _free_port()
        self.sentinel_ports = [_free_port() for _ in range(sentinels)]
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.ca_file = directory / "ca.pem"
        if tls:
            import trustme

            ca = trustme.CA()
            cert = ca.issue_cert("127.0.0.1", "localhost")
            ca.cert_pem.write_to_path(str(self.ca_file))
            cert.cert_chain_pems[0].write_to_path(str(directory / "server.pem"))
            cert.private_key_pem.write_to_path(str(directory / "server.key"))

    def url(
        self, *, password: str | None = None, sentinel_password: str | None = None, db: int = 0
    ) -> str:
        """``redis+sentinel://:<password>@127.0.0.1:<p1>,…/<service>/<db>``; with TLS
        ``rediss+sentinel://tokencache:<acl password>@…?ssl_ca_certs=…&sentinel_password=…``."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        if not self.tls:
            return f"redis+sentinel://:{password or self.password}@{hosts}/{SENTINEL_SERVICE}/{db}"
        return (
            f"rediss+sentinel://{self.user}:{password or SENTINEL_ACL_PASSWORD}@{hosts}"
            f"/{SENTINEL_SERVICE}/{db}?ssl_ca_certs={self.ca_file}"
            f"&sentinel_password={sentinel_password or SENTINEL_SENTINELS_PASSWORD}"
        )

    def _tls_lines(self, port: int) -> list[str]:
        """``port`` as a TLS-only port, and TLS for outgoing links (replication, sentinels)."""
        if not self.tls:
            return [f"port {port}"]
        return [
            "port 0",
            f"tls-port {port}",
            f"tls-cert-file {self.directory / 'server.pem'}",
            f"tls-key-file {self.directory / 'server.key'}",
            f"tls-ca-cert-file {self.ca_file}",
            "tls-auth-clients no",
            "tls-replication yes",
        ]

    def _client(self, port: int, password: str | None, **kwargs: Any) -> Any:
        import redis

        if self.tls:
            kwargs.update(ssl=True, ssl_ca_certs=str(self.ca_file))
        return redis.Redis(
            host="127.0.0.1", port=port, password=password, socket_timeout=2, **kwargs
        )

    def _start(self, port: int, config: Path, *args: str) -> None:
        self.procs[port] = subprocess.Popen(
            [self.binary, str(config), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _node(self, port: int, *extra: str) -> None:
        node_dir = self.directory / f"node-{port}"
        node_dir.mkdir(exist_ok=True)
        lines = [
            *self._tls_lines(port),
            "bind 127.0.0.1",
            f"dir {node_dir}",
            'save ""',
            "appendonly no",
            f"requirepass {self.password}",
            f"masterauth {self.password}",
            *extra,
        ]
        if self.tls:
            rules = " ".join(TlsRedisServer.acl)
            lines.append(f"user {self.user} on >{SENTINEL_ACL_PASSWORD} {rules}")
        config = self.directory / f"node-{port}.conf"
        config.write_text("\n".join(lines) + "\n")
        self._start(port, config)
        client = self.node_client(port)
        try:
            _wait_ping(client, self.procs[port], f"redis-server on port {port}")
        finally:
            client.close()

    def _sentinel(self, port: int) -> None:
        config = self.directory / f"sentinel-{port}.conf"
        quorum = len(self.sentinel_ports) // 2 + 1
        lines = [
            *self._tls_lines(port),
            "bind 127.0.0.1",
            f"dir {self.directory}",
            f"sentinel monitor {SENTINEL_SERVICE} 127.0.0.1 {self.master_port} {quorum}",
            f"sentinel auth-pass {SENTINEL_SERVICE} {self.password}",
            f"sentinel down-after-milliseconds {SENTINEL_SERVICE} 1000",
            f"sentinel failover-timeout {SENTINEL_SERVICE} 10000",
            f"sentinel parallel-syncs {SENTINEL_SERVICE} 1",
        ]
        if self.tls:
            lines += [
                f"requirepass {SENTINEL_SENTINELS_PASSWORD}",
                f"sentinel sentinel-pass {SENTINEL_SENTINELS_PASSWORD}",
            ]
        config.write_text("\n".join(lines) + "\n")
        self._start(port, config, "--sentinel")
        client = self.sentinel_client(port)
        try:
            _wait_ping(client, self.procs[port], f"sentinel on port {port}")
        finally:
            client.close()

    def sentinel_client(self, port: int, **kwargs: Any) -> Any:
        """A plain client of the sentinel on ``port`` (caller closes it)."""
        password = SENTINEL_SENTINELS_PASSWORD if self.tls else None
        return self._client(port, password, **kwargs)

    def sentinel_state(self, port: int) -> dict[str, Any]:
        """``SENTINEL MASTER <service>`` as the sentinel on ``port`` sees it ({} if down)."""
        import redis

        client = self.sentinel_client(port, decode_responses=True)
        try:
            return dict(client.sentinel_master(SENTINEL_SERVICE))
        except redis.RedisError:
            return {}
        finally:
            client.close()

    def ready(self) -> bool:
        """Every sentinel knows the master, the replica and all the other sentinels."""
        for port in self.sentinel_ports:
            state = self.sentinel_state(port)
            if (
                int(state.get("num-slaves", 0)) < 1
                or int(state.get("num-other-sentinels", 0)) < len(self.sentinel_ports) - 1
                or not state.get("is_master")
                or state.get("is_sdown")
            ):
                return False
        return True

    def start(self) -> None:
        """Master, then the replica (waiting until its link is up), then the sentinels;
        bounded waits until each sentinel sees the replica and its peers."""
        self._node(self.master_port)
        self._node(self.replica_port, f"replicaof 127.0.0.1 {self.master_port}")
        replica = self.node_client(self.replica_port)
        try:
            if not wait_until(
                lambda: replica.info("replication").get("master_link_status") == "up", 20
            ):
                raise RuntimeError("the replica did not sync with the master")
        finally:
            replica.close()
        for port in self.sentinel_ports:
            self._sentinel(port)
        if not wait_until(self.ready, 30):
            raise RuntimeError("the sentinels did not discover the replica and each other")

    def node_client(self, port: int) -> Any:
        """A plain client of the data node on ``port`` (caller closes it)."""
        return self._client(port, self.password)

    def current_master(self) -> int | None:
        """The master's port as the first sentinel that answers sees it."""
        for port in self.sentinel_ports:
            state = self.sentinel_state(port)
            if state:
                return int(state["port"])
        return None

    def kill(self, port: int) -> None:
        """SIGKILL the process on ``port`` (no shutdown, no last words to the replicas)."""
        proc = self.procs.pop(port)
        proc.kill()
        proc.wait(timeout=10)

    def stop(self) -> None:
        for port in list(self.procs):
            proc = self.procs.pop(port)
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
