"""Latency and throughput over HTTP against the local stack.

Where the API comes from, first match wins:

1. ``BENCH_BASE_URL`` (e.g. a ``make run`` already running): used as is;
2. ``tools/stack/runner.py``: started on free ports (``--port 0 ...``, ``--ready-file``), stopped afterwards;
3. otherwise DynamoDB Local + the WeChat simulator (``bench.stack``) and ``python -m bench.serve`` in a child
   process.

Each endpoint runs with ``concurrency`` client threads (one keep-alive connection each, loopback only) for at
most ``seconds`` or ``max_requests``, after a short warm-up (see ``Http`` on connections). Members sign in
through the mini-program route (the WeChat simulator's ``mock:`` codes); each thread rotates its own
refresh-token chain.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.report import percentile, table
from bench.stack import REPO_ROOT

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Http:
    """A plain client: one ``http.client.HTTPConnection`` per client thread, no socket options, no resend.

    With ``keep_alive`` the connection is reused; when the server answers ``Connection: close`` (the local stack's
    sync workers do, one request per connection, as each Lambda invocation stands alone) ``http.client`` opens
    the next connection itself. Without it every request asks for ``Connection: close``.
    """

    def __init__(self, base_url: str, timeout: float = 10.0, keep_alive: bool = True) -> None:
        parts = urlsplit(base_url)
        if parts.hostname not in LOOPBACK:
            raise ValueError(f"the HTTP bench drives loopback only, not {parts.hostname}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.keep_alive = keep_alive
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if not self.keep_alive:
            headers["Connection"] = "close"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = json.dumps(body).encode() if body is not None else None
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, self.prefix + path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except Exception:
            self.close()  # counted by the caller as a failure; never resent
            raise
        if not self.keep_alive:
            self.close()
        return response.status, (json.loads(raw) if raw else None)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _mp_login(http: Http) -> dict[str, Any]:
    code = f"mock:o_load_{secrets.token_hex(6)}"
    status, body = http.request("POST", "/v1/auth/miniprogram/login", {"code": code})
    if status != 200:
        raise RuntimeError(f"sign-in for the HTTP bench failed: {status} {body}")
    return dict(body)


@dataclass
class Worker:
    """A client thread's state: its connection and, for member routes, its tokens."""

    http: Http
    tokens: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadCase:
    """One endpoint under load: ``prepare(worker)`` once per thread, then ``call(worker) -> status`` repeatedly."""

    name: str
    call: Callable[[Worker], int]
    prepare: Callable[[Worker], None] | None = None


def _sign_in(worker: Worker) -> None:
    worker.tokens = _mp_login(worker.http)


def _health(worker: Worker) -> int:
    return worker.http.request("GET", "/v1/health")[0]


def _me(worker: Worker) -> int:
    return worker.http.request("GET", "/v1/me", token=worker.tokens["access_token"])[0]


def _refresh(worker: Worker) -> int:
    status, body = worker.http.request("POST", "/v1/auth/refresh", {"refresh_token": worker.tokens["refresh_token"]})
    if status == 200:
        worker.tokens = body
    return status


CASES: list[LoadCase] = [
    LoadCase("GET /v1/health", _health),
    LoadCase("GET /v1/me", _me, prepare=_sign_in),
    LoadCase("POST /v1/auth/refresh", _refresh, prepare=_sign_in),
]


def run_case(
    base_url: str,
    case: LoadCase,
    concurrency: int,
    seconds: float,
    max_requests: int,
    warmup: int = 10,
    keep_alive: bool = True,
) -> dict[str, Any]:
    workers = [Worker(Http(base_url, keep_alive=keep_alive)) for _ in range(concurrency)]
    for worker in workers:
        if case.prepare:
            case.prepare(worker)
        for _ in range(warmup):
            case.call(worker)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    failures: list[str] = []
    lock = threading.Lock()
    budget = [max_requests]
    start_gate = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def loop(worker: Worker) -> None:
        start_gate.wait()
        local: list[float] = []
        local_status: dict[int, int] = {}
        while time.perf_counter() < deadline[0]:
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            t0 = time.perf_counter()
            try:
                status = case.call(worker)
            except Exception as exc:  # counted, not raised: one failure must not hide the figures
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
                continue
            local.append((time.perf_counter() - t0) * 1000)
            local_status[status] = local_status.get(status, 0) + 1
        with lock:
            latencies.extend(local)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v

    threads = [threading.Thread(target=loop, args=(w,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join(seconds + 30)
    elapsed = time.perf_counter() - started
    for w in workers:
        w.http.close()
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    return {
        "endpoint": case.name,
        "concurrency": concurrency,
        "keep_alive": keep_alive,
        "requests": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failures": failures[:5],
        "seconds": elapsed,
        "rps": len(latencies) / elapsed if elapsed else None,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies) if latencies else None,
    }


# ------------------------------------------------------------------------------------------ targets


@contextlib.contextmanager
def _local_stack(log_dir: Path) -> Iterator[str]:
    from tools import procs

    ready = log_dir / "ready.json"
    cmd = [
        sys.executable, "-m", "tools.stack.runner",
        "--port", "0", "--dynamodb-port", "0", "--sqs-port", "0", "--wechat-port", "0",
        "--ready-file", str(ready), "--log-dir", str(log_dir), "--no-seed",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCAL_", "BENCH_"))}
    with open(log_dir / "local-stack.out", "ab") as out:
        proc = procs.spawn(cmd, cwd=str(REPO_ROOT), env=env, stdout=out)
        try:
            procs.wait_until(ready.exists, timeout=120, proc=proc, what="local stack")
            yield str(json.loads(ready.read_text(encoding="utf-8"))["api"])
        finally:
            procs.stop(proc, timeout=15)


@contextlib.contextmanager
def _own_server(log_dir: Path) -> Iterator[str]:
    from bench.stack import local_backend
    from tools import procs

    with local_backend() as backend:
        port = procs.free_port()
        env = {**os.environ, **backend.app_env()}
        with open(log_dir / "bench-serve.out", "ab") as out:
            proc = procs.spawn(
                [sys.executable, "-m", "bench.serve", "127.0.0.1", str(port)], cwd=str(REPO_ROOT), env=env, stdout=out
            )
            base = f"http://127.0.0.1:{port}"
            try:
                procs.wait_until(
                    lambda: procs.http_answers(base + "/v1/health") is not None,
                    timeout=60,
                    proc=proc,
                    what="bench.serve",
                )
                yield base
            finally:
                procs.stop(proc)


@contextlib.contextmanager
def api_under_test() -> Iterator[tuple[str, str]]:
    """(base URL, where it came from)."""
    given = os.environ.get("BENCH_BASE_URL")
    if given:
        yield given.rstrip("/"), "BENCH_BASE_URL"
        return
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        if (REPO_ROOT / "tools" / "stack" / "runner.py").exists():
            with _local_stack(Path(tmp)) as base:
                yield base, "tools.stack.runner (started on free ports)"
        else:
            with _own_server(Path(tmp)) as base:
                yield base, "bench.serve (chalice local dev server)"


def measure(
    concurrency: tuple[int, ...] = (1, 8), seconds: float = 5.0, max_requests: int = 5000, keep_alive: bool = True
) -> dict[str, Any]:
    with api_under_test() as (base, source):
        results = [
            run_case(base, case, c, seconds, max_requests, keep_alive=keep_alive) for case in CASES for c in concurrency
        ]
    return {"base_url": base, "source": source, "keep_alive": keep_alive, "results": results}


def render(data: dict[str, Any]) -> str:
    rows = []
    for r in data["results"]:
        bad = r["requests"] - r["ok"] + len(r["failures"])
        rows.append(
            [
                r["endpoint"],
                r["concurrency"],
                r["requests"],
                f"{r['rps']:.0f}" if r["rps"] else "-",
                *(f"{r[k]:.1f}" if r[k] is not None else "-" for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")),
                bad,
            ]
        )
    connections = "a new connection per request"
    if data["keep_alive"]:
        connections = "one keep-alive HTTPConnection per client"
    out = f"against {data['base_url']} ({data['source']}); {connections}\n"
    out += table(
        ("endpoint", "clients", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"),
        rows,
        align="lrrrrrrrr",
    )
    for r in data["results"]:
        if r["failures"] or r["ok"] != r["requests"]:
            out += f"\n  {r['endpoint']} x{r['concurrency']}: statuses {r['statuses']} {r['failures'][:2]}"
    return out
