"""Campaign uplift in the health rates (issue 25): a launched campaign with a holdout, conversions in both groups
counted by the campaign itself, then the nightly job after its measurement ended; the month's uplift equals the
campaign's own treated rate minus its holdout rate, counted once, and the health read stays at most 2 calls."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.segments import rules
from tests.support.clock import at
from tests.support.points_world import DynamoCalls
from tests.support.segments_world import SegmentsWorld
from tests.support.sign_in import staff_login
from tools.lambda_emulation.schedules import scheduled_event

pytestmark = pytest.mark.integration


@pytest.fixture
def world(segments_world: SegmentsWorld) -> SegmentsWorld:
    return segments_world


def _nightly(world: SegmentsWorld, *when: int) -> None:
    """The clock moved (the admin signs in again: their token of the last moment has expired) and the job run."""
    clock.set_now(at(*when))
    world.points.admin = staff_login(world.api, "pts-admin", "pts-admin-pass")["access_token"]
    world.app.insights_nightly(scheduled_event("insights-nightly"), None)
    world.pump()


def _health(world: SegmentsWorld) -> list[dict[str, Any]]:
    months: list[dict[str, Any]] = world.call("GET", "/v1/admin/health?from=2026-11&to=2026-12")["months"]
    return months


@pytest.mark.slow
def test_a_campaigns_uplift_is_its_treated_rate_minus_its_holdout_rate_in_the_month_its_measurement_ended(
        world: SegmentsWorld) -> None:
    members = [world.member(marketing=True) for _ in range(24)]
    sid = world.segment()
    cp = world.campaign(sid, holdout=40)  # ends 2026-12-07 09:00 in Shanghai, launched 2026-11-23
    held = [cid for cid, _ in members if rules.holdout(cid, cp, 40)]
    treated = [cid for cid, _ in members if cid not in held]
    assert len(held) >= 2 and len(treated) >= 3
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    world.pump()
    nobody = world.segment({"all": [{"fact": "orders_12m", "op": "gte", "value": 1000}]}, name="没人")
    empty = world.campaign(nobody, holdout=40)  # reaches nobody: it measures nothing and is not counted
    world.call("POST", f"/v1/admin/campaigns/{empty}/launch", expect=202)
    world.pump()
    assert world.call("GET", f"/v1/admin/campaigns/{empty}")["status"] == "done"
    for cid in treated[:3] + held[:1]:
        world.points.order(f"UPL-{cid}", {"customer_id": cid}, 9_900)
    world.pump()
    own = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert own["status"] == "done" and own["conversions"]["treated"] == 3 and own["conversions"]["holdout"] == 1
    treated_rate = own["conversions"]["treated"] / own["sent"]
    holdout_rate = own["conversions"]["holdout"] / own["holdout"]

    # the night before its measurement ends (2026-12-07 + 14 days): not counted yet
    _nightly(world, 2026, 12, 21, 1, 0)
    nov, dec = _health(world)
    assert nov["campaign_uplift"]["campaigns"] == dec["campaign_uplift"]["campaigns"] == 0
    assert dec["campaign_uplift"]["uplift"] is None

    _nightly(world, 2026, 12, 22, 1, 0)  # the 21st has ended: counted into December
    _nightly(world, 2026, 12, 23, 1, 0)  # and the next night (its look-back reaches the 21st) counts it no more
    with DynamoCalls().counting() as calls:
        nov, dec = _health(world)
    assert calls.total <= 2 and set(calls.ops) == {"BatchGetItem"}, calls.ops
    assert nov["campaign_uplift"]["campaigns"] == 0
    assert dec["campaign_uplift"] == {
        "campaigns": 1,  # the empty one is not counted
        "treated": own["sent"], "treated_conversions": 3, "treated_rate": round(treated_rate, 4),
        "holdout": own["holdout"], "holdout_conversions": 1, "holdout_rate": round(holdout_rate, 4),
        "uplift": round(treated_rate - holdout_rate, 4)}

    status, text, _ = world.api.call("GET", "/v1/admin/health.csv?from=2026-11&to=2026-12", token=world.points.admin)
    assert status == 200
    table = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["活动增益 campaign_uplift_uplift"] for r in table] == ["", str(round(treated_rate - holdout_rate, 4))]
