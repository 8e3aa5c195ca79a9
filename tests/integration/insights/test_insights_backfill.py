"""Backfilling a day's counters from the ledger (issue 25), for days before the stream counters existed: the passes
fan out through SQS (``app.retry_worker``) as the close's do; the day's points figures end equal to a brute-force sum
of its ledger entries, the month gains the same, and a second backfill adds nothing."""

from __future__ import annotations

import pytest

from chalicelib.insights import backfill, nightly, store
from tests.support.segments_world import SegmentsWorld, batch_write

pytestmark = pytest.mark.integration

DAY = "2026-11-10"
ENTRIES = [  # (customer, kind, delta, created_at UTC); the 10th in Shanghai is 2026-11-09T16:00Z to 11-10T16:00Z
    ("c_bf1", "purchase", 500, "2026-11-09T16:30:00.000+00:00"),
    ("c_bf1", "redemption", -120, "2026-11-10T03:00:00.000+00:00"),
    ("c_bf2", "purchase", 300, "2026-11-10T08:00:00.000+00:00"),
    ("c_bf2", "refund_reversal", -80, "2026-11-10T09:00:00.000+00:00"),
    ("c_bf3", "expiry", -40, "2026-11-09T16:10:00.000+00:00"),
    ("c_bf3", "purchase", 999, "2026-11-09T15:59:00.000+00:00"),  # the 9th in Shanghai
    ("c_bf3", "purchase", 777, "2026-11-10T16:00:00.000+00:00"),  # the 11th
]


@pytest.fixture
def world(segments_world: SegmentsWorld) -> SegmentsWorld:
    return segments_world


def _month() -> dict[str, int]:
    return store.counters_of(store.batch_get([store.month_key(DAY[:7], n) for n in range(store.SHARDS)]))


@pytest.mark.slow
def test_a_day_before_the_counters_existed_is_backfilled_from_the_ledger_once(world: SegmentsWorld) -> None:
    batch_write([{"pk": f"CUST#{cid}", "sk": f"L#{created}#{n:010d}", "kind": kind, "delta": delta,
                  "created_at": created} for n, (cid, kind, delta, created) in enumerate(ENTRIES)])
    world.pump()  # the stream counts them; then the day's counters are lost, as for a day before they existed
    for n in range(store.SHARDS):
        store.client().delete_item(TableName=store.table(), Key=store.day_key(DAY, n))
        store.client().delete_item(TableName=store.table(), Key=store.month_key(DAY[:7], n))
    store.client().put_item(TableName=store.table(), Item={**store.day_key(DAY, 3), "pts_issued": {"N": "100"}})
    before = nightly.day_counters(DAY)
    assert before.get("pts_redeemed", 0) == 0 and before["pts_issued"] == 100

    assert backfill.start(DAY, DAY) == [DAY]
    world.pump(rounds=12)
    after = nightly.day_counters(DAY)
    brute = {"pts_issued": 500 + 300, "pts_redeemed": 120, "pts_expired": 40, "pts_reversed": 80}
    assert {k: after.get(k, 0) for k in brute} == brute
    month = _month()
    assert {k: month.get(k, 0) for k in brute} == {**brute, "pts_issued": 800 - 100}  # the difference added

    backfill.start(DAY, DAY)  # run again: nothing differs, nothing is added
    world.pump(rounds=12)
    assert {k: nightly.day_counters(DAY).get(k, 0) for k in brute} == brute
    assert _month() == month


def test_a_backfill_of_more_than_a_month_of_days_is_refused(world: SegmentsWorld) -> None:
    with pytest.raises(ValueError, match="1 to 31 days"):
        backfill.start("2026-10-01", "2026-11-10")
