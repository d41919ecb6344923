"""Drive Debian's headless Chromium over the DevTools protocol, standard library only.

``Browser`` starts ``chromium --headless --remote-debugging-pipe`` (the protocol runs over file
descriptors 3 and 4, so no port is opened and no websocket library is needed), opens a tab and
loads pages in it. ``load(url)`` returns what the page did: console messages, uncaught
exceptions, failed requests and log entries at error level, and the rendered text of a CSS
selector. Used by ``tests/docs_site/test_browser.py`` (``tox -e docs``) to look at the built
documentation site the way a reader's browser does.

Chromium runs with a fresh profile, no sandbox (CI containers run as root), no GPU and none of
its own background traffic (component updates, sync, metrics), so a page that tries to reach
the network shows up as a failed request.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """Debian's ``chromium`` (or ``chromium-browser``, ``google-chrome``) on PATH, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageReport:
    """What one page load did."""

    url: str
    console: list[tuple[str, str]] = field(default_factory=list)  # (type, text)
    exceptions: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    text: str = ""  # innerText of the selector given to load()
    values: dict[str, Any] = field(default_factory=dict)  # results of extra expressions

    @property
    def errors(self) -> list[str]:
        """Everything a reader's console would show in red."""
        found = [
            f"console.{kind}: {text}" for kind, text in self.console if kind in ("error", "assert")
        ]
        found += [f"exception: {e}" for e in self.exceptions]
        found += [f"request failed: {r}" for r in self.failed_requests]
        found += [f"log: {e}" for e in self.log_errors]
        return found


def _high(fd: int) -> int:
    """``fd`` moved to a descriptor number of at least 10."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium with one tab; use as a context manager."""

    def __init__(self, executable: str, *, timeout: float = 60.0) -> None:
        self.executable = executable
        self.timeout = timeout
        self._id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # The child's ends move to fds >= 10 first: "3<&4 4>&3" would clobber one another.
        to_child_r, from_child_w = (_high(to_child_r), _high(from_child_w))
        # Chromium reads the protocol on fd 3 and writes on fd 4: bash places them (dash takes
        # single-digit descriptors only).
        script = f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w}'
        self._proc = subprocess.Popen(
            [
                "/bin/bash",
                "-c",
                script,
                self.executable,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            pass_fds=(to_child_r, from_child_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable", session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # closing anyway
            self.call("Browser.close")
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe (did it crash?)")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)  # type: ignore[no-any-return]

    def call(self, method: str, *, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events that arrive meanwhile are kept)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self._session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})  # type: ignore[no-any-return]
            self._events.append(reply)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.call(
            "Runtime.evaluate",
            session=True,
            expression=expression,
            returnByValue=True,
            awaitPromise=True,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def load(
        self,
        url: str,
        *,
        selector: str = "body",
        settle: str | None = None,
        expressions: dict[str, str] | None = None,
    ) -> PageReport:
        """Load ``url``, wait for the load event (and for the JavaScript condition ``settle``,
        if given), and report what happened."""
        self._events.clear()
        self.call("Page.navigate", session=True, url=url)
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._events.append(self._read(deadline))
        if settle is not None:
            while not self.evaluate(settle):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url}: {settle} never became true")
                time.sleep(0.05)
        report = PageReport(url)
        report.text = self.evaluate(
            f"(e => e ? (e.innerText ?? e.textContent) : '')"
            f"(document.querySelector({json.dumps(selector)}) || document.documentElement)"
        )
        for name, expression in (expressions or {}).items():
            report.values[name] = self.evaluate(expression)
        # Events that arrived while evaluating are in self._events too.
        requests: dict[str, str] = {}
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(a.get("value", a.get("description", ""))) for a in params["args"]
                )
                report.console.append((params["type"], text))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                report.exceptions.append(
                    details.get("exception", {}).get("description") or details.get("text", "")
                )
            elif method == "Network.requestWillBeSent":
                requests[params["requestId"]] = params["request"]["url"]
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                report.failed_requests.append(
                    f"{requests.get(params['requestId'], '?')}: {params.get('errorText')}"
                )
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                report.failed_requests.append(
                    f"{params['response']['url']}: HTTP {params['response']['status']}"
                )
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                report.log_errors.append(params["entry"].get("text", ""))
        return report
