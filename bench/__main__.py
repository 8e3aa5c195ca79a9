"""``python -m bench`` (``make bench``): run the sections, print the figures, write ``bench/results/latest.json``.

    python -m bench                          # everything (about two minutes)
    python -m bench --only calls -v          # sections: coldstart, calls, http, flash, retry; -v: where calls come from
    python -m bench --only flash             # flash sale over HTTP: redemptions/s, p50/p99, oversells
    python -m bench --only retry             # retry worker msg/s per batch, time from failure to case
    python -m bench --only local-stack --workers 4   # bursts against the local stack's worker processes
    python -m bench --runs 30 --seconds 10   # more cold-start runs, longer HTTP runs
    BENCH_BASE_URL=http://127.0.0.1:8000 python -m bench --only http   # against a running `make run`

Targets are reported (ok / OVER), never enforced: the exit status is 1 only when the harness itself failed
(a section raised, or a scenario did not get the HTTP status it expects).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import chalicelib.areas  # noqa: F401  # the composition (app.py imports it too): every area's manifest installed
from bench.report import heading
from bench.stack import REPO_ROOT

SECTIONS = ("coldstart", "calls", "http", "flash", "retry", "local-stack", "appointments", "c2b")
DEFAULT_OUTPUT = REPO_ROOT / "bench" / "results" / "latest.json"


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--runs", type=int, default=15, help="cold start: fresh interpreters per variant")
    parser.add_argument("--modes", default="local,lambda", help="cold start environments: local, lambda")
    parser.add_argument("--repeat", type=int, default=3, help="DynamoDB calls: counted runs per scenario")
    parser.add_argument("--seconds", type=float, default=5.0, help="HTTP: at most this long per endpoint and level")
    parser.add_argument("--max-requests", type=int, default=5000, help="HTTP: at most this many per endpoint/level")
    parser.add_argument("--concurrency", type=_ints, default=(1, 8), help="HTTP: client counts, e.g. 1,8,16")
    parser.add_argument("--new-connections", action="store_true", help="HTTP: a new connection per request")
    parser.add_argument("--flash-stock", type=int, default=100, help="flash sale: units of the hot reward")
    parser.add_argument("--flash-buyers", type=int, default=500, help="flash sale: members tapping once each")
    parser.add_argument("--flash-clients", type=int, default=32, help="flash sale: concurrent client connections")
    parser.add_argument("--flash-shards", type=_ints, default=(1, 16), help="flash sale: stock shard counts to run")
    parser.add_argument("--workers", type=int, default=4, help="local-stack: API worker processes")
    parser.add_argument("-v", "--verbose", action="store_true", help="calls: print where each call comes from")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    return args


def _summary(results: dict[str, Any]) -> list[str]:
    lines = []
    for r in results.get("coldstart") or []:
        lines.append(
            f"cold start [{r['mode']}]: ratio {r['ratio']:.3f} (target <= {r['target_ratio']}) "
            f"{'ok' if r['ratio_ok'] else 'OVER'}; AWS clients at import {len(r['aws_clients_created'])} (target 0) "
            f"{'ok' if not r['aws_clients_created'] else 'OVER'}"
        )
    over = [c for c in results.get("calls") or [] if c["verdict"] in ("OVER", "ERROR")]
    if results.get("calls") is not None:
        lines.append(f"DynamoDB calls: {len(results['calls']) - len(over)} of {len(results['calls'])} scenarios ok")
        lines += [f"  {c['verdict']}: {c['endpoint']}: {c['calls']} calls (target <= {c['target']})" for c in over]
    if results.get("appointments") is not None:
        appts = results["appointments"]
        off = [c for c in appts if c["verdict"] in ("OVER", "ERROR")]
        lines.append(f"appointments: {len(appts) - len(off)} of {len(appts)} scenarios within their DynamoDB calls")
        lines += [f"  {c['verdict']}: {c['endpoint']}: {c['calls']} calls (target <= {c['target']})" for c in off]
    if results.get("c2b") is not None:
        c2b = results["c2b"]
        off = [c for c in c2b["calls"] if c["verdict"] in ("OVER", "ERROR")]
        lines.append(f"c2b: {len(c2b['calls']) - len(off)} of {len(c2b['calls'])} scenarios within their "
                     "DynamoDB calls")
        lines += [f"  {c['verdict']}: {c['endpoint']}: {c['calls']} calls (target <= {c['target']})" for c in off]
        for where, r in c2b["hot"].items():
            lines.append(f"c2b hot request [{where}, {r['members']} members]: "
                         f"{r['supports_per_s'] or 0:.0f} supports/s, p99 {r['p99_ms'] or 0:.1f} ms, "
                         f"retries {r.get('retries', '-')}, exact {r['exact']}, status {r['status_after']}")
    for r in (results.get("flash") or {}).get("runs", []):
        lines.append(
            f"flash sale [{r['shards']} shard(s), {r['stock']} units, {r['buyers']} buyers]: "
            f"{r['redemptions_per_s'] or 0:.0f} redemptions/s, {r['requests_per_s'] or 0:.0f} answers/s, "
            f"p50 {r['p50_ms'] or 0:.1f} ms, p99 {r['p99_ms'] or 0:.1f} ms, oversells {r['oversells']} "
            f"{'ok' if r['oversells'] == 0 and not r['undersold'] else 'WRONG'}"
        )
    retry = results.get("retry")
    if retry:
        by_batch = {(r["case"], r["batch"]): r["messages_per_s"] for r in retry["worker"]}
        local = retry["local"]
        lines.append(
            f"retry worker: {by_batch.get(('redo completes', 1)) or 0:.0f} msg/s (batch 1), "
            f"{by_batch.get(('redo completes', 10)) or 0:.0f} msg/s (batch 10) when the redo completes; "
            f"failure to case: {retry['default_schedule']['seconds_to_case']} s default schedule, "
            f"{local['p50_s'] or 0:.1f} s local (p50, measured)"
        )
    local = results.get("local-stack")
    if local:
        burst, posts, alive = local["new_connections"], local["simultaneous_posts"], local["keep_alive"]
        lines.append(
            f"local stack [{local['workers']} workers]: {burst['ok']}/{burst['requests']} x 200 from "
            f"{burst['clients']} clients (new connections; p50 {burst['p50_ms']:.1f} ms, "
            f"p99 {burst['p99_ms']:.1f} ms); "
            f"{posts['reached_app']}/{posts['clients']} simultaneous POSTs reached the app; "
            f"keep-alive median {alive['median_ms']:.2f} ms"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sections": args.sections,
    }
    failed = False
    started = time.perf_counter()

    if "coldstart" in args.sections:
        from bench import coldstart

        print(heading("Cold start: import app vs its dependencies alone"), flush=True)
        try:
            results["coldstart"] = coldstart.measure(runs=args.runs, modes=tuple(args.modes.split(",")))
            print(coldstart.render(results["coldstart"]), flush=True)
        except Exception:
            failed = True
            results["coldstart_error"] = traceback.format_exc()
            print(results["coldstart_error"], file=sys.stderr)

    if "calls" in args.sections:
        from bench import calls
        from bench.stack import local_backend

        print(heading("DynamoDB calls and consumed capacity per endpoint (DynamoDB Local, in-process)"), flush=True)
        try:
            with local_backend() as backend:
                outcomes = calls.measure(backend, repeat=args.repeat)
            results["calls"] = [o.as_dict() for o in outcomes]
            failed |= any(o.errors for o in outcomes)
            print(calls.render(outcomes, verbose=args.verbose), flush=True)
        except Exception:
            failed = True
            results["calls_error"] = traceback.format_exc()
            print(results["calls_error"], file=sys.stderr)

    if "http" in args.sections:
        from bench import http_load

        print(heading("Latency and throughput over HTTP (local stack, loopback)"), flush=True)
        try:
            results["http"] = http_load.measure(
                concurrency=args.concurrency,
                seconds=args.seconds,
                max_requests=args.max_requests,
                keep_alive=not args.new_connections,
            )
            print(http_load.render(results["http"]), flush=True)
        except Exception:
            failed = True
            results["http_error"] = traceback.format_exc()
            print(results["http_error"], file=sys.stderr)

    if "flash" in args.sections:
        from bench import mall

        print(heading("Flash sale over HTTP (local stack): one hot reward, many buyers at once"), flush=True)
        try:
            results["flash"] = mall.measure_flash(
                stock=args.flash_stock, buyers=args.flash_buyers, clients=args.flash_clients,
                shard_counts=args.flash_shards,
            )
            print(mall.render_flash(results["flash"]), flush=True)
            failed |= any(r["oversells"] or r["undersold"] for r in results["flash"]["runs"])
        except Exception:
            failed = True
            results["flash_error"] = traceback.format_exc()
            print(results["flash_error"], file=sys.stderr)

    if "retry" in args.sections:
        from bench import retry_pipeline
        from bench.stack import local_backend

        print(heading("Retry pipeline: worker throughput per batch, time from failure to case"), flush=True)
        try:
            with local_backend() as backend:
                results["retry"] = retry_pipeline.measure(backend)
            print(retry_pipeline.render(results["retry"]), flush=True)
        except Exception:
            failed = True
            results["retry_error"] = traceback.format_exc()
            print(results["retry_error"], file=sys.stderr)

    if "local-stack" in args.sections:
        from bench import local_stack

        print(heading("Local stack under a burst: worker processes, listen backlog, keep-alive"), flush=True)
        try:
            results["local-stack"] = local_stack.measure(workers=args.workers)
            print(local_stack.render(results["local-stack"]), flush=True)
            burst, posts = results["local-stack"]["new_connections"], results["local-stack"]["simultaneous_posts"]
            failed |= burst["ok"] != burst["requests"] or posts["reached_app"] != posts["clients"]
        except Exception:
            failed = True
            results["local-stack_error"] = traceback.format_exc()
            print(results["local-stack_error"], file=sys.stderr)

    if "appointments" in args.sections:
        from bench import calls
        from bench.appointments import APPOINTMENT_SCENARIOS
        from bench.stack import local_backend

        print(heading("Appointments: DynamoDB calls and consumed capacity (DynamoDB Local, in-process)"), flush=True)
        try:
            with local_backend() as backend:
                outcomes = calls.measure(backend, APPOINTMENT_SCENARIOS, repeat=args.repeat)
            results["appointments"] = [o.as_dict() for o in outcomes]
            failed |= any(o.errors or o.verdict == "OVER" for o in outcomes)
            print(calls.render(outcomes, verbose=args.verbose), flush=True)
        except Exception:
            failed = True
            results["appointments_error"] = traceback.format_exc()
            print(results["appointments_error"], file=sys.stderr)

    if "c2b" in args.sections:
        from bench import c2b, calls
        from bench.stack import local_backend

        print(heading("C2B product requests: DynamoDB calls, and a hot request (in-process and over HTTP)"), flush=True)
        try:
            with local_backend() as backend:
                outcomes = calls.measure(backend, c2b.C2B_SCENARIOS, repeat=args.repeat)
                hot = {"sequential": c2b.hot_in_process(backend, members=30, threads=1, threshold=10**6),
                       "in-process": c2b.hot_in_process(backend)}
            hot["http"] = c2b.hot_over_http()
            results["c2b"] = {"calls": [o.as_dict() for o in outcomes], "hot": hot}
            failed |= any(o.errors or o.verdict == "OVER" for o in outcomes)
            failed |= not all(r["exact"] for r in hot.values())
            print(calls.render(outcomes, verbose=args.verbose), flush=True)
            print(c2b.render_hot(hot), flush=True)
        except Exception:
            failed = True
            results["c2b_error"] = traceback.format_exc()
            print(results["c2b_error"], file=sys.stderr)

    results["seconds"] = round(time.perf_counter() - started, 1)
    print(heading("Summary"))
    for line in _summary(results):
        print(line)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"figures written to {args.output} ({results['seconds']} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
