"""uvicorn ``--workers 3`` with a FastAPI app: a module-level auth and ``httpx.AsyncClient``
in every worker (uvicorn spawns them), real servers on loopback.

Asserted: at start and at a refresh point (the API refuses every earlier token) each worker
process asks for a token at most once, over a socket of its own, and uses the token that
answered its own request; SIGTERM stops the server and its workers cleanly.
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

pytest.importorskip("uvicorn")
pytest.importorskip("fastapi")
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="/proc socket owners: Linux only"
)

WORKERS = 3


def test_uvicorn_workers_ask_at_most_once_each_per_refresh_point(tmp_path: Path) -> None:
    with servers() as (tokens, api):
        argv = [
            "uvicorn",
            "pm_asgi_app:app",
            "--workers", str(WORKERS),
            "--host", "127.0.0.1",
            "--port", "{port}",
            "--log-level", "info",
        ]  # fmt: skip
        app = AppProcess(argv, app_env(tokens, api), tmp_path)
        tokens.root_pid = app.proc.pid
        try:
            app.wait_ready()
            answers = until_every_worker(app, WORKERS)
            answers += drive(app, calls=3 * WORKERS)
            pids = {a["pid"] for a in answers}
            assert len(pids) == WORKERS
            assert pids <= descendants(app.proc.pid)
            assert all(a["status"] == 200 for a in answers), answers

            def check(epoch: int, answers: list[dict[str, object]]) -> None:
                asked = tokens.per_owner(epoch)
                assert SHARED not in asked, f"a token request went over a shared socket: {asked}"
                assert set(asked) <= pids, asked  # the workers asked, nobody else
                assert all(n == 1 for n in asked.values()), asked  # at most once each
                # Each worker uses the token that answered its own request.
                assert all(a["owner"] == str(a["pid"]) for a in answers), answers

            check(0, answers)
            assert sum(tokens.per_owner(0).values()) == WORKERS  # every worker asked once

            api.rotate()  # a refresh point for the whole fleet
            after = until_every_worker(app, WORKERS)
            after += drive(app, calls=3 * WORKERS)
            assert all(a["status"] == 200 for a in after), after
            assert {a["pid"] for a in after} == pids  # the same workers, none restarted
            check(1, after)
            assert sum(tokens.per_owner(1).values()) == WORKERS
        except BaseException:
            print(app.output())
            app.kill()
            raise
        workers = descendants(app.proc.pid) - {app.proc.pid}
        assert app.terminate() == 0, app.output()
        output = app.output()
        assert "Traceback" not in output, output
        assert "Finished server process" in output, output
        # Bounded: a helper (multiprocessing's resource tracker) exits once the root has.
        assert wait_until(lambda: not running(workers), 10), "a worker outlived the server"
