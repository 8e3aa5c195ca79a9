"""The nightly job (``insights_nightly``, 01:00 Asia/Shanghai, after the points' expiry at 00:10): for yesterday,

1. counts the Plus memberships that lapsed (still filed under yesterday's expiry day in ``gsi1``: not renewed;
   ``plus_lapsed`` for paid ones, ``plus_trial_lapsed`` for trials), each once (``counting``);
2. copies the programme's members enrolled so far onto the month (``members_end``: the active-member rate's base);
3. starts a ledger pass over the day (``ledger_pass``) whose last part compares the ledger's day figures with the
   day's counters kept from the stream, and records every difference (``INS#RECON#<day>`` / ``RESULT``);
4. counts the campaigns whose measurement ended yesterday (or the days before, if a night was missed) into their
   month (``campaign_uplift``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.core.observability import logger, metrics
from chalicelib.insights import campaign_uplift, counting, ledger_pass, rules, store
from chalicelib.insights.facts import Fact

FINISH = "chalicelib.insights.nightly:finish_reconcile"
COMPARED = tuple(f"pts_{f}" for f in (*rules.FIGURES, "moved"))


def count_lapsed(day: str) -> int:
    kwargs: dict[str, Any] = {"TableName": store.table(), "IndexName": "gsi1",
                              "KeyConditionExpression": "gsi1pk = :p",
                              "ExpressionAttributeValues": {":p": {"S": f"PLUSEXP#{day}"}}}
    counted = 0
    while True:
        page = store.client().query(**kwargs)
        for item in page.get("Items", []):
            if item.get("sk", {}).get("S") != "M#PLUS":
                continue
            cid = store.customer_of(item["pk"]["S"]) or ""
            name = "plus_trial_lapsed" if item.get("kind", {}).get("S") == "trial" else "plus_lapsed"
            counted += counting.count(Fact(f"lapsed|{cid}|{day}", day, {name: 1}))
        if "LastEvaluatedKey" not in page:
            return counted
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def record_members(month: str) -> int:
    total = store.members_total()
    store.client().update_item(TableName=store.table(), Key=store.month_key(month, 0),
                               UpdateExpression="SET members_end = :m",
                               ExpressionAttributeValues={":m": {"N": str(total)}})
    return total


def day_counters(day: str) -> dict[str, int]:
    return store.counters_of(store.batch_get([store.day_key(day, n) for n in range(store.SHARDS)]))


def run(day: str) -> dict[str, Any]:
    lapsed = count_lapsed(day)
    members = record_members(day[:7])
    start, end = rules.day_bounds(day)
    run_pk = f"{store.recon_pk(day)}#{clock.now().strftime('%Y%m%dT%H%M%S%f')}"
    parts = ledger_pass.start(ledger_pass.Run(run_pk, start.isoformat(), end.isoformat(), FINISH), members)
    campaigns = campaign_uplift.finalize(day)
    return {"day": day, "lapsed_counted": lapsed, "members": members, "reconcile_parts": parts,
            "campaigns_counted": campaigns}


def nightly(context: Any = None) -> dict[str, Any]:
    """``insights_nightly``: yesterday's lapses, members and reconciliation (``tools.run_job insights_nightly``)."""
    return run((business_day(clock.now()) - timedelta(days=1)).isoformat())


def finish_reconcile(pk: str, sums: dict[str, int]) -> None:
    """The pass's last part: the ledger's figures of the day against the day's counters; differences recorded."""
    day = pk.split("#")[2]
    counters = day_counters(day)
    ledger = {f"pts_{f}": int(sums.get(f"w_{f}", 0)) for f in (*rules.FIGURES, "moved")}
    differences = {name: ledger[name] - int(counters.get(name, 0)) for name in COMPARED
                   if ledger[name] != int(counters.get(name, 0))}
    store.client().put_item(TableName=store.table(), Item={
        "pk": {"S": store.recon_pk(day)}, "sk": {"S": "RESULT"}, "day": {"S": day}, "run": {"S": pk},
        "ledger": store.raw(ledger), "counters": store.raw({n: int(counters.get(n, 0)) for n in COMPARED}),
        "differences": store.raw(differences), "reconciled_at": {"S": clock.iso()}})
    if differences:
        logger.warning("insights: day counters differ from the ledger", extra={"day": day, "differences": differences})
        metrics.add_metric(name="InsightsReconcileDifferences", unit="Count", value=len(differences))


def result(day: str) -> dict[str, Any] | None:
    out = store.client().get_item(TableName=store.table(),
                                  Key={"pk": {"S": store.recon_pk(day)}, "sk": {"S": "RESULT"}}, ConsistentRead=True)
    return store.plain(out["Item"]) if "Item" in out else None
