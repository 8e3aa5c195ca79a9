"""What an audit record adds to a staff action (issue 27): the same action with and without the route layer's audit
scope, DynamoDB calls, read/write units and time on DynamoDB Local (``python -m bench --only audit``).

Two shapes: an action that already is a transaction (a points adjustment: the record and its chain head are two more
items in it) and a single write (a staff account's PATCH: one UpdateItem becomes a transaction of three items, and
pynamodb's ``ALL_NEW`` is read back after it). Both also read the chain head (one consistent GetItem).
"""

from __future__ import annotations

import logging
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.report import table
from bench.stack import Backend, use_env

RUNS = 15


def _scope(route: str) -> Any:
    from chalicelib.core.audit.scope import AuditScope

    return AuditScope(actor="s_bench", role="admin", action=route.split()[-1].strip("/").replace("/", "_"),
                      route=route, request_id=uuid.uuid4().hex, reason="bench")


def measure(backend: Backend) -> list[dict[str, Any]]:
    logging.getLogger("aws_lambda_powertools").setLevel(logging.CRITICAL)
    with use_env({**backend.app_env(), "POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}):
        import chalicelib.areas  # noqa: F401  # every manifest installed
        from bench.counter import DynamoCounter
        from chalicelib.core.audit import scope as audit_scope
        from chalicelib.core.dynamo.connection import shared_connection
        from chalicelib.core.phone import normalize_phone
        from chalicelib.identity import directory, staff, staff_accounts
        from chalicelib.points import adjustments

        phone = normalize_phone(f"135{int(time.time() * 1000) % 10**8:08d}")
        assert phone is not None
        cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
        target = staff.create_staff(f"bench-{uuid.uuid4().hex[:6]}", "bench-pass-1", "agent", rounds=4)
        counter = DynamoCounter(shared_connection().client).attach()
        actions: dict[str, Callable[[], Any]] = {
            "points adjustment (a transaction)": lambda: adjustments.adjust(cid, 5, "bench", "s_bench"),
            "staff PATCH (a single UpdateItem)": lambda: staff_accounts.change("s_bench", target, None, False),
        }
        rows = []
        for label, action in actions.items():
            for audited in (False, True):
                times, tallies = [], []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    with counter.measure() as tally:
                        if audited:
                            with audit_scope.opened(_scope("POST /bench")):
                                action()
                        else:
                            action()
                    times.append((time.perf_counter() - started) * 1000)
                    tallies.append(tally)
                last = tallies[-1]
                operations = dict(last.by_operation)
                # The caller's own write is counted as made, but with a record the hook answers it itself (it never
                # reaches DynamoDB): the write goes in the transaction counted beside it.
                sent = last.count - (1 if audited else 0)
                rows.append({"action": label, "audited": audited, "calls_sent": sent, "operations": operations,
                             "rcu": last.read_units, "wcu": last.write_units,
                             "ms_median": round(statistics.median(times), 1)})
        return rows


def render(rows: list[dict[str, Any]]) -> str:
    return str(table(("action", "audit record", "calls sent", "operations seen", "RCU / WCU", "ms (median)"),
                     [[r["action"], "yes" if r["audited"] else "no", r["calls_sent"],
                       ", ".join(f"{k} {v}" for k, v in sorted(r["operations"].items())),
                       f"{r['rcu']} / {r['wcu']}", r["ms_median"]] for r in rows], align="llrlrr"))
