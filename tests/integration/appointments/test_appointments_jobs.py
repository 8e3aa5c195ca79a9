"""The appointments' daily job over DynamoDB Local: the reminder the day before (once, with the store-local date,
time, store and address), no-shows after the day, the suspension of self-service booking after repeated no-shows
(409 ``booking_suspended``, zh and en; the hotline still books), and an agent lifting it."""

from __future__ import annotations

import time as wall
import uuid

import pytest

from chalicelib.appointments import catalogue, jobs
from chalicelib.core import clock
from tests.integration.appointments.test_appointments_api import World, assert_error
from tests.support.clock import at

pytestmark = pytest.mark.integration


@pytest.fixture
def world(api) -> World:
    catalogue.reset_cache()
    clock.set_now(at(2026, 12, 7, 9, 0))
    return World.make(api)  # type: ignore[return-value]


def _index_settles() -> None:
    wall.sleep(0.3)  # the queue index (a GSI) is eventually consistent, as on AWS


@pytest.mark.slow
def test_the_day_before_each_booked_member_is_reminded_once(world):
    sh = world.store()
    skin = world.service(sh)
    _a, a = world.member()
    _b, b = world.member()
    _s, booked, _ = world.book(a, sh, skin, at(2026, 12, 8, 10, 30))
    _s, dropped, _ = world.book(b, sh, skin, at(2026, 12, 8, 11, 0))
    world.call("POST", f"/v1/appointments/{dropped['appointment_id']}/cancel", b)
    world.book(b, sh, skin, at(2026, 12, 9, 11, 0))  # the day after tomorrow: not yet
    clock.set_now(at(2026, 12, 7, 18, 0))
    _index_settles()
    assert jobs.send_reminders() == {"sent": 1, "skipped": 0}
    assert jobs.send_reminders() == {"sent": 0, "skipped": 1}  # a re-run sends nothing twice
    notes = [n for n in world.call("GET", "/v1/me/notifications", a)[1]["items"]
             if n["kind"] == "transaction_appointment_reminder"]
    assert len(notes) == 1
    data = notes[0]["data"]
    assert data["appointment_id"] == booked["appointment_id"]
    assert (data["date"], data["time"], data["store_name"], data["store_address"]) == (
        "2026-12-08", "10:30", "徐家汇店", "虹桥路 1 号")
    # In words a member reads, in the member's language: the store-local date and time, the store and its address.
    assert notes[0]["body"] == "提醒：您明天（2026-12-08）10:30在徐家汇店（虹桥路 1 号）有肌肤检测预约，请按时到店。"
    english = [n for n in world.api.call("GET", "/v1/me/notifications", token=a,
                                         headers={"Accept-Language": "en"})[1]["items"]
               if n["kind"] == "transaction_appointment_reminder"]
    assert "2026-12-08 at 10:30, at 徐家汇店 (虹桥路 1 号)" in english[0]["body"]
    assert not [n for n in world.call("GET", "/v1/me/notifications", b)[1]["items"]
                if n["kind"] == "transaction_appointment_reminder"]


@pytest.mark.slow
def test_repeated_no_shows_suspend_self_service_booking_until_an_agent_lifts_it(world):
    sh = world.store(no_show_limit=3)
    skin = world.service(sh, cap=5)
    cid, token = world.member()
    for day in (7, 8, 9):
        clock.set_now(at(2026, 12, day, 8, 0))
        _s, booked, _ = world.book(token, sh, skin, at(2026, 12, day, 10, 0))
        clock.set_now(at(2026, 12, day + 1, 0, 40))
        _index_settles()
        assert jobs.mark_no_shows() == {"marked": 1}
        assert jobs.mark_no_shows() == {"marked": 0}
        mine = world.call("GET", f"/v1/me/appointments/{booked['appointment_id']}", token)[1]
        assert mine["status"] == "no_show"
    assert_error(world.book(token, sh, skin, at(2026, 12, 11, 10, 0), expect=None), "booking_suspended")
    assert_error(world.book(token, sh, skin, at(2026, 12, 11, 10, 0), expect=None, english=True),
                 "booking_suspended", english=True)
    assert not any(s["bookable"] for s in world.slots(token, sh, skin, "2026-12-11"))
    world.hotline(cid, sh, skin, at(2026, 12, 11, 10, 0))  # the hotline still books for them
    status, out, _ = world.api.call("POST", f"/v1/agent/members/{cid}/booking-suspension/lift",
                                    {"reason": "会员说明情况"}, token=world.agent)
    assert status == 200 and out["suspended_until"] is None and out["lifted_by"], out
    world.book(token, sh, skin, at(2026, 12, 11, 11, 0))


@pytest.mark.slow
def test_the_no_show_count_is_within_the_window(world):
    sh = world.store(no_show_limit=2, no_show_days=5)
    skin = world.service(sh, cap=5)
    _cid, token = world.member()
    for day in (7, 14):  # a week apart: never two within 5 days
        clock.set_now(at(2026, 12, day, 8, 0))
        world.book(token, sh, skin, at(2026, 12, day, 10, 0))
        clock.set_now(at(2026, 12, day + 1, 0, 40))
        _index_settles()
        assert jobs.mark_no_shows()["marked"] == 1
    world.book(token, sh, skin, at(2026, 12, 15, 10, 0), key=uuid.uuid4().hex)


def test_lifting_an_unknown_members_suspension_is_404(world):
    status, out, headers = world.api.call("POST", "/v1/agent/members/c_nobody/booking-suspension/lift",
                                          {"reason": "x" * 3}, token=world.agent)
    assert_error((status, out, headers), "not_found")


@pytest.mark.slow
def test_lifting_a_suspension_that_keeps_losing_its_race_is_503_and_changes_nothing(world, monkeypatch):
    sh = world.store(no_show_limit=1)
    skin = world.service(sh, cap=5)
    cid, token = world.member()
    world.book(token, sh, skin, at(2026, 12, 7, 10, 0))
    clock.set_now(at(2026, 12, 8, 0, 40))
    _index_settles()
    assert jobs.mark_no_shows() == {"marked": 1}

    class AlwaysRaced(jobs.Tx):
        def commit(self) -> None:
            raise jobs.TxCancelled({"member"}, conflict=True)  # another write of the booking state each time

    monkeypatch.setattr(jobs, "Tx", AlwaysRaced)
    status, out, headers = world.api.call("POST", f"/v1/agent/members/{cid}/booking-suspension/lift",
                                          {"reason": "会员说明情况"}, token=world.agent)
    assert (status, out["error"]["code"], headers.get("Retry-After")) == (503, "service_unavailable", "1"), out
    monkeypatch.undo()
    assert_error(world.book(token, sh, skin, at(2026, 12, 9, 10, 0), expect=None), "booking_suspended")
