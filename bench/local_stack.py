"""The local stack under a burst (issue 9): ``python -m bench --only local-stack [--workers N]``.

Against ``tools.stack.runner`` started here on free ports with ``--workers N`` (or ``BENCH_BASE_URL``), with plain
``http.client`` clients (no socket options, no resend on reset):

- 100 clients at once, each a new connection per request, 400 ``GET /v1/health`` in all: statuses, p50/p99;
- 40 clients connecting at the same instant, each ``POST /v1/auth/app/otp`` (distinct phones): how many reached
  the app (its ``X-Request-Id``, no gateway error type) -- all must; a 429 is the app's own rate limit;
- one keep-alive ``HTTPConnection``: the median of 40 sequential ``GET /v1/health``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.report import percentile, table
from bench.stack import REPO_ROOT


@contextlib.contextmanager
def stack(workers: int) -> Iterator[tuple[str, str]]:
    given = os.environ.get("BENCH_BASE_URL")
    if given:
        yield given.rstrip("/"), "BENCH_BASE_URL (worker count as started)"
        return
    from tools import procs

    with tempfile.TemporaryDirectory(prefix="bench-local-stack-") as tmp:
        ready = Path(tmp) / "ready.json"
        cmd = [
            sys.executable, "-m", "tools.stack.runner", "--workers", str(workers),
            "--port", "0", "--dynamodb-port", "0", "--sqs-port", "0", "--wechat-port", "0",
            "--ready-file", str(ready), "--log-dir", tmp, "--no-seed", "--no-pollers",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCAL_", "BENCH_"))}
        env["POWERTOOLS_LOG_LEVEL"] = "ERROR"
        env["POWERTOOLS_METRICS_DISABLED"] = "true"
        with open(Path(tmp) / "local-stack.out", "ab") as out:
            proc = procs.spawn(cmd, cwd=str(REPO_ROOT), env=env, stdout=out)
            try:
                procs.wait_until(ready.exists, timeout=180, proc=proc, what="local stack")
                yield str(json.loads(ready.read_text(encoding="utf-8"))["api"]), "tools.stack.runner (free ports)"
            finally:
                procs.stop(proc, timeout=15)


def _connection(base: str, timeout: float = 60) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout), parts.path.rstrip("/")


def new_connections(base: str, clients: int = 100, requests: int = 400) -> dict[str, Any]:
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    gate = threading.Barrier(clients)

    def client(count: int) -> list[tuple[float, Any]]:
        gate.wait(timeout=60)
        out = []
        for _ in range(count):
            conn, prefix = _connection(base)
            started = time.perf_counter()
            try:
                conn.request("GET", prefix + "/v1/health", headers={"Connection": "close"})
                response = conn.getresponse()
                response.read()
                outcome: Any = response.status
            except OSError as err:
                outcome = type(err).__name__
            finally:
                conn.close()
            out.append(((time.perf_counter() - started) * 1000, outcome))
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for chunk in pool.map(client, per_client) for r in chunk]
    elapsed = time.perf_counter() - started
    latencies = [ms for ms, _ in results]
    outcomes = Counter(str(o) for _, o in results)
    return {"clients": clients, "requests": len(results), "ok": outcomes.get("200", 0), "outcomes": dict(outcomes),
            "seconds": elapsed, "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
            "max_ms": max(latencies) if latencies else None}


def simultaneous_posts(base: str, clients: int = 40) -> dict[str, Any]:
    gate = threading.Barrier(clients)
    tag = f"{secrets.randbelow(10_000):04d}"

    def client(i: int) -> tuple[Any, bool]:
        conn, prefix = _connection(base)
        body = json.dumps({"phone": f"136{tag}{i:04d}"})
        gate.wait(timeout=60)
        try:
            conn.request("POST", prefix + "/v1/auth/app/otp", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read()
            reached = bool(response.getheader("X-Request-Id")) and not response.getheader("x-amzn-ErrorType")
            return response.status, reached
        except OSError as err:
            return type(err).__name__, False
        finally:
            conn.close()

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    return {"clients": clients, "reached_app": sum(1 for _, reached in results if reached),
            "outcomes": dict(Counter(str(status) for status, _ in results))}


def keep_alive(base: str, requests: int = 40) -> dict[str, Any]:
    conn, prefix = _connection(base)
    latencies, statuses = [], Counter()
    try:
        for _ in range(requests):
            started = time.perf_counter()
            conn.request("GET", prefix + "/v1/health")
            response = conn.getresponse()
            response.read()
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[str(response.status)] += 1
    finally:
        conn.close()
    return {"requests": requests, "median_ms": statistics.median(latencies), "statuses": dict(statuses)}


def measure(workers: int = 4) -> dict[str, Any]:
    with stack(workers) as (base, source):
        keep_alive(base, 5)  # warm every worker's first request
        return {
            "base_url": base, "source": source, "workers": workers,
            "new_connections": new_connections(base),
            "simultaneous_posts": simultaneous_posts(base),
            "keep_alive": keep_alive(base),
        }  # fmt: skip


def render(data: dict[str, Any]) -> str:
    burst, posts, alive = data["new_connections"], data["simultaneous_posts"], data["keep_alive"]
    rows = [
        [f"{burst['clients']} clients, new connection per request, GET /v1/health", burst["requests"],
         f"{burst['ok']} x 200", f"p50 {burst['p50_ms']:.1f} ms, p99 {burst['p99_ms']:.1f} ms",
         json.dumps(burst["outcomes"])],
        [f"{posts['clients']} clients connect at once, POST /v1/auth/app/otp", posts["clients"],
         f"{posts['reached_app']} reached the app", "-", json.dumps(posts["outcomes"])],
        ["one keep-alive HTTPConnection, sequential GET /v1/health", alive["requests"], "-",
         f"median {alive['median_ms']:.2f} ms", json.dumps(alive["statuses"])],
    ]  # fmt: skip
    out = f"against {data['base_url']} ({data['source']}); {data['workers']} worker processes\n"
    return out + table(("case", "requests", "answered", "latency", "statuses"), rows, align="lrlll")
