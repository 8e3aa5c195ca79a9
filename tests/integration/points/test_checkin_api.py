"""POST /v1/me/check-ins: once per Shanghai day, streaks across midnight, months and the year boundary."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.core import clock
from tests.support.clock import at
from tests.support.points_world import PointsWorld, assert_consistent

pytestmark = pytest.mark.integration


@pytest.fixture
def world_time() -> datetime:
    return at(2026, 12, 27, 9, 0)


@pytest.fixture
def world(points_world: PointsWorld) -> PointsWorld:
    return points_world


def check_in(world, token, expect=201):
    status, body, _ = world.api.call("POST", "/v1/me/check-ins", token=token)
    assert status == expect, body
    return body


@pytest.mark.slow
def test_once_per_shanghai_day_with_a_streak_across_the_year_boundary(world):
    cid, token = world.member()
    days = [at(2026, 12, 27, 9, 0), at(2026, 12, 28, 23, 59), at(2026, 12, 29, 0, 0), at(2026, 12, 30, 12, 0),
            at(2026, 12, 31, 23, 59, 59), at(2027, 1, 1, 0, 0, 1), at(2027, 1, 2, 8, 0), at(2027, 1, 3, 8, 0)]
    awarded = []
    for moment in days:
        clock.set_now(moment)
        body = check_in(world, token)
        awarded.append((body["streak_days"], body["points_awarded"]))
        clock.set_now(moment.replace(hour=23, minute=59, second=59))
        assert check_in(world, token, expect=409)["error"]["code"] == "already_checked_in"
    # base 5, +10 on day 3, +30 on day 7, the schedule repeats every 7 days
    assert awarded == [(1, 5), (2, 5), (3, 15), (4, 5), (5, 5), (6, 5), (7, 35), (8, 5)]
    assert world.balance(token) == sum(p for _, p in awarded)
    entries = world.ledger(token)
    assert [e["reference"] for e in entries][:2] == ["check_in:2027-01-03", "check_in:2027-01-02"]
    assert entries[0]["expires_on"] == "2028-01-31" and entries[-1]["expires_on"] == "2027-12-31"
    assert_consistent(cid)


@pytest.mark.slow
def test_a_missed_day_starts_the_streak_again_and_utc_midnight_is_not_a_new_day(world):
    _, token = world.member()
    clock.set_now(at(2027, 2, 27, 7, 0))  # 2027-02-26T23:00Z: already the 27th in Shanghai
    assert check_in(world, token)["streak_days"] == 1
    clock.set_now(at(2027, 2, 28, 7, 59))  # UTC is still on the 27th
    assert check_in(world, token)["streak_days"] == 2
    clock.set_now(at(2027, 3, 2, 8, 0))  # the 1st of March was missed
    body = check_in(world, token)
    assert (body["streak_days"], body["points_awarded"]) == (1, 5)


@pytest.mark.slow
def test_the_check_in_schedule_is_configurable(world):
    _, token = world.member()
    status, body, _ = world.api.call(
        "PUT", "/v1/admin/points/settings",
        {"checkin": {"base_points": 2, "streak_bonuses": {"2": 8}, "cycle_days": 2}},
        headers={"authorization": f"Bearer {world.admin}"},
    )
    assert status == 200, body
    assert body["checkin"] == {"base_points": 2, "streak_bonuses": {"2": 8}, "cycle_days": 2}
    got = []
    for day in (1, 2, 3, 4):
        clock.set_now(at(2027, 5, day, 10, 0))
        got.append(check_in(world, token)["points_awarded"])
    assert got == [2, 10, 2, 10]
    status, body, _ = world.api.call(
        "PUT", "/v1/admin/points/settings", {"checkin": {"base_points": 2, "streak_bonuses": {"9": 1},
                                                         "cycle_days": 7}},
        headers={"authorization": f"Bearer {world.admin}"},
    )
    assert (status, body["error"]["code"]) == (400, "validation_error")
