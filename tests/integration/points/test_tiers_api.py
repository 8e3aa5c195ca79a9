"""Tiers: the admin catalogue, upgrade at once, downgrade only on the evaluation date, admin floors."""

from __future__ import annotations

import pytest

from chalicelib.core import clock
from chalicelib.identity import directory
from tests.support.clock import at
from tests.support.points_world import PointsWorld
from tools.stack.run_job import scheduled_event


def _job():
    import app as application  # at use, not at collection (importing app reconfigures its logger)

    return application.expire_points_job

pytestmark = pytest.mark.integration


@pytest.fixture
def world(points_world: PointsWorld) -> PointsWorld:
    return points_world


def admin(world, method, path, body=None, expect=200):
    status, out, _ = world.api.call(method, path, body, headers={"authorization": f"Bearer {world.admin}"})
    assert status == expect, out
    return out


def held_tier(customer_id: str) -> str:
    customer = directory.load_customer(customer_id)
    assert customer is not None
    return customer.tier_code


@pytest.mark.slow
def test_the_catalogue_is_configured_by_admins(world):
    _, token = world.member()
    tiers = admin(world, "GET", "/v1/admin/tiers")["items"]
    assert [t["code"] for t in tiers] == ["base", "silver", "gold", "platinum"]
    new = [
        {"code": "base", "name": "会员", "badge": "b0", "rank": 0, "metric": "orders_12m", "threshold": 0,
         "multiplier": "1"},
        {"code": "vip", "name": "VIP", "badge": "b1", "rank": 1, "metric": "orders_12m", "threshold": 2,
         "multiplier": "3"},
    ]
    assert [t["code"] for t in admin(world, "PUT", "/v1/admin/tiers", {"tiers": new})["items"]] == ["base", "vip"]
    me = world.get("/v1/me", token)
    assert me["tier"] == {"code": "base", "name": "会员", "badge": "b0"}
    assert me["tier_progress"] == {"next_tier": "vip", "metric": "orders_12m", "current": 0, "required": 2}
    bad = [{**new[0], "threshold": 5}]
    assert admin(world, "PUT", "/v1/admin/tiers", {"tiers": bad}, expect=400)["error"]["code"] == "validation_error"
    status, body, _ = world.api.call("GET", "/v1/admin/tiers", headers={"authorization": f"Bearer {world.agent}"})
    assert (status, body["error"]["code"]) == (403, "forbidden")


@pytest.mark.slow
def test_downgrade_waits_for_the_evaluation_date_then_the_daily_job_applies_it(world):
    cid, token = world.member()
    world.order("U-1", {"customer_id": cid}, 210_000)
    assert held_tier(cid) == "silver"
    clock.set_now(at(2027, 11, 22, 12, 0))  # November 2026's spend has left the window, the date is tomorrow
    me = world.get("/v1/me", token)
    assert me["tier"]["code"] == "silver"
    assert me["tier_progress"]["current"] == 0
    assert world.order("U-2", {"customer_id": cid}, 10_000)["points_awarded"] == 120  # still 1.2x
    clock.set_now(at(2027, 11, 23, 0, 20))
    assert world.get("/v1/me", token)["tier"]["code"] == "base"  # what /v1/me shows is already right
    result = _job()(scheduled_event("tiers"), None)
    assert result["tiers"]["evaluated"] == 1
    assert held_tier(cid) == "base"
    assert _job()(scheduled_event("tiers"), None)["tiers"]["evaluated"] == 0


@pytest.mark.slow
def test_a_floor_lifts_at_once_and_ends_on_its_date(world):
    cid, token = world.member()
    world.order("F-1", {"customer_id": cid}, 210_000)  # silver
    out = admin(world, "PUT", f"/v1/admin/members/{cid}/tier-floor", {"tier_code": "gold", "until": "2027-01-31"})
    assert out["tier"]["code"] == "gold" and held_tier(cid) == "gold"
    assert world.order("F-2", {"customer_id": cid}, 10_000)["points_awarded"] == 150  # 1.5x
    clock.set_now(at(2027, 1, 31, 23, 0))
    assert world.get("/v1/me", token)["tier"]["code"] == "gold"
    clock.set_now(at(2027, 2, 1, 0, 20))
    _job()(scheduled_event("tiers"), None)
    assert held_tier(cid) == "silver"  # still qualifies for silver on the spend of the last 12 months
    assert admin(world, "PUT", f"/v1/admin/members/{cid}/tier-floor", {"tier_code": "nope"}, expect=400)
    assert admin(world, "PUT", "/v1/admin/members/c_nobody/tier-floor", {"tier_code": "gold"}, expect=404)


@pytest.mark.slow
def test_a_floor_never_lowers_and_removing_it_schedules_an_evaluation(world):
    cid, token = world.member()
    world.order("G-1", {"customer_id": cid}, 900_000)  # gold
    admin(world, "PUT", f"/v1/admin/members/{cid}/tier-floor", {"tier_code": "silver"})
    assert held_tier(cid) == "gold"
    admin(world, "PUT", f"/v1/admin/members/{cid}/tier-floor", {"tier_code": "platinum"})
    assert held_tier(cid) == "platinum"
    admin(world, "PUT", f"/v1/admin/members/{cid}/tier-floor", {"tier_code": None})
    clock.set_now(at(2026, 11, 24, 1, 0))
    _job()(scheduled_event("tiers"), None)
    assert held_tier(cid) == "gold"
    assert world.get("/v1/me", token)["tier"]["code"] == "gold"
