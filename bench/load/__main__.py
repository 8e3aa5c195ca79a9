"""``python -m bench.load`` (``make load``): members of a flash sale against the local stack or a deployed stage.

    python -m bench.load                         # the local stack on :8000 if it answers, else one started here
    python -m bench.load --users 50 --seconds 120
    python -m bench.load --host https://<api id>.execute-api.<region>.amazonaws.com/api \\
        --admin-password ... --integration-key ...   # a deployed stage (see the README: its sign-in needs the
                                                     # WeChat simulator as the stage's WECHAT_API_BASE)

Runs ``bench/load/locustfile.py`` headless for a bounded time and number of users, then prints p50/p95/p99 per
request, the errors, and the oversell check (stock sold against redemptions made). Exit status 1 when a unit was
oversold, the stock sold differs from the redemptions, or any request failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.report import table
from bench.stack import REPO_ROOT

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
RUNNING_STACK = "http://127.0.0.1:8000"


def _answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/v1/health", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def _stack(host: str | None, log_dir: Path) -> Iterator[tuple[str, str]]:
    if host:
        yield host.rstrip("/"), "given by --host"
        return
    if _answers(RUNNING_STACK):
        yield RUNNING_STACK, "the running local stack"
        return
    from tools import procs

    ready = log_dir / "ready.json"
    cmd = [sys.executable, "-m", "tools.stack.runner", "--port", "0", "--dynamodb-port", "0", "--sqs-port", "0",
           "--wechat-port", "0", "--wechatpay-port", "0", "--ready-file", str(ready), "--log-dir", str(log_dir)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCAL_", "BENCH_"))}
    env["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    with open(log_dir / "local-stack.out", "ab") as out:
        proc = procs.spawn(cmd, cwd=str(REPO_ROOT), env=env, stdout=out)
        try:
            procs.wait_until(ready.exists, timeout=180, proc=proc, what="local stack")
            yield str(json.loads(ready.read_text(encoding="utf-8"))["api"]), "a local stack started for the run"
        finally:
            procs.stop(proc, timeout=15)


def render(report: dict[str, Any], where: str, users: int, seconds: int) -> str:
    rows = [[r["name"], r["requests"], r["errors"], f"{r['p50']:.0f}", f"{r['p95']:.0f}", f"{r['p99']:.0f}",
             r["rps"]] for r in report["requests"]]
    lines = [f"Flash-sale load: {users} users for {seconds} s against {where}",
             table(["request", "count", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s"], rows), "",
             f"hot reward: stock {report['stock']}, sold {report['sold']} (left {report['stock_left']}), "
             f"redemptions answered 201: {report['redemptions']}, refused out_of_stock: "
             f"{report['refused_out_of_stock']}",
             f"oversold: {report['oversold']}  stock sold = redemptions: "
             f"{'yes' if report['sold_matches_redemptions'] else 'NO'}  sign-ins by SMS code: {report['sms_signins']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=None, help="a deployed stage's URL (default: the local stack)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--stock", type=int, default=200)
    parser.add_argument("--admin-user", default=os.environ.get("LOAD_ADMIN_USER", "admin"))
    parser.add_argument("--admin-password", default=os.environ.get("LOAD_ADMIN_PASSWORD", "admin-local-pass"))
    parser.add_argument("--integration-key", default=os.environ.get("LOAD_INTEGRATION_KEY", "local-integration-key"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="load-") as tmp, _stack(args.host, Path(tmp)) as (base, where):
        report_file = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base,
               "--users", str(args.users), "--spawn-rate", str(args.spawn_rate), "--run-time", f"{args.seconds}s",
               "--stop-timeout", "5", "--only-summary", "--loglevel", "WARNING", "--stock", str(args.stock),
               "--admin-user", args.admin_user, "--admin-password", args.admin_password,
               "--integration-key", args.integration_key, "--report-file", str(report_file)]
        locust = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                                timeout=args.seconds + 300)
        if not report_file.exists():
            sys.stderr.write(locust.stdout[-4000:] + locust.stderr[-4000:])
            print("the load test did not finish (no report)", file=sys.stderr)
            return 2
        report = json.loads(report_file.read_text(encoding="utf-8"))
    print(render(report, where, args.users, args.seconds))
    failed = report["requests"][-1]["errors"] if report["requests"] else 0
    return 1 if report["oversold"] or not report["sold_matches_redemptions"] or failed else 0


if __name__ == "__main__":
    sys.exit(main())
