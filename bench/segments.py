"""Segments and campaigns (issue 23): DynamoDB calls per member and members per second
(``python -m bench --only segments``; ``BENCH_SEGMENT_MEMBERS`` sets N, default 5000).

On DynamoDB Local, in one process: synthetic members (a facts item each, 70% with the marketing consent on their
profile, and ``BENCH_SEGMENT_HISTORY`` ledger entries each (default 6), what a programme of some age holds beside the
facts) written by
BatchWriteItem; then

- the fact update of one stream record (an ``M#POINTS`` image through ``core.stream``: the table stream's consumer);
- a segment's size (the sum of its counters);
- a rebuild: ``segments.create`` and the ``segment_scan`` messages it fans out, drained here in a loop (the queue is
  a list: the SQS calls are left out, the DynamoDB work per member is what is counted);
- a campaign to that segment: the ``campaign_page`` messages drained the same way.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from bench.report import table
from bench.stack import Backend, use_env

HISTORY = int(os.environ.get("BENCH_SEGMENT_HISTORY", "6"))  # ledger entries a member (the rebuild never reads them)


def _members(n: int) -> list[str]:
    from chalicelib.core import clock
    from chalicelib.segments import store

    rnd = random.Random(23)
    ids, requests = [], []
    for i in range(n):
        cid = f"c_bench{i:015x}"
        ids.append(cid)
        consent = rnd.random() < .7
        facts = {"pk": f"CUST#{cid}", "sk": store.FACTS_SK, "customer_id": cid, "facts_id": cid, "ver": 1, "segs": {},
                 "tier": rnd.choice(["base", "silver", "gold"]), "points_balance": rnd.randint(0, 5000),
                 "enrolled_on": "2025-03-01", "last_order_on": f"2026-{rnd.randint(1, 11):02d}-15",
                 "consents": {"marketing": consent}}
        profile = {"pk": f"CUST#{cid}", "sk": "M#PROFILE", "customer_id": cid, "created_at": clock.iso(),
                   "consents": {"marketing": consent, "profiling": False}, "tier_code": facts["tier"]}
        ledger = [{"pk": f"CUST#{cid}", "sk": f"L#2026-0{1 + e % 9}-1{e % 10}T10:00:00.000+00:00#{e:04d}",
                   "kind": "purchase", "delta": rnd.randint(10, 900), "balance_after": rnd.randint(0, 5000),
                   "reference": f"BENCH-{i}-{e}", "reason": "门店消费积分", "created_at": clock.iso()}
                  for e in range(HISTORY)]
        requests += [{"PutRequest": {"Item": {k: store.raw(v) for k, v in item.items()}}}
                     for item in (facts, profile, *ledger)]
    client = store.client()
    for start in range(0, len(requests), 25):
        chunk = requests[start:start + 25]
        while chunk:
            chunk = client.batch_write_item(RequestItems={store.table(): chunk}).get("UnprocessedItems", {}).get(
                store.table(), [])
    return ids


def _drain(outbox: list[dict[str, Any]]) -> int:
    from chalicelib.core.retry import dispatch

    handled = 0
    while outbox:
        message = outbox.pop(0)
        dispatch.retry_handlers()[message["kind"]](message)
        handled += 1
    return handled


def measure(backend: Backend, members: int | None = None) -> dict[str, Any]:
    import logging

    n = members or int(os.environ.get("BENCH_SEGMENT_MEMBERS", "5000"))
    logging.getLogger("aws_lambda_powertools").setLevel(logging.CRITICAL)
    with use_env({**backend.app_env(), "POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}):
        import app  # noqa: F401  (installs the areas)
        from bench.counter import DynamoCounter
        from chalicelib.core import clock, stream
        from chalicelib.core.calendar import SHANGHAI
        from chalicelib.core.dynamo.connection import shared_connection
        from chalicelib.segments import campaigns, queue, segments

        clock.set_now(clock.now().astimezone(SHANGHAI).replace(hour=12))
        outbox: list[dict[str, Any]] = []
        real_send = queue.send
        queue.send = outbox.extend  # type: ignore[assignment]
        rows = []
        try:
            started = time.perf_counter()
            ids = _members(n)
            rows.append({"case": f"write {n} members (BatchWriteItem)", "members": n,
                         "seconds": time.perf_counter() - started, "calls": None})
            counter = DynamoCounter(shared_connection().client).attach()
            record = {"eventName": "MODIFY", "dynamodb": {
                "Keys": {"pk": {"S": f"CUST#{ids[0]}"}, "sk": {"S": "M#POINTS"}},
                "NewImage": {"pk": {"S": f"CUST#{ids[0]}"}, "sk": {"S": "M#POINTS"}, "points_balance": {"N": "4321"},
                             "checkin_last_day": {"S": "2026-12-01"}}, "SequenceNumber": "1"}}
            with counter.measure() as tally:
                stream.handle_raw(record)
            rows.append({"case": "fact update, one stream record", "members": 1, "seconds": None,
                         "calls": tally.count, "ops": tally.by_operation})
            rule = {"all": [{"fact": "points_balance", "op": "gte", "value": 1000}]}
            started = time.perf_counter()
            with counter.measure() as tally:
                sid = segments.create("bench", rule)["segment_id"]
                messages = _drain(outbox)
            elapsed = time.perf_counter() - started
            size = segments.size(sid)
            reads = sum(c.read_units for c in tally.calls if c.operation in ("Scan", "BatchGetItem", "Query"))
            rows.append({"case": f"rebuild ({messages} scan messages; {size} entered; {reads:.0f} read units "
                                 f"reading the members)", "members": n,
                         "seconds": elapsed, "calls": tally.count, "ops": tally.by_operation})
            with counter.measure() as tally:
                segments.size(sid)
            rows.append({"case": f"segment size ({size} members)", "members": 1, "seconds": None, "calls": tally.count,
                         "ops": tally.by_operation})
            cp = campaigns.create({"name": "bench", "segment_ids": [sid], "message": {"title": "t", "body": "b"},
                                   "channels": ["in_app"], "holdout_percent": 5,
                                   "starts_at": clock.iso(), "ends_at": "2099-01-01T00:00:00+08:00"})["campaign_id"]
            started = time.perf_counter()
            with counter.measure() as tally:
                campaigns.launch(cp)
                messages = _drain(outbox)
            elapsed = time.perf_counter() - started
            view = campaigns.view(cp)
            rows.append({"case": f"campaign ({messages} page messages; sent {view['sent']}, "
                                 f"no consent {view['suppressed']['no_consent']}, holdout {view['holdout']})",
                         "members": view["audience"], "seconds": elapsed, "calls": tally.count,
                         "ops": tally.by_operation})
            counter.detach()
        finally:
            queue.send = real_send
            clock.set_now(None)
    return {"members": n, "rows": rows}


def render(results: dict[str, Any]) -> str:
    rows = []
    for r in results["rows"]:
        per_s = f"{r['members'] / r['seconds']:.0f}" if r.get("seconds") else "-"
        calls = "-" if r["calls"] is None else f"{r['calls'] / max(1, r['members']):.2f}" if r["members"] > 1 else str(
            r["calls"])
        rows.append([r["case"], r["members"], f"{r['seconds']:.1f}" if r.get("seconds") else "-", per_s, calls,
                     ", ".join(f"{k} {v}" for k, v in sorted((r.get("ops") or {}).items()))])
    return table(["case", "members", "seconds", "members/s", "calls per member (or calls)", "calls by operation"],
                 rows, "lrrrrl") + ("\nOne process, DynamoDB Local on a shared machine (tens of ms a call): the calls "
                                    "per member carry over; members/s grows with the workers draining the queue.")
