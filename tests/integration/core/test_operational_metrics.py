"""The metrics the alarms and the business dashboard read (``infra/operations.json``, ``chalicelib/core/kpis.py``):
what an operator sees on the dashboard must be what members did, and the alarmed levels must rise when they should.

The app's metrics leave as CloudWatch embedded-metric JSON lines on stdout when a request, batch or job ends;
the tests read those lines."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.observability import flushing_metrics, logger, metrics
from chalicelib.followups import sla_watch
from chalicelib.followups.models import QUEUE_PREFIX, FollowUpCaseItem
from chalicelib.mall import rewards
from chalicelib.mall.models import STOCK_SK, StockShardItem
from tests.support.mall_world import MallWorld, new_key


@pytest.fixture
def world(api: Any) -> MallWorld:
    return MallWorld.make(api)


class Emitted:
    """What the app emitted while the block ran: metric name -> summed value; and the log messages."""

    def __init__(self, capsys: Any) -> None:
        self.capsys = capsys
        self.values: Counter[str] = Counter()
        self.messages: list[str] = []

    def __enter__(self) -> Emitted:
        metrics.clear_metrics()  # what setting the world up counted on this thread is not the test's
        self.capsys.readouterr()
        self.stream = io.StringIO()
        self.previous = logger.registered_handler.setStream(self.stream)
        return self

    def __exit__(self, *exc: Any) -> None:
        logger.registered_handler.setStream(self.previous)
        for raw in (self.stream.getvalue() + "\n" + self.capsys.readouterr().out).splitlines():
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if "message" in entry:
                self.messages.append(str(entry["message"]))
            for directive in entry.get("_aws", {}).get("CloudWatchMetrics", []):
                for metric in directive["Metrics"]:
                    value = entry[metric["Name"]]
                    self.values[metric["Name"]] += sum(value) if isinstance(value, list) else value


def test_a_redemption_counts_once_with_the_points_it_spent_and_a_replay_or_refusal_counts_nothing(world, capsys):
    _cid, token = world.member(points_held=1_000)
    reward_id = world.reward(points_cost=150, stock=1)
    key = new_key()
    with Emitted(capsys) as first:
        assert world.redeem(token, reward_id, key=key)[0] == 201
    assert first.values["Redemptions"] == 1 and first.values["PointsSpent"] == 150
    assert first.values["PointsIssued"] == 0
    with Emitted(capsys) as again:
        status, _body, headers = world.redeem(token, reward_id, key=key)
        assert status == 201 and headers.get("Idempotent-Replayed") == "true"
        assert world.redeem(token, reward_id)[0] == 409  # sold out
    assert again.values["Redemptions"] == 0 and again.values["PointsSpent"] == 0


def test_a_check_in_issues_points_once_a_day(world, capsys):
    _cid, token = world.member()
    with Emitted(capsys) as first:
        assert world.api.call("POST", "/v1/me/check-ins", token=token)[0] == 201
    assert first.values["PointsIssued"] > 0 and first.values["PointsSpent"] == 0
    with Emitted(capsys) as second:
        assert world.api.call("POST", "/v1/me/check-ins", token=token)[0] == 409
    assert second.values["PointsIssued"] == 0


def test_stock_read_below_zero_raises_the_oversell_guard_and_names_the_reward(world, capsys):
    reward_id = world.reward(stock=4, stock_shards=2)
    with Emitted(capsys) as healthy:
        world.stock(reward_id)
    assert healthy.values["StockOversold"] == 0
    # What no redemption can do (every take is conditioned on enough stock): a shard below zero.
    StockShardItem(pk=rewards.shard_pk(reward_id, 0), sk=STOCK_SK).update(actions=[StockShardItem.remaining.set(-3)])
    with Emitted(capsys) as oversold:
        world.stock(reward_id)
    assert oversold.values["StockOversold"] == 3
    assert "reward stock below zero" in oversold.messages


def _case(n: int, status: str, *, opened_minutes_ago: int, answered: bool = False) -> None:
    now = clock.now()
    opened = now - timedelta(minutes=opened_minutes_ago)
    FollowUpCaseItem(
        pk=f"CUST#c-sla-{n}", sk=f"CASE#t{n}", case_id=f"fu.c-sla-{n}.t{n}", customer_id=f"c-sla-{n}",
        transaction_id=f"t{n}", kind="redemption", status=status, opened_at=clock.iso(opened),
        respond_by=clock.iso(opened + timedelta(minutes=15)), close_by=clock.iso(opened + timedelta(hours=24)),
        first_response_at=clock.iso(opened + timedelta(minutes=5)) if answered else None,
        gsi2pk=f"{QUEUE_PREFIX}{status}", gsi2sk=f"99#{clock.iso(opened)}#fu.c-sla-{n}.t{n}",
    ).save()


def test_the_sla_watch_counts_waiting_cases_and_those_past_their_targets(ddb_table, capsys):
    _case(1, "open", opened_minutes_ago=5)                         # within 15 minutes: fine
    _case(2, "open", opened_minutes_ago=20)                        # nobody answered in 15 minutes
    _case(3, "claimed", opened_minutes_ago=60, answered=True)      # answered in time, still within the day
    _case(4, "claimed", opened_minutes_ago=25 * 60, answered=True)  # answered, not closed within 24 hours
    _case(5, "resolved", opened_minutes_ago=30 * 60)               # done: not waiting
    with Emitted(capsys) as emitted, flushing_metrics():
        assert sla_watch.run() == {"waiting": 4, "past_sla": 2}
    assert emitted.values["CasesOpen"] == 4 and emitted.values["CasesPastSla"] == 2
