"""Store appointments over the in-process API and DynamoDB Local, as members, agents, operators and the till see
them: stores and services, the slot grid in Asia/Shanghai, booking (seats, overlaps, windows by tier, reserved
seats, idempotency), cancel and reschedule, hotline bookings and their overrides, check-in and the day's queue, the
notification, the merge and the 360 view; every error in the envelope, zh and en; the DynamoDB calls of each."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.appointments import catalogue
from chalicelib.core import capacity, clock
from chalicelib.core.errors import CATALOGUE
from chalicelib.identity import directory, merges, sessions
from tests.support.clock import at
from tests.support.contract import assert_envelope
from tests.support.points_world import API_KEY, DynamoCalls, PointsWorld

pytestmark = pytest.mark.integration

EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]
MONDAY = at(2026, 12, 7, 9, 0)  # a Monday morning, Shanghai


class World(PointsWorld):
    def admin_call(self, method: str, path: str, body: Any = None, expect: int | None = 200) -> Any:
        status, out, _ = self.api.call(method, path, body, token=self.admin)
        if expect is not None:
            assert status == expect, (status, out)
        return out

    def store(self, hours: list[dict[str, Any]] | None = None, **extra: Any) -> str:
        body = {"name": "徐家汇店", "city": "上海", "address": "虹桥路 1 号", "opening_hours": hours or EVERY_DAY,
                **extra}
        return str(self.admin_call("POST", "/v1/admin/stores", body, expect=201)["store_id"])

    def service(self, store_id: str, duration: int = 30, cap: int = 2, **extra: Any) -> str:
        body = {"name": "肌肤检测", "duration_minutes": duration, "capacity": cap, **extra}
        out = self.admin_call("POST", f"/v1/admin/stores/{store_id}/services", body, expect=201)
        return str(out["service_id"])

    def book(self, token: str, store_id: str, service_id: str, start: datetime | str, key: str | None = None,
             expect: int | None = 201, english: bool = False) -> tuple[int, Any, dict]:
        headers = {"idempotency-key": key or uuid.uuid4().hex, **({"accept-language": "en"} if english else {})}
        slot = start if isinstance(start, str) else start.isoformat()
        status, body, out_headers = self.api.call(
            "POST", "/v1/appointments", {"store_id": store_id, "service_id": service_id, "slot_start": slot},
            token=token, headers=headers)
        if expect is not None:
            assert status == expect, (status, body)
        return status, body, out_headers

    def slots(self, token: str, store_id: str, service_id: str, day: str) -> list[dict[str, Any]]:
        status, body, _ = self.api.call("GET", f"/v1/stores/{store_id}/slots?service_id={service_id}&date={day}",
                                        token=token)
        assert status == 200, body
        return list(body["items"])

    def call(self, method: str, path: str, token: str, body: Any = None, expect: int | None = 200,
             english: bool = False) -> tuple[int, Any, dict]:
        status, out, headers = self.api.call(method, path, body, token=token,
                                             headers={"accept-language": "en"} if english else None)
        if expect is not None:
            assert status == expect, (status, out)
        return status, out, headers

    def put_on_tier(self, customer_id: str, tier_code: str) -> None:
        self.admin_call("PUT", f"/v1/admin/members/{customer_id}/tier-floor", {"tier_code": tier_code})

    def hotline(self, customer_id: str, store_id: str, service_id: str, start: datetime,
                reason: str | None = None, expect: int | None = 201) -> tuple[int, Any, dict]:
        body: dict[str, Any] = {"store_id": store_id, "service_id": service_id, "slot_start": start.isoformat()}
        if reason:
            body["override_reason"] = reason
        status, out, headers = self.api.call("POST", f"/v1/agent/members/{customer_id}/appointments", body,
                                             token=self.agent, headers={"idempotency-key": uuid.uuid4().hex})
        if expect is not None:
            assert status == expect, (status, out)
        return status, out, headers

    def till(self, method: str, path: str, expect: int | None = 200) -> tuple[int, Any, dict]:
        status, out, headers = self.api.call(method, path, headers={"x-api-key": API_KEY})
        if expect is not None:
            assert status == expect, (status, out)
        return status, out, headers


@pytest.fixture
def world(api) -> World:
    catalogue.reset_cache()
    clock.set_now(MONDAY)
    return World.make(api)  # type: ignore[return-value]


def taken(store_id: str, service_id: str, start: datetime) -> int:
    local = start.astimezone(at(2026, 1, 1).tzinfo)
    count = capacity.read_slot(capacity.Slot(f"APPT#{store_id}#{service_id}", local.date(), local.strftime("%H%M")))
    return count.taken


def assert_error(result: tuple[int, Any, dict], code: str, english: bool = False) -> None:
    status, body, headers = result
    assert_envelope(status, body, headers, code, english=english)


# --- operators and the catalogue -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_operators_configure_stores_and_services_that_members_list(world):
    sh = world.store(phone="021-64000001")
    bj = world.store(city="北京", name="三里屯店")
    skin = world.service(sh, duration=30, cap=2)
    vip = world.service(sh, duration=60, cap=1, tiers=["gold", "platinum"])
    status, body, _ = world.api.call("GET", "/v1/stores?city=上海")
    assert status == 200
    assert [s["store_id"] for s in body["items"]] == [sh]
    store = body["items"][0]
    assert store["opening_hours"][0] == {"weekday": 1, "opens": "10:00", "closes": "20:00"}
    assert sorted(store["services"]) == sorted([skin, vip]) and store["phone"] == "021-64000001"
    assert {s["store_id"] for s in world.api.call("GET", "/v1/stores")[1]["items"]} == {sh, bj}
    services = world.api.call("GET", f"/v1/stores/{sh}/services")[1]["items"]
    by_id = {s["service_id"]: s for s in services}
    assert by_id[skin]["duration_minutes"] == 30 and by_id[skin]["capacity"] == 2 and by_id[skin]["tiers"] is None
    assert by_id[vip]["tiers"] == ["gold", "platinum"]
    assert_error(world.api.call("GET", "/v1/stores/st_nope/services"), "not_found")
    assert_error(world.api.call("POST", "/v1/admin/stores/st_nope/services",
                                {"name": "x", "duration_minutes": 30, "capacity": 1}, token=world.admin), "not_found")


@pytest.mark.parametrize("body, field", [
    ({"opening_hours": [{"weekday": 1, "opens": "20:00", "closes": "10:00"}]}, "opening_hours.0.closes"),
    ({"opening_hours": [{"weekday": 8, "opens": "10:00", "closes": "20:00"}]}, "opening_hours.0.weekday"),
    ({"opening_hours": [{"weekday": 1, "opens": "25:00", "closes": "26:00"}]}, "opening_hours.0.opens"),
    ({"priority_tiers": ["diamond"]}, "priority_tiers"),
    ({"opening_hours": []}, "opening_hours"),
    ({"closed_dates": ["2027-02-30"]}, "closed_dates.0"),  # the right shape, no such day: was a 500
])
def test_store_configuration_is_validated_field_by_field(world, body, field):
    base = {"name": "x", "city": "上海", "address": "y", "opening_hours": EVERY_DAY}
    status, out, headers = world.api.call("POST", "/v1/admin/stores", {**base, **body}, token=world.admin)
    assert_envelope(status, out, headers, "validation_error")
    assert any(d["field"] == field for d in out["error"]["details"]), out
    status, out, headers = world.api.call(
        "POST", "/v1/admin/stores", {**base, **body}, token=world.admin, headers={"accept-language": "en"}
    )
    assert_envelope(status, out, headers, "validation_error", english=True)


def test_service_configuration_is_validated(world):
    sh = world.store()
    for body, field in (({"tiers": ["diamond"]}, "tiers"), ({"reserved_seats": 3}, "reserved_seats"),
                        ({"capacity": 0}, "capacity"), ({"duration_minutes": 1}, "duration_minutes")):
        status, out, headers = world.api.call("POST", f"/v1/admin/stores/{sh}/services",
                                              {"name": "x", "duration_minutes": 30, "capacity": 2, **body},
                                              token=world.admin)
        assert_envelope(status, out, headers, "validation_error")
        assert [d["field"] for d in out["error"]["details"]] == [field], out


# --- slots ----------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_slots_come_from_opening_hours_duration_and_buffer_in_shanghai_time(world):
    sh = world.store(hours=[{"weekday": 2, "opens": "10:00", "closes": "12:00"},
                            {"weekday": 2, "opens": "13:30", "closes": "15:00"}])
    fitting = world.service(sh, duration=45, cap=3, buffer_minutes=15)
    _cid, token = world.member()
    items = world.slots(token, sh, fitting, "2026-12-08")  # a Tuesday
    assert [(s["slot_start"], s["slot_end"]) for s in items] == [
        ("2026-12-08T10:00:00+08:00", "2026-12-08T10:45:00+08:00"),
        ("2026-12-08T11:00:00+08:00", "2026-12-08T11:45:00+08:00"),
        ("2026-12-08T13:30:00+08:00", "2026-12-08T14:15:00+08:00"),
    ]
    assert all(s["capacity"] == 3 and s["remaining"] == 3 and s["bookable"] for s in items)
    assert world.slots(token, sh, fitting, "2026-12-07") == []  # Monday: closed


@pytest.mark.slow
def test_the_slot_listing_tells_a_member_what_they_may_book(world):
    sh = world.store()
    skin = world.service(sh, cap=1)
    _cid, token = world.member()
    _other, other_token = world.member()
    world.book(other_token, sh, skin, at(2026, 12, 7, 11, 0))
    today = {s["slot_start"]: s for s in world.slots(token, sh, skin, "2026-12-07")}
    assert today["2026-12-07T10:00:00+08:00"]["bookable"] is True
    full = today["2026-12-07T11:00:00+08:00"]
    assert (full["remaining"], full["bookable"]) == (0, False)
    clock.set_now(at(2026, 12, 7, 12, 10))
    today = {s["slot_start"]: s for s in world.slots(token, sh, skin, "2026-12-07")}
    assert today["2026-12-07T12:00:00+08:00"]["bookable"] is False  # started: past
    assert today["2026-12-07T12:30:00+08:00"]["bookable"] is True
    assert not any(s["bookable"] for s in world.slots(token, sh, skin, "2026-12-15"))  # beyond 7 days
    assert all(s["bookable"] for s in world.slots(token, sh, skin, "2026-12-14"))


@pytest.mark.slow
def test_the_slot_listing_is_two_dynamodb_calls_whatever_the_bookings(world):
    sh = world.store()
    skin = world.service(sh, cap=50)
    _cid, token = world.member()
    for hour in range(10, 20):
        for _ in range(3):
            world.book(world.member()[1], sh, skin, at(2026, 12, 8, hour, 0))
    # The catalogue and the points programme warm just before: they are cached for at most 5 s of real time
    # (core/dynamo/table_cache.py), and thirty bookings on a loaded machine take longer than that.
    world.slots(token, sh, skin, "2026-12-08")
    with DynamoCalls().counting() as calls:
        items = world.slots(token, sh, skin, "2026-12-08")
    assert calls.total == 2, calls.log  # the member (tier), the day's counters
    assert [s["remaining"] for s in items if s["slot_start"].endswith(":00:00+08:00")] == [47] * 10


# --- booking -------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_booking_takes_a_seat_records_the_appointment_and_tells_the_member(world):
    sh = world.store()
    skin = world.service(sh, cap=2)
    _cid, token = world.member()
    start = at(2026, 12, 8, 10, 30)
    _s, body, headers = world.book(token, sh, skin, start, key="tap-1")
    assert body["status"] == "booked" and body["appointment_id"].startswith("apt_")
    assert (body["store_id"], body["service_id"]) == (sh, skin)
    assert (body["slot_start"], body["slot_end"]) == ("2026-12-08T10:30:00+08:00", "2026-12-08T11:00:00+08:00")
    assert body["channel"] == "app" and body["priority"] is False
    assert "Idempotent-Replayed" not in headers
    assert taken(sh, skin, start) == 1
    _s, again, headers = world.book(token, sh, skin, start, key="tap-1")
    assert again == body and headers.get("Idempotent-Replayed") == "true"
    assert taken(sh, skin, start) == 1
    assert_error(world.book(token, sh, skin, at(2026, 12, 8, 11, 0), key="tap-1", expect=None),
                 "idempotency_key_reused")
    mine = world.call("GET", "/v1/me/appointments", token)[1]["items"]
    assert [a["appointment_id"] for a in mine] == [body["appointment_id"]]
    assert world.call("GET", f"/v1/me/appointments/{body['appointment_id']}", token)[1] == body
    notes = world.call("GET", "/v1/me/notifications", token)[1]["items"]
    assert notes[0]["data"]["appointment_id"] == body["appointment_id"]
    assert (notes[0]["data"]["date"], notes[0]["data"]["time"]) == ("2026-12-08", "10:30")
    assert notes[0]["data"]["store_address"] == "虹桥路 1 号" and notes[0]["title"] == "预约成功"


def test_a_booking_is_a_getitem_one_query_and_one_transaction_and_a_replay_one_getitem(world):
    """The idempotency record is outside the member's bounded read (it grows with the member's requests): its
    GetItem comes first, so a replay is still one call."""
    sh = world.store()
    skin = world.service(sh)
    _cid, token = world.member()
    world.book(token, sh, skin, at(2026, 12, 8, 10, 0))  # caches warm
    with DynamoCalls().counting() as calls:
        world.book(token, sh, skin, at(2026, 12, 8, 12, 0), key="k-bench")
    assert calls.ops == {"GetItem": 1, "Query": 1, "TransactWriteItems": 1}, calls.log
    with DynamoCalls().counting() as calls:
        world.book(token, sh, skin, at(2026, 12, 8, 12, 0), key="k-bench")
    assert calls.ops == {"GetItem": 1}, calls.log


@pytest.mark.slow
def test_the_channel_is_recorded(world):
    sh = world.store()
    skin = world.service(sh)
    _cid, token = world.member()
    status, body, _ = world.api.call(
        "POST", "/v1/appointments", {"store_id": sh, "service_id": skin, "slot_start": "2026-12-08T10:00:00+08:00"},
        token=token, headers={"idempotency-key": "c1", "x-channel": "miniprogram"})
    assert status == 201 and body["channel"] == "miniprogram"


@pytest.mark.slow
def test_a_full_slot_is_409_and_nothing_is_written(world):
    sh = world.store()
    skin = world.service(sh, cap=1)
    start = at(2026, 12, 8, 10, 0)
    world.book(world.member()[1], sh, skin, start)
    _cid, token = world.member()
    assert_error(world.book(token, sh, skin, start, expect=None), "slot_full")
    assert_error(world.book(token, sh, skin, start, expect=None, english=True), "slot_full", english=True)
    assert taken(sh, skin, start) == 1
    assert world.call("GET", "/v1/me/appointments", token)[1]["items"] == []


@pytest.mark.slow
def test_one_member_cannot_hold_two_overlapping_appointments(world):
    sh = world.store()
    skin = world.service(sh, duration=30)
    vip = world.service(sh, duration=60)
    other_store = world.store(name="别的店")
    repair = world.service(other_store, duration=30)
    _cid, token = world.member()
    world.book(token, sh, vip, at(2026, 12, 8, 10, 0))  # 10:00-11:00
    assert_error(world.book(token, sh, skin, at(2026, 12, 8, 10, 30), expect=None), "already_booked")
    assert_error(world.book(token, other_store, repair, at(2026, 12, 8, 10, 0), expect=None), "already_booked")
    world.book(token, sh, skin, at(2026, 12, 8, 11, 0))  # back to back is fine
    assert taken(sh, skin, at(2026, 12, 8, 10, 30)) == 0


@pytest.mark.parametrize("start, issue", [
    ("2026-12-07T10:00:00+08:00", "in the past"),
    ("2026-12-08T10:10:00+08:00", "not a slot"),
    ("2026-12-08T09:30:00+08:00", "not a slot"),  # before opening
    ("2026-12-08T19:45:00+08:00", "not a slot"),  # would end after closing
    ("2026-12-08T20:00:00+08:00", "not a slot"),
    ("2026-12-25T10:00:00+08:00", "closed"),
])
def test_a_slot_that_is_not_one_is_400_naming_slot_start(world, start, issue):
    sh = world.store(closed_dates=["2026-12-25"], booking_days=30)
    skin = world.service(sh)
    if "past" in issue:
        clock.set_now(at(2026, 12, 7, 12, 0))
    _cid, token = world.member()
    status, body, headers = world.book(token, sh, skin, start, expect=None)
    assert_envelope(status, body, headers, "validation_error")
    assert [d["field"] for d in body["error"]["details"]] == ["slot_start"]
    assert issue in body["error"]["details"][0]["issue"]


def test_a_naive_time_is_refused(world):
    sh = world.store()
    skin = world.service(sh)
    _cid, token = world.member()
    status, body, headers = world.book(token, sh, skin, "2026-12-08T10:00:00", expect=None)
    assert_envelope(status, body, headers, "validation_error")
    assert [d["field"] for d in body["error"]["details"]] == ["slot_start"]


@pytest.mark.slow
def test_the_booking_window_depends_on_the_tier(world):
    sh = world.store()  # base 7 days, gold and platinum 14
    skin = world.service(sh)
    _base_id, base = world.member()
    gold_id, gold = world.member()
    world.put_on_tier(gold_id, "gold")
    world.book(base, sh, skin, at(2026, 12, 14, 10, 0))
    assert_error(world.book(base, sh, skin, at(2026, 12, 15, 10, 0), expect=None), "outside_booking_window")
    assert_error(world.book(base, sh, skin, at(2026, 12, 15, 10, 0), expect=None, english=True),
                 "outside_booking_window", english=True)
    world.book(gold, sh, skin, at(2026, 12, 21, 10, 0))
    assert_error(world.book(gold, sh, skin, at(2026, 12, 22, 10, 0), expect=None), "outside_booking_window")
    assert [s["bookable"] for s in world.slots(gold, sh, skin, "2026-12-21")][:1] == [True]
    assert not any(s["bookable"] for s in world.slots(base, sh, skin, "2026-12-21"))


def test_a_service_for_some_tiers_is_403_for_the_others(world):
    sh = world.store()
    vip = world.service(sh, tiers=["gold", "platinum"])
    _cid, token = world.member()
    assert_error(world.book(token, sh, vip, at(2026, 12, 8, 10, 0), expect=None), "tier_not_eligible")
    assert not any(s["bookable"] for s in world.slots(token, sh, vip, "2026-12-08"))


@pytest.mark.slow
def test_reserved_seats_wait_for_priority_tiers_until_the_release(world):
    sh = world.store(release_hours=24)  # priority tiers: gold, platinum
    fitting = world.service(sh, cap=2, reserved_seats=1)
    start = at(2026, 12, 9, 10, 0)
    _a, first = world.member()
    _b, second = world.member()
    gold_id, gold = world.member()
    world.put_on_tier(gold_id, "gold")
    world.book(first, sh, fitting, start)
    slot = {s["slot_start"]: s for s in world.slots(second, sh, fitting, "2026-12-09")}[start.isoformat()]
    assert (slot["remaining"], slot["bookable"]) == (1, False)  # the last seat is reserved
    assert_error(world.book(second, sh, fitting, start, expect=None), "slot_full")
    assert {s["slot_start"]: s for s in world.slots(gold, sh, fitting, "2026-12-09")}[start.isoformat()]["bookable"]
    _s, body, _ = world.book(gold, sh, fitting, start)
    assert body["priority"] is True
    assert taken(sh, fitting, start) == 2
    # another slot, after the release (24 h before it): anyone takes the reserved seat
    later = at(2026, 12, 9, 11, 0)
    world.book(first, sh, fitting, later)
    assert_error(world.book(second, sh, fitting, later, expect=None), "slot_full")
    clock.set_now(later - timedelta(hours=23))
    world.book(second, sh, fitting, later)
    assert taken(sh, fitting, later) == 2


# --- cancel and reschedule --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_cancel_frees_the_seat_at_once_until_the_cut_off(world):
    sh = world.store(cancel_cutoff_minutes=120)
    skin = world.service(sh, cap=1)
    _cid, token = world.member()
    start = at(2026, 12, 7, 14, 0)
    _s, booked, _ = world.book(token, sh, skin, start)
    path = f"/v1/appointments/{booked['appointment_id']}/cancel"
    _s, out, _ = world.call("POST", path, token)
    assert out["appointment_id"] == booked["appointment_id"] and out["status"] == "cancelled"
    assert taken(sh, skin, start) == 0
    assert world.call("POST", path, token)[1]["status"] == "cancelled"  # again: the same answer, nothing freed twice
    assert taken(sh, skin, start) == 0
    _other, other = world.member()
    world.book(other, sh, skin, start)  # the seat is free at once
    _s, late, _ = world.book(token, sh, skin, at(2026, 12, 7, 16, 0))
    clock.set_now(at(2026, 12, 7, 14, 1))
    late_path = f"/v1/appointments/{late['appointment_id']}/cancel"
    assert_error(world.call("POST", late_path, token, expect=None), "too_late_to_cancel")
    assert_error(world.call("POST", late_path, token, expect=None, english=True), "too_late_to_cancel", english=True)
    assert taken(sh, skin, at(2026, 12, 7, 16, 0)) == 1
    assert world.call("GET", f"/v1/me/appointments/{late['appointment_id']}", token)[1]["status"] == "booked"


@pytest.mark.slow
def test_cancel_is_one_read_and_one_transaction(world):
    sh = world.store()
    skin = world.service(sh)
    _cid, token = world.member()
    _s, booked, _ = world.book(token, sh, skin, at(2026, 12, 8, 10, 0))
    with DynamoCalls().counting() as calls:
        world.call("POST", f"/v1/appointments/{booked['appointment_id']}/cancel", token)
    assert calls.ops == {"GetItem": 1, "TransactWriteItems": 1}, calls.log


@pytest.mark.slow
def test_reschedule_takes_the_new_seat_and_frees_the_old_in_one_transaction(world):
    sh = world.store()
    skin = world.service(sh, cap=1)
    _cid, token = world.member()
    old, new = at(2026, 12, 8, 10, 0), at(2026, 12, 8, 15, 0)
    _s, booked, _ = world.book(token, sh, skin, old)
    path = f"/v1/appointments/{booked['appointment_id']}/reschedule"
    with DynamoCalls().counting() as calls:
        _s, moved, _ = world.call("POST", path, token, {"slot_start": new.isoformat()})
    # the member's bounded read holds the booked slots, not the appointments (they grow): one GetItem reads it
    assert calls.ops == {"Query": 1, "GetItem": 1, "TransactWriteItems": 1}, calls.log
    assert moved["appointment_id"] == booked["appointment_id"] and moved["status"] == "booked"
    assert (moved["slot_start"], moved["slot_end"]) == ("2026-12-08T15:00:00+08:00", "2026-12-08T15:30:00+08:00")
    assert (taken(sh, skin, old), taken(sh, skin, new)) == (0, 1)
    # into a full slot: 409, and the booking stays exactly as it was
    _other, other = world.member()
    world.book(other, sh, skin, old)
    before = world.call("GET", f"/v1/me/appointments/{booked['appointment_id']}", token)[1]
    assert_error(world.call("POST", path, token, {"slot_start": old.isoformat()}, expect=None), "slot_full")
    assert world.call("GET", f"/v1/me/appointments/{booked['appointment_id']}", token)[1] == before
    assert (taken(sh, skin, old), taken(sh, skin, new)) == (1, 1)
    # the same rules as booking: the grid, the window
    status, body, headers = world.call("POST", path, token, {"slot_start": "2026-12-08T15:10:00+08:00"}, expect=None)
    assert_envelope(status, body, headers, "validation_error")
    assert_error(world.call("POST", path, token, {"slot_start": at(2026, 12, 20, 10).isoformat()}, expect=None),
                 "outside_booking_window")
    # cancelled: not active any more
    world.call("POST", f"/v1/appointments/{booked['appointment_id']}/cancel", token)
    assert_error(world.call("POST", path, token, {"slot_start": at(2026, 12, 8, 16).isoformat()}, expect=None),
                 "appointment_not_active")


@pytest.mark.slow
def test_reschedule_refuses_an_overlap_with_my_other_appointment(world):
    sh = world.store()
    skin = world.service(sh)
    _cid, token = world.member()
    _s, a, _ = world.book(token, sh, skin, at(2026, 12, 8, 10, 0))
    world.book(token, sh, skin, at(2026, 12, 8, 11, 0))
    assert_error(world.call("POST", f"/v1/appointments/{a['appointment_id']}/reschedule", token,
                            {"slot_start": at(2026, 12, 8, 11, 0).isoformat()}, expect=None), "already_booked")


@pytest.mark.slow
def test_another_members_appointment_is_404(world):
    sh = world.store()
    skin = world.service(sh)
    _a, mine = world.member()
    _b, theirs = world.member()
    _s, booked, _ = world.book(mine, sh, skin, at(2026, 12, 8, 10, 0))
    aid = booked["appointment_id"]
    for method, path, body in (("GET", f"/v1/me/appointments/{aid}", None),
                               ("POST", f"/v1/appointments/{aid}/cancel", None),
                               ("POST", f"/v1/appointments/{aid}/reschedule", {"slot_start": "2026-12-08T12:00:00Z"})):
        assert_error(world.call(method, path, theirs, body, expect=None), "not_found")
        assert_error(world.call(method, path, theirs, body, expect=None, english=True), "not_found", english=True)
    assert taken(sh, skin, at(2026, 12, 8, 10, 0)) == 1


# --- hotline ---------------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_hotline_books_with_priority_and_records_every_override(world):
    sh = world.store()
    skin = world.service(sh, cap=1, reserved_seats=1)  # every seat reserved: only priority before the release
    cid, token = world.member()
    _s, body, _ = world.hotline(cid, sh, skin, at(2026, 12, 9, 10, 0))
    assert body["channel"] == "hotline" and body["priority"] is True and body["booked_by"]
    assert "overrides" not in body
    assert_error(world.book(world.member()[1], sh, skin, at(2026, 12, 9, 10, 30), expect=None), "slot_full")
    # beyond the member's window: only with a reason, recorded with who and why
    far = at(2026, 12, 20, 10, 0)
    assert_error(world.hotline(cid, sh, skin, far, expect=None), "outside_booking_window")
    _s, over, _ = world.hotline(cid, sh, skin, far, reason="会员行动不便，提前安排")
    override = over["overrides"][0]
    assert override["rule"] == "booking_window" and override["reason"] == "会员行动不便，提前安排"
    assert override["by"] == body["booked_by"]
    mine = world.call("GET", f"/v1/me/appointments/{over['appointment_id']}", token)[1]
    assert mine["overrides"] == over["overrides"]
    # never over capacity
    other_id, _other = world.member()
    assert_error(world.hotline(other_id, sh, skin, far, reason="加塞", expect=None), "slot_full")
    assert taken(sh, skin, far) == 1
    assert_error(world.hotline("c_nobody", sh, skin, at(2026, 12, 9, 11, 0), expect=None), "not_found")


# --- at the store -----------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_check_in_and_the_queue_put_priority_first_then_arrival(world):
    sh = world.store()
    skin = world.service(sh, cap=5)
    clock.set_now(at(2026, 12, 7, 8, 0))
    a_id, a = world.member()
    b_id, b = world.member()
    c_id, _c = world.member()
    gold_id, gold = world.member()
    world.put_on_tier(gold_id, "gold")
    _s, early, _ = world.book(a, sh, skin, at(2026, 12, 7, 10, 0))
    _s, late, _ = world.book(b, sh, skin, at(2026, 12, 7, 10, 30))
    _s, hot, _ = world.hotline(c_id, sh, skin, at(2026, 12, 7, 11, 0))
    _s, vip, _ = world.book(gold, sh, skin, at(2026, 12, 7, 12, 0))
    _s, cancelled, _ = world.book(a, sh, skin, at(2026, 12, 7, 15, 0))
    world.call("POST", f"/v1/appointments/{cancelled['appointment_id']}/cancel", a)
    _s, tomorrow, _ = world.book(b, sh, skin, at(2026, 12, 8, 10, 0))
    clock.set_now(at(2026, 12, 7, 9, 50))
    _s, out, _ = world.till("POST", f"/v1/integrations/appointments/{late['appointment_id']}/check-in")
    assert out["status"] == "checked_in" and out["appointment_id"] == late["appointment_id"]
    clock.set_now(at(2026, 12, 7, 9, 55))
    world.till("POST", f"/v1/integrations/appointments/{early['appointment_id']}/check-in")
    world.till("POST", f"/v1/integrations/appointments/{vip['appointment_id']}/check-in")
    again = world.till("POST", f"/v1/integrations/appointments/{late['appointment_id']}/check-in")[1]
    assert again["checked_in_at"] == out["checked_in_at"]
    _s, q, _ = world.till("GET", f"/v1/integrations/stores/{sh}/queue?date=2026-12-07")
    order = [e["appointment_id"] for e in q["items"]]
    assert order == [vip["appointment_id"], hot["appointment_id"], late["appointment_id"], early["appointment_id"]]
    assert [e["position"] for e in q["items"]] == [1, 2, 3, 4]
    assert_error(world.till("POST", f"/v1/integrations/appointments/{tomorrow['appointment_id']}/check-in",
                            expect=None), "check_in_not_open")
    assert_error(world.till("POST", f"/v1/integrations/appointments/{cancelled['appointment_id']}/check-in",
                            expect=None), "appointment_not_active")
    assert_error(world.call("POST", f"/v1/appointments/{late['appointment_id']}/cancel", b, expect=None),
                 "appointment_not_active")
    assert_error(world.till("POST", "/v1/integrations/appointments/apt_nope/check-in", expect=None), "not_found")
    assert_error(world.till("GET", "/v1/integrations/stores/st_nope/queue?date=2026-12-07", expect=None), "not_found")
    assert a_id and b_id


# --- time zones -------------------------------------------------------------------------------------------------------


def test_an_early_store_day_starts_on_the_previous_utc_day(world):
    # Mondays 07:00-09:00 Shanghai are Sunday 23:00-01:00 UTC
    sh = world.store(hours=[{"weekday": 1, "opens": "07:00", "closes": "09:00"}])
    skin = world.service(sh, duration=60)
    clock.set_now(at(2026, 12, 6, 12, 0))  # Sunday
    _cid, token = world.member()
    items = world.slots(token, sh, skin, "2026-12-07")
    assert [s["slot_start"] for s in items] == ["2026-12-07T07:00:00+08:00", "2026-12-07T08:00:00+08:00"]
    assert world.slots(token, sh, skin, "2026-12-06") == []  # Sunday, though 2026-12-06T23:00Z is in it
    _s, body, _ = world.book(token, sh, skin, "2026-12-06T23:00:00Z")  # the same instant in UTC
    assert body["slot_start"] == "2026-12-07T07:00:00+08:00"
    assert {s["slot_start"]: s["remaining"] for s in world.slots(token, sh, skin, "2026-12-07")} == {
        "2026-12-07T07:00:00+08:00": 1, "2026-12-07T08:00:00+08:00": 2}
    status, out, headers = world.book(token, sh, skin, "2026-12-07T07:00:00Z", expect=None)  # 15:00 Shanghai
    assert_envelope(status, out, headers, "validation_error")


def test_the_booking_window_turns_at_shanghai_midnight_not_utc(world):
    sh = world.store()
    skin = world.service(sh)
    _cid, token = world.member()
    clock.set_now(at(2026, 12, 6, 23, 59))  # Sunday night in Shanghai (15:59 UTC)
    assert_error(world.book(token, sh, skin, at(2026, 12, 14, 10, 0), expect=None), "outside_booking_window")
    clock.set_now(at(2026, 12, 7, 0, 0))  # Monday in Shanghai, still Sunday 16:00 UTC
    world.book(token, sh, skin, at(2026, 12, 14, 10, 0))


def test_weekday_hours_follow_the_shanghai_week(world):
    sh = world.store(hours=[{"weekday": 7, "opens": "10:00", "closes": "11:00"},
                            {"weekday": 1, "opens": "18:00", "closes": "19:00"}])
    skin = world.service(sh, duration=60)
    clock.set_now(at(2026, 12, 5, 12, 0))
    _cid, token = world.member()
    assert [s["slot_start"] for s in world.slots(token, sh, skin, "2026-12-06")] == ["2026-12-06T10:00:00+08:00"]
    assert [s["slot_start"] for s in world.slots(token, sh, skin, "2026-12-07")] == ["2026-12-07T18:00:00+08:00"]
    # Monday 18:00 Shanghai is Monday 10:00 UTC; Sunday 10:00 Shanghai is Sunday 02:00 UTC
    world.book(token, sh, skin, "2026-12-07T10:00:00Z")
    world.book(token, sh, skin, "2026-12-06T02:00:00Z")
    assert_envelope(*world.book(token, sh, skin, "2026-12-07T02:00:00Z", expect=None), "validation_error")


# --- merges, the 360 view, the error catalogue --------------------------------------------------------------------


@pytest.mark.slow
def test_a_merged_customers_appointments_follow_the_survivor(world):
    sh = world.store()
    skin = world.service(sh)
    absorbed_id, token = world.member()
    _s, booked, _ = world.book(token, sh, skin, at(2026, 12, 8, 10, 0))
    _s, gone, _ = world.book(token, sh, skin, at(2026, 12, 8, 11, 0))
    world.call("POST", f"/v1/appointments/{gone['appointment_id']}/cancel", token)
    survivor_id = directory.create_customer(directory.Identity("wechat_mp", "wx", f"o-{absorbed_id}")).customer_id
    survivor_token = sessions.issue(sessions.member_principal(survivor_id))["access_token"]
    merges.merge(directory.load_customer(absorbed_id), directory.load_customer(survivor_id), reason="test")
    mine = world.call("GET", "/v1/me/appointments", survivor_token)[1]["items"]
    assert [a["appointment_id"] for a in mine] == [booked["appointment_id"]]
    # The absorbed customer's old token still reaches the appointment where it moved (tokens keep working).
    status, seen = world.api.call("GET", f"/v1/me/appointments/{booked['appointment_id']}", token=token)[:2]
    assert (status, seen["appointment_id"]) == (200, booked["appointment_id"])
    world.call("POST", f"/v1/appointments/{booked['appointment_id']}/cancel", token)
    assert taken(sh, skin, at(2026, 12, 8, 10, 0)) == 0
    assert world.call("GET", f"/v1/me/appointments/{booked['appointment_id']}", survivor_token)[1]["status"] == (
        "cancelled")


def test_the_agents_360_view_shows_upcoming_and_recent_appointments(world):
    sh = world.store()
    skin = world.service(sh)
    cid, token = world.member()
    _s, soon, _ = world.book(token, sh, skin, at(2026, 12, 8, 10, 0))
    _s, dropped, _ = world.book(token, sh, skin, at(2026, 12, 8, 11, 0))
    world.call("POST", f"/v1/appointments/{dropped['appointment_id']}/cancel", token)
    status, view, _ = world.api.call("GET", f"/v1/agent/members/{cid}", token=world.agent)
    assert status == 200, view
    section = view["appointments"]
    assert [a["appointment_id"] for a in section["upcoming"]] == [soon["appointment_id"]]
    assert [a["appointment_id"] for a in section["recent"]] == [dropped["appointment_id"]]


def test_every_appointments_error_speaks_chinese_and_english():
    from chalicelib.appointments.errors import ERRORS

    for code, spec in ERRORS.items():
        assert CATALOGUE[code] == spec
        assert spec.zh and spec.en and spec.zh != spec.en and spec.status == 409


@pytest.mark.slow
def test_appointments_stay_out_of_the_members_bounded_read_and_their_held_slots_follow_every_change(world):
    """Twelve bookings, cancels, moves and a check-in: the member's one bounded Query holds the booking state alone
    (no appointment), and the overlap check still sees exactly the booked ones."""
    from chalicelib.identity import member

    sh = world.store()
    skin = world.service(sh, cap=5)
    cid, token = world.member()
    ids = [world.book(token, sh, skin, at(2026, 12, 8, 10 + h, 0))[1]["appointment_id"] for h in range(6)]
    for apt in ids[:2]:
        world.call("POST", f"/v1/appointments/{apt}/cancel", token)
    moved_to = {"slot_start": at(2026, 12, 9, 10, 0).isoformat()}
    world.call("POST", f"/v1/appointments/{ids[2]}/reschedule", token, moved_to)
    read = member.query(cid, consistent=True)
    kinds = sorted({raw["sk"]["S"].split("#")[1] for raw in read.items})
    assert "APPT" not in kinds and "APPTSTATE" in kinds, kinds
    # the cancelled slot is free again for this member; a booked one (and the moved one's new slot) is not
    world.book(token, sh, skin, at(2026, 12, 8, 10, 0))
    assert_error(world.book(token, sh, skin, at(2026, 12, 8, 13, 0), expect=None), "already_booked")
    assert_error(world.book(token, sh, skin, at(2026, 12, 9, 10, 0), expect=None), "already_booked")
    world.book(token, sh, skin, at(2026, 12, 8, 12, 0))  # the moved one's old slot
    mine = world.call("GET", "/v1/me/appointments?limit=50", token)[1]["items"]
    assert len(mine) == 8 and sum(a["status"] == "cancelled" for a in mine) == 2
