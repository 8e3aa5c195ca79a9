"""The month-end close over N synthetic members (issue 25): time, DynamoDB calls, and that it reconciles
(``python -m bench --only insights``; ``BENCH_INSIGHTS_MEMBERS`` sets N, default 20000).

On DynamoDB Local, in one process: per member up to four ledger entries (an earn in October, an earn and a spend
in November, an expiry on 1 December for a third of them) and the live buckets they leave, written by BatchWriteItem
(threads) with the expected figures kept as they are generated; then ``closes.request`` and the ``insights_pass``
messages it fans out, drained here in a loop (the queue is a list: the SQS calls are left out, the DynamoDB work is
what is counted), and the snapshot compared with the expected figures.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.report import table
from bench.stack import Backend, use_env

MONTH = "2026-11"
WRITERS = 4


def _write(n: int) -> Counter[str]:
    """The synthetic members; the figures the close must find."""
    from chalicelib.insights import store

    rnd, expected, requests = random.Random(25), Counter[str](), []
    for i in range(n):
        pk = {"S": f"CUST#c_bench{i:015x}"}
        earn_oct, earn_nov = rnd.randint(50, 2000), rnd.randint(0, 800)
        spend = rnd.randint(0, earn_oct // 2)
        expired = rnd.randint(1, earn_oct - spend) if i % 3 == 0 else 0
        entries = [("purchase", earn_oct, "2026-10-10T02:00:00.000+00:00"),
                   ("purchase", earn_nov, "2026-11-12T03:00:00.000+00:00"),
                   ("redemption", -spend, "2026-11-20T04:00:00.000+00:00"),
                   ("expiry", -expired, "2026-11-30T16:10:00.000+00:00")]  # 00:10 on 1 December in Shanghai
        items: list[dict[str, Any]] = []
        for seq, (kind, delta, at) in enumerate(entries):
            if delta == 0:
                continue
            items.append({"pk": pk, "sk": {"S": f"L#{at}#{seq:010d}"}, "kind": {"S": kind},
                          "delta": {"N": str(delta)}, "created_at": {"S": at}})
            expected["ledger_sum"] += delta
            if at < "2026-11-30T16:00":
                expected["outstanding_points"] += delta
                if at >= "2026-10-31T16:00":
                    figure = {"purchase": "issued", "redemption": "redeemed"}[kind]
                    expected[figure] += abs(delta)
            elif kind == "expiry":
                pass  # after the month's end (Shanghai): not November's
        left_oct, left_nov = earn_oct - spend - expired, earn_nov
        for expires_on, points in (("2027-10-31", left_oct), ("2027-11-30", left_nov)):
            if points:
                items.append({"pk": pk, "sk": {"S": f"M#BUCKET#{expires_on}"}, "points": {"N": str(points)},
                              "expires_on": {"S": expires_on}})
                expected["buckets_sum"] += points
                expected[f"exp_{expires_on[:7]}"] += points
        requests += [{"PutRequest": {"Item": item}} for item in items]
    expected["items"] = len(requests)
    # the programme's members enrolled, as the stream's counting keeps it: the close's part count follows it
    requests.append({"PutRequest": {"Item": {**store.total_key(0), "members": {"N": str(n)}}}})
    import boto3
    from botocore.config import Config

    from chalicelib.core.config import settings

    cfg = settings()  # the set-up's own client: patient with a loaded DynamoDB Local (the app's gives up after 5 s)
    client = boto3.client("dynamodb", endpoint_url=cfg.dynamodb_endpoint, region_name=cfg.region,
                          config=Config(read_timeout=120, retries={"max_attempts": 10}, max_pool_connections=WRITERS))

    def put(chunk: list[dict[str, Any]]) -> None:
        while chunk:
            chunk = client.batch_write_item(RequestItems={store.table(): chunk}).get("UnprocessedItems", {}).get(
                store.table(), [])

    with ThreadPoolExecutor(WRITERS) as pool:  # DynamoDB Local serves calls at once: the set-up is not measured
        list(pool.map(put, (requests[s:s + 25] for s in range(0, len(requests), 25))))
    return expected


def _drain(outbox: list[dict[str, Any]]) -> int:
    from chalicelib.core.retry import dispatch

    handled = 0
    while outbox:
        message = outbox.pop(0)
        try:
            dispatch.retry_handlers()[message["kind"]](message)
        except Exception:  # a timeout of the loaded DynamoDB Local: delivered again, as SQS would
            outbox.append(message)
        handled += 1
    return handled


def measure(backend: Backend, members: int | None = None) -> dict[str, Any]:
    import logging

    n = members or int(os.environ.get("BENCH_INSIGHTS_MEMBERS", "20000"))
    logging.getLogger("aws_lambda_powertools").setLevel(logging.CRITICAL)
    with use_env({**backend.app_env(), "POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}):
        import app  # noqa: F401  (installs the areas)
        from bench.counter import DynamoCounter
        from chalicelib.core import clock
        from chalicelib.core.calendar import SHANGHAI
        from chalicelib.core.dynamo.connection import shared_connection
        from chalicelib.core.retry import fanout
        from chalicelib.insights import closes, health

        clock.set_now(clock.now().astimezone(SHANGHAI).replace(year=2026, month=12, day=1, hour=12))
        outbox: list[dict[str, Any]] = []
        real_send = fanout.send
        fanout.send = outbox.extend  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            expected = _write(n)
            written = time.perf_counter() - started
            counter = DynamoCounter(shared_connection().client, capacity=False).attach()
            started = time.perf_counter()
            with counter.measure() as tally:
                closes.request(MONTH, "bench")
                parts = len(outbox)
                messages = _drain(outbox)
            elapsed = time.perf_counter() - started
            with counter.measure() as health_tally:  # a year of health rates: 12 months x 8 shards, one read
                health.health("2026-01", "2026-12")
            counter.detach()
            close = closes.get(MONTH)
        finally:
            fanout.send = real_send
            clock.set_now(None)
    found = {"outstanding_points": close["outstanding_points"], "issued": close["issued"],
             "redeemed": close["redeemed"], "ledger_sum": close["reconciled"]["ledger_sum"],
             "buckets_sum": close["reconciled"]["buckets_sum"],
             **{f"exp_{e['month']}": e["points"] for e in close["expiring_by_month"] if e["points"]}}
    want = {k: expected[k] for k in found}
    return {"members": n, "items": expected["items"], "write_seconds": written, "close_seconds": elapsed,
            "parts": parts, "messages": messages, "calls": tally.count, "ops": tally.by_operation,
            "health_calls": health_tally.count, "health_ops": health_tally.by_operation, "status": close["status"],
            "difference": close["reconciled"]["difference"], "matches": found == want, "found": found,
            "expected": want}


def render(results: dict[str, Any]) -> str:
    r = results
    rows = [[f"write {r['members']} members ({r['items']} items, BatchWriteItem)", f"{r['write_seconds']:.1f}", "-",
             "-"],
            [f"close {MONTH} ({r['parts']} parts, {r['messages']} scan messages)", f"{r['close_seconds']:.1f}",
             str(r["calls"]), ", ".join(f"{k} {v}" for k, v in sorted(r["ops"].items()))],
            ["health rates, 12 months (GET /v1/admin/health's reads)", "-", str(r["health_calls"]),
             ", ".join(f"{k} {v}" for k, v in sorted(r["health_ops"].items()))]]
    verdict = ("reconciles: the figures equal the generated ledger and buckets to the point, difference "
               f"{r['difference']}" if r["matches"] and r["difference"] == 0 else
               f"DOES NOT RECONCILE: found {r['found']} expected {r['expected']}")
    return table(["case", "seconds", "calls", "calls by operation"], rows, "lrrl") + (
        f"\n{verdict}.\nOne process drains the parts one after another (DynamoDB Local on a shared machine); deployed, "
        "the parts run on as many retry workers at once.")


def summary(results: dict[str, Any]) -> list[str]:
    return [f"insights: close over {results['members']} members in {results['close_seconds']:.1f} s, "
            f"{results['calls']} calls, {'reconciles' if results['matches'] else 'DOES NOT RECONCILE'}; "
            f"health read {results['health_calls']} calls"]
