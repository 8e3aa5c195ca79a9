"""The daily expiry job: reaches due buckets through the index (no Scan), writes expiry entries, and expires
nothing twice; across month ends and the year boundary."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.core import clock
from chalicelib.points import jobs
from tests.support.clock import at
from tests.support.points_world import DynamoCalls, PointsWorld, assert_consistent
from tools.stack.run_job import scheduled_event


def _job():
    import app as application  # at use, not at collection (importing app reconfigures its logger)

    return application.expire_points_job

pytestmark = pytest.mark.integration


@pytest.fixture
def world_time() -> datetime:
    return at(2025, 12, 5, 10, 0)


@pytest.fixture
def world(points_world: PointsWorld) -> PointsWorld:
    return points_world


def run_job() -> dict:
    return _job()(scheduled_event("expire-points"), None)


@pytest.mark.slow
def test_points_expire_after_their_day_once_through_the_index(world):
    cid, token = world.member()
    spent_id, spent_token = world.member()
    world.order("E-1", {"customer_id": cid}, 30_000)  # expires 2026-12-31
    world.order("E-S", {"customer_id": spent_id}, 10_000)
    clock.set_now(at(2026, 1, 10, 10, 0))
    world.order("E-2", {"customer_id": cid}, 5_000)  # expires 2027-01-31
    clock.set_now(at(2026, 12, 31, 23, 59))
    world.api.call("POST", "/v1/admin/points/adjustments", {"customer_id": spent_id, "delta": -100, "reason": "兑换"},
                   headers={"authorization": f"Bearer {world.admin}"})
    assert run_job()["expiry"]["points_expired"] == 0  # usable through the whole of the 31st
    assert world.get("/v1/me/points", token)["expiring"] == {"points": 300, "on": "2026-12-31"}

    clock.set_now(at(2027, 1, 1, 0, 10))
    # before the job runs the member already sees only live points
    assert world.get("/v1/me/points", token)["buckets"] == [{"points": 50, "expires_on": "2027-01-31"}]
    with DynamoCalls().counting() as calls:
        result = run_job()
    assert "Scan" not in calls.ops and calls.ops["Query"] >= 1
    assert (result["expiry"]["members"], result["expiry"]["points_expired"]) == (1, 300)
    entry = world.ledger(token)[0]
    assert (entry["kind"], entry["delta"], entry["balance_after"], entry["expires_on"]) == (
        "expiry", -300, 50, "2026-12-31"
    )
    again = run_job()
    assert again["expiry"]["points_expired"] == 0
    assert len(world.ledger(token)) == 3
    assert jobs.expire_due(since=at(2026, 12, 1).date())["points_expired"] == 0  # even with a wide window

    clock.set_now(at(2027, 2, 5, 3, 0))  # days without a run: the next run covers them
    result = run_job()
    assert result["expiry"]["points_expired"] == 50
    assert world.get("/v1/me/points", token) == {"balance": 0, "debt": 0, "buckets": [],
                                                 "expiring": {"points": 0, "on": None}}
    assert_consistent(cid)
    assert_consistent(spent_id)
    assert world.ledger(spent_token)[0]["kind"] == "adjustment"


@pytest.mark.slow
def test_spending_first_takes_points_that_expire_soonest(world):
    cid, token = world.member()
    world.order("S-1", {"customer_id": cid}, 10_000)  # 100, expires 2026-12-31
    clock.set_now(at(2026, 3, 1, 10, 0))
    world.order("S-2", {"customer_id": cid}, 10_000)  # 100, expires 2027-03-31
    world.api.call("POST", "/v1/admin/points/adjustments", {"customer_id": cid, "delta": -150, "reason": "兑换"},
                   headers={"authorization": f"Bearer {world.admin}"})
    assert world.get("/v1/me/points", token)["buckets"] == [{"points": 50, "expires_on": "2027-03-31"}]
    clock.set_now(at(2027, 1, 2, 1, 0))
    assert run_job()["expiry"]["points_expired"] == 0
    assert world.balance(token) == 50
