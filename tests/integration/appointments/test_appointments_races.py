"""Races for seats over real HTTP against two worker processes (gunicorn, DynamoDB Local): the last seats of a slot
go to exactly as many members as there are seats; one member tapping "book" with one key books once; two members
moving into one last seat: one wins, the other keeps the old booking; cancel-and-rebook storms. After every race the
seat counter equals the number of booked appointments.

The worker processes keep their own clock: these tests book tomorrow (Shanghai), in real time."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from chalicelib.appointments import booking, catalogue, reading
from chalicelib.core import capacity, clock
from chalicelib.core.calendar import SHANGHAI, business_day
from chalicelib.identity import directory, sessions
from tests.support.http import Http, serve_app_processes
from tests.support.phones import new_phone
from tests.support.threads import run_all

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    clock.set_now(None)
    catalogue.reset_cache()
    with serve_app_processes(workers=2, timeout=120) as server:
        try:
            yield server
        finally:
            catalogue.reset_cache()


def tomorrow() -> date:
    return business_day(clock.now()) + timedelta(days=1)


def slot_at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(tomorrow(), time(hour, minute), SHANGHAI)


def service(cap: int) -> tuple[str, str]:
    store_id = catalogue.create_store({"name": "抢位店", "city": "上海", "address": "x", "opening_hours": EVERY_DAY},
                                      "test")
    service_id = catalogue.create_service(store_id, {"name": "抢位", "duration_minutes": 30, "capacity": cap}, "test")
    return store_id, service_id


def member() -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def book(http: Http, auth: dict[str, str], store_id: str, service_id: str, start: datetime,
         key: str | None = None) -> tuple[int, Any, dict[str, str]]:
    return http.call_with_headers("POST", "/v1/appointments",
                                  {"store_id": store_id, "service_id": service_id, "slot_start": start.isoformat()},
                                  {**auth, "idempotency-key": key or uuid.uuid4().hex})


def taken(store_id: str, service_id: str, start: datetime) -> int:
    slot = capacity.Slot(f"APPT#{store_id}#{service_id}", start.date(), start.strftime("%H%M"))
    return capacity.read_slot(slot).taken


def booked_at(customers: list[str], start: datetime) -> int:
    """Booked appointments at ``start`` over these customers (each customer's own consistent Query)."""
    return sum(1 for cid in customers for a in reading.my_appointments(cid, 100, None)["items"]
               if a["status"] == "booked" and a["slot_start"] == start.isoformat())


def test_members_racing_for_the_last_seats_get_exactly_the_free_seats(http: Http):
    store_id, service_id = service(cap=6)
    start = slot_at(15)
    early = [member() for _ in range(2)]
    for cid, _auth in early:
        booking.book(cid, store_id, service_id, start, uuid.uuid4().hex)
    people = [member() for _ in range(30)]
    results = run_all([(lambda auth=auth: book(http, auth, store_id, service_id, start)) for _cid, auth in people])
    statuses = Counter(status for status, _b, _h in results)
    assert statuses == {201: 4, 409: 26}, [r[:2] for r in results if r[0] not in (201, 409)]
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"slot_full"}
    everyone = [cid for cid, _ in early + people]
    assert taken(store_id, service_id, start) == booked_at(everyone, start) == 6


def test_one_member_tapping_book_with_one_key_books_once(http: Http):
    store_id, service_id = service(cap=10)
    start = slot_at(16)
    cid, auth = member()
    key = uuid.uuid4().hex
    results = run_all([(lambda: book(http, auth, store_id, service_id, start, key=key)) for _ in range(16)])
    assert {s for s, _b, _h in results} == {201}, [r[:2] for r in results]
    assert len({json.dumps(b, sort_keys=True) for _s, b, _h in results}) == 1
    replayed = [h.get("Idempotent-Replayed") for _s, _b, h in results]
    assert replayed.count(None) == 1 and replayed.count("true") == 15
    assert taken(store_id, service_id, start) == booked_at([cid], start) == 1


def test_one_member_racing_overlapping_bookings_with_different_keys_holds_one(http: Http):
    store_id, service_id = service(cap=10)
    cid, auth = member()
    results = run_all([(lambda: book(http, auth, store_id, service_id, slot_at(17))) for _ in range(12)])
    statuses = Counter(status for status, _b, _h in results)
    assert statuses == {201: 1, 409: 11}, [r[:2] for r in results]
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"already_booked"}
    assert taken(store_id, service_id, slot_at(17)) == booked_at([cid], slot_at(17)) == 1


def test_two_members_moving_into_one_last_seat_one_wins_the_other_keeps_their_booking(http: Http):
    for _round in range(4):
        store_id, service_id = service(cap=1)
        target, olds = slot_at(15), (slot_at(18), slot_at(18, 30))
        people = [member() for _ in range(2)]
        cids = [cid for cid, _ in people]
        booked = [booking.book(cid, store_id, service_id, old, uuid.uuid4().hex).body
                  for cid, old in zip(cids, olds, strict=True)]
        move = {"slot_start": target.isoformat()}
        results = run_all([
            (lambda auth=auth, aid=body["appointment_id"], move=move: http.call_with_headers(
                "POST", f"/v1/appointments/{aid}/reschedule", move, auth))
            for (_cid, auth), body in zip(people, booked, strict=True)])
        assert sorted(s for s, _b, _h in results) == [200, 409], [r[:2] for r in results]
        loser = next(i for i, (s, _b, _h) in enumerate(results) if s == 409)
        assert results[loser][1]["error"]["code"] == "slot_full"
        kept = reading.get_mine(cids[loser], booked[loser]["appointment_id"])
        assert kept["slot_start"] == olds[loser].isoformat() and kept["status"] == "booked"
        assert results[1 - loser][1]["slot_start"] == target.isoformat()
        assert taken(store_id, service_id, target) == booked_at(cids, target) == 1
        assert taken(store_id, service_id, olds[loser]) == booked_at(cids, olds[loser]) == 1
        assert taken(store_id, service_id, olds[1 - loser]) == booked_at(cids, olds[1 - loser]) == 0


def test_cancel_and_rebook_storms_leave_taken_equal_to_the_bookings(http: Http):
    store_id, service_id = service(cap=3)
    start = slot_at(12)
    holders = [member() for _ in range(3)]
    held = [booking.book(cid, store_id, service_id, start, uuid.uuid4().hex).body for cid, _ in holders]
    newcomers = [member() for _ in range(12)]
    calls: list[Callable[[], Any]] = [
        (lambda auth=auth, aid=body["appointment_id"]: http.call_with_headers(
            "POST", f"/v1/appointments/{aid}/cancel", None, auth))
        for (_cid, auth), body in zip(holders, held, strict=True)]
    calls += [(lambda auth=auth: book(http, auth, store_id, service_id, start)) for _cid, auth in newcomers]
    calls += [(lambda auth=auth, aid=body["appointment_id"]: http.call_with_headers(  # a cancel tapped twice
        "POST", f"/v1/appointments/{aid}/cancel", None, auth))
        for (_cid, auth), body in zip(holders, held, strict=True)]
    results = run_all(calls)
    assert {s for s, _b, _h in results} <= {200, 201, 409}, [r[:2] for r in results]
    assert all(s == 200 for s, _b, _h in results[:3] + results[-3:])
    everyone = [cid for cid, _ in holders + newcomers]
    booked = booked_at(everyone, start)
    assert taken(store_id, service_id, start) == booked <= 3
    assert booked == sum(1 for s, _b, _h in results if s == 201)
