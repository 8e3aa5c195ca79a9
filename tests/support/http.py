"""Real HTTP for tests: a plain JSON client over urllib, and two ways to serve the app on a free port.

- ``serve_app_processes(workers=2)``: the app the way the local stack and Lambda serve it -- gunicorn with
  ``workers`` sync worker processes, one request at a time each (``tools/lambda_emulation/api_gateway.py``), on the
  current test environment's tables and endpoints (``os.environ`` is passed through). Concurrency tests use it, so
  nothing one process keeps (a lock, a cache, the Powertools metrics) can make a race pass. Each process has its own
  caches and clock: a test that freezes ``clock`` or swaps a port in the test process does not reach them.
- ``serve_app()``: chalice's threaded dev server in the test process (one thread per request). Only for tests
  that need the server to share the test process's state (an injected port); threads share the app's globals.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def call_with_headers(
    base: str, method: str, path: str, body: Any = None, token: str | None = None,
    headers: dict[str, str] | None = None, timeout: float = 60,
) -> tuple[int, Any, dict[str, str]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None, dict(response.headers)
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None, dict(err.headers)


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, Any]:
    status, payload, _ = call_with_headers(base, method, path, body, token, headers, timeout)
    return status, payload


class Http:
    """``call``/``call_with_headers`` bound to one base URL."""

    def __init__(self, base: str, timeout: float = 60) -> None:
        self.base = base
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             token: str | None = None) -> tuple[int, Any]:
        return call(self.base, method, path, body, token, headers, self.timeout)

    def call_with_headers(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                          token: str | None = None) -> tuple[int, Any, dict[str, str]]:
        return call_with_headers(self.base, method, path, body, token, headers, self.timeout)


@contextmanager
def serve_app(timeout: float = 60) -> Iterator[Http]:
    """The app on a free loopback port, one thread per request in this process, using the current environment."""
    from chalice.config import Config
    from chalice.local import LocalDevServer, ThreadedHTTPServer

    import app as application

    class Server(ThreadedHTTPServer):
        daemon_threads = True

    server = LocalDevServer(application.app, Config(chalice_stage="local"), "127.0.0.1", 0, server_cls=Server)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Http(f"http://127.0.0.1:{server.server.server_address[1]}", timeout)
    finally:
        server.server.shutdown()
        server.server.server_close()


@contextmanager
def serve_app_processes(workers: int = 2, timeout: float = 60, attempts: int = 3) -> Iterator[Http]:
    """The app behind gunicorn with ``workers`` (>= 2 for races) worker processes on a free port; see the module doc.

    The environment is this process's ``os.environ`` at the time of the call (``ddb_table`` and the other fixtures
    have set the tables and endpoints by then). A port taken between choosing and binding it is retried.
    """
    from tools import procs
    from tools.lambda_emulation.api_gateway import gunicorn_command

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    last = ""
    for _ in range(attempts):
        port = procs.free_port()
        log = tempfile.NamedTemporaryFile(prefix="serve-app-", suffix=".log", delete=False)  # noqa: SIM115
        cmd = gunicorn_command(host="127.0.0.1", port=port, workers=workers, access_log=False)
        proc = procs.spawn(cmd, env=env, cwd=str(REPO_ROOT), stdout=log)
        log.close()
        base = f"http://127.0.0.1:{port}"
        try:
            procs.wait_until(lambda base=base: procs.http_answers(base + "/v1/health") == 200, timeout=60,
                             proc=proc, what=f"gunicorn ({workers} workers)")
            _wait_for_workers(Path(log.name), workers, proc)
        except (RuntimeError, TimeoutError) as err:
            procs.stop(proc)
            last = f"{err}\n{_tail(Path(log.name))}"
            os.unlink(log.name)
            continue
        try:
            yield Http(base, timeout)
        finally:
            procs.stop(proc)
            os.unlink(log.name)
        return
    raise RuntimeError(f"could not serve the app with {workers} worker processes: {last}")


def _wait_for_workers(log: Path, workers: int, proc: Any, timeout: float = 30) -> None:
    """Until every worker has booted (gunicorn answers as soon as the first one is up)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count("Booting worker") >= workers:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        time.sleep(0.05)
    raise TimeoutError(f"{workers} workers not booted after {timeout:.0f} s")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
