"""Member data rights (issue 22): the export's build and the erasure of a new member and of a five-year member
(``bench.history``'s builder), DynamoDB calls, capacity and time (``python -m bench --only privacy``)."""

from __future__ import annotations

import logging
import time
from typing import Any

from bench.report import table
from bench.stack import Backend, use_env


def _member(history: bool) -> str:
    from bench.history import _history
    from chalicelib.core.phone import normalize_phone
    from chalicelib.identity import directory
    from chalicelib.points import earn_and_spend

    phone = normalize_phone(f"136{int(time.time() * 1000) % 10**8:08d}")
    assert phone is not None
    customer = directory.create_customer(directory.Identity("app", "app", phone), phone=phone, channel="app")
    earn_and_spend.earn(customer.customer_id, 500, kind="adjustment", reference="bench:privacy")
    if history:
        _history(customer.customer_id)
    return customer.customer_id


def measure(backend: Backend) -> list[dict[str, Any]]:
    logging.getLogger("aws_lambda_powertools").setLevel(logging.CRITICAL)
    with use_env({**backend.app_env(), "POWERTOOLS_LOG_LEVEL": "CRITICAL", "POWERTOOLS_METRICS_DISABLED": "true"}):
        import chalicelib.areas  # noqa: F401  # every manifest installed
        from bench.counter import DynamoCounter
        from chalicelib.core import clock
        from chalicelib.core.dynamo.connection import shared_connection
        from chalicelib.core.dynamo.keys import customer_pk
        from chalicelib.privacy import bundle, erasure
        from chalicelib.privacy.models import STATE_SK, PrivacyStateItem

        counter = DynamoCounter(shared_connection().client).attach()
        rows = []
        for label, history in (("new member", False), ("five-year member", True)):
            cid = _member(history)
            time.sleep(0.05)
            for what in ("export (bundle build)", "erasure"):
                if what == "erasure":
                    PrivacyStateItem(pk=customer_pk(cid), sk=STATE_SK, deletion_effective_at=clock.iso(),
                                     deletion_requested_at=clock.iso()).save()
                started = time.perf_counter()
                with counter.measure() as tally:
                    if what == "erasure":
                        erasure.erase({"customer_id": cid})
                    else:
                        built = bundle.build(cid)
                elapsed = (time.perf_counter() - started) * 1000
                rows.append({"member": label, "what": what, "calls": tally.count, "rcu": round(tally.read_units, 1),
                             "wcu": round(tally.write_units, 1), "ms": round(elapsed, 1),
                             "items": sum(len(v) for area in built.values() for v in area.values())})
        return rows


def render(rows: list[dict[str, Any]]) -> str:
    return str(table(("member", "what", "items exported", "calls", "RCU / WCU", "ms"),
                     [[r["member"], r["what"], r["items"], r["calls"], f"{r['rcu']} / {r['wcu']}", r["ms"]]
                      for r in rows], align="llrrrr"))
