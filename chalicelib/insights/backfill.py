"""Backfill the day counters' points figures from the ledger, for days before the stream counters existed (or any day
whose counters the nightly reconciliation found different).

``start(first, last)`` starts one ledger pass (``ledger_pass``: Scan parts fanned out through SQS, as the close) per
Shanghai day, at most ``MAX_DAYS``; each pass's last part calls ``finish``, which makes the day's ``pts_<figure>``
counters equal the ledger's by ADDing the difference to the day's shard 0 and the month's shard 0 in one transaction,
conditioned on the day's ``backfill_rev`` being what was read (a second finish of the same day re-reads and finds no
difference: a backfill run twice, or twice at once, adds nothing twice). Days the stream is counting at the same time
are not for this: a fact counted between the read and the write would be corrected away.
"""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.core import clock
from chalicelib.core.observability import logger
from chalicelib.insights import counting, ledger_pass, rules, store

FINISH = "chalicelib.insights.backfill:finish"
MAX_DAYS = 31
TRIES = 5


def start(first: str, last: str) -> list[str]:
    """Start the passes of the days ``[first, last]`` (``YYYY-MM-DD``); the days started."""
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    days = [(a + timedelta(days=n)).isoformat() for n in range((b - a).days + 1)]
    if not days or len(days) > MAX_DAYS:
        raise ValueError(f"a backfill is of 1 to {MAX_DAYS} days: {first}..{last}")
    members = store.members_total()
    stamp = clock.now().strftime("%Y%m%dT%H%M%S%f")
    for day in days:
        start_, end = rules.day_bounds(day)
        ledger_pass.start(ledger_pass.Run(f"INS#BACKFILL#{day}#{stamp}", start_.isoformat(), end.isoformat(), FINISH),
                          members)
    return days


def finish(pk: str, sums: dict[str, int]) -> None:
    day = pk.split("#")[2]
    apply(day, {f"pts_{f}": int(sums.get(f"w_{f}", 0)) for f in (*rules.FIGURES, "moved")})


def apply(day: str, ledger: dict[str, int]) -> dict[str, int]:
    """Make the day's counters equal ``ledger``; the differences added (``{}``: none)."""
    for _ in range(TRIES):
        shards = store.batch_get([store.day_key(day, n) for n in range(store.SHARDS)])
        counters = store.counters_of(shards)
        rev = next((int(s["backfill_rev"]["N"]) for s in shards
                    if s["pk"]["S"] == store.day_key(day, 0)["pk"]["S"] and "backfill_rev" in s), 0)
        diff = {name: ledger[name] - int(counters.get(name, 0)) for name in ledger
                if ledger[name] != int(counters.get(name, 0))}
        if not diff:
            return {}
        day_update = counting.add_update(store.day_key(day, 0), {**diff, "backfill_rev": 1})["Update"]
        day_update["ConditionExpression"] = "attribute_not_exists(backfill_rev) OR backfill_rev = :rev"
        day_update["ExpressionAttributeValues"][":rev"] = {"N": str(rev)}
        month_update = counting.add_update(store.month_key(day[:7], 0), diff)
        if counting.transact([{"Update": day_update}, month_update]) is None:
            logger.info("insights: day counters backfilled from the ledger", extra={"day": day, "added": diff})
            return diff
    raise RuntimeError(f"{day}: the day's counters kept changing; the pass message is retried")

