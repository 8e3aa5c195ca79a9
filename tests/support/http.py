"""Real HTTP for tests: a JSON client over urllib, and the app behind chalice's threaded dev server.

The dev server serves each request on its own thread, as ``chalice local`` (the local stack) does, so
tests that need truly concurrent requests against DynamoDB Local use ``serve_app``.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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
def serve_app(backlog: int = 128, timeout: float = 60) -> Iterator[Http]:
    """The app on a free loopback port, one thread per request, using the current environment's tables."""
    from chalice.config import Config
    from chalice.local import LocalDevServer, ThreadedHTTPServer

    import app as application

    class Server(ThreadedHTTPServer):
        request_queue_size = backlog  # the default listen backlog of 5 resets a burst of connections
        daemon_threads = True

    server = LocalDevServer(application.app, Config(chalice_stage="local"), "127.0.0.1", 0, server_cls=Server)
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Http(f"http://127.0.0.1:{server.server.server_address[1]}", timeout)
    finally:
        server.server.shutdown()
        server.server.server_close()
