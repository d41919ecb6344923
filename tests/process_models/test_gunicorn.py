"""gunicorn ``--preload`` with sync and gthread workers: a module-level auth and a module-level
``httpx.Client`` warmed in the master, three workers forked from it, real servers on loopback.

The token endpoint names the process(es) holding each token request's socket (``/proc``): a
socket opened in the master and used by a worker after the fork is held by several processes.
Asserted: the workers serve with the token the master fetched (no request of their own); at a
refresh point (the API refuses every earlier token) each worker asks at most once, over a
socket of its own, and uses the token answering its own request (never a sibling's); with a
shared ``EncryptedFileTokenCache`` the fleet asks once; SIGTERM stops everything cleanly.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from process_support import (
    SHARED,
    AppProcess,
    app_env,
    descendants,
    drive,
    running,
    servers,
    until_every_worker,
    wait_until,
)

pytest.importorskip("gunicorn")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="gunicorn and /proc socket owners: Linux only"
)

WORKERS = 3


def _extra_options() -> list[str]:
    """Newer gunicorn opens a control socket at a fixed path in $HOME: off, so that parallel
    test runs do not share it (older releases have no such option)."""
    from gunicorn.config import KNOWN_SETTINGS

    return [
        option
        for setting in KNOWN_SETTINGS
        if setting.name == "control_socket_disable"
        for option in setting.cli
    ]


@pytest.mark.parametrize(
    ("worker_class", "cache"),
    [("sync", "memory"), ("gthread", "memory"), ("sync", "file")],
)
def test_preload_workers_ask_for_their_own_tokens_over_their_own_sockets(
    tmp_path: Path, worker_class: str, cache: str
) -> None:
    with servers() as (tokens, api):
        argv = [
            "gunicorn",
            "--preload",
            "--workers", str(WORKERS),
            "--worker-class", worker_class,
            "--threads", "4" if worker_class == "gthread" else "1",
            "--bind", "127.0.0.1:{port}",
            "--graceful-timeout", "10",
            *_extra_options(),
            "pm_wsgi_app:app",
        ]  # fmt: skip
        env = app_env(tokens, api, PM_CACHE=cache, PM_CACHE_DIR=str(tmp_path / "cache"))
        app = AppProcess(argv, env, tmp_path)
        tokens.root_pid = app.proc.pid
        try:
            app.wait_ready()
            master = app.proc.pid
            # The warm-up in the master: one token request, before any worker existed.
            assert tokens.per_owner(0) == {master: 1}, tokens.requests

            # Every worker serves with the token inherited from the master.
            answers = until_every_worker(app, WORKERS)
            workers = descendants(master) - {master}
            assert len(workers) == WORKERS
            assert {a["pid"] for a in answers} == workers
            assert all(a["status"] == 200 for a in answers), answers
            assert {a["owner"] for a in answers} == {str(master)}
            assert tokens.per_owner(0) == {master: 1}, tokens.requests

            # A refresh point for the whole fleet: concurrent calls make every worker ask.
            api.rotate()
            after = until_every_worker(app, WORKERS)
            after += drive(app, calls=3 * WORKERS)
            assert all(a["status"] == 200 for a in after), after
            asked = tokens.per_owner(1)
            assert SHARED not in asked, f"a token request went over a shared socket: {asked}"
            if cache == "file":
                assert sum(asked.values()) == 1, asked  # one for the fleet
            else:
                assert set(asked) <= workers, asked
                assert all(n == 1 for n in asked.values()), asked  # at most one per worker
                # Each worker uses the token that answered its own request.
                assert all(a["owner"] == str(a["pid"]) for a in after), after
            assert len(asked) >= 1
        except BaseException:
            print(app.output())
            app.kill()
            raise
        assert app.terminate() == 0, app.output()
        # Bounded: a helper (multiprocessing's resource tracker) exits once the root has.
        assert wait_until(lambda: not running(workers), 10), "a worker outlived the master"
        output = app.output()
        assert "Traceback" not in output, output
        assert "Shutting down: Master" in output, output
