"""Store appointments (issue 10): DynamoDB calls and capacity of a booking, its replay, a cancel, a reschedule and
the slot listing (``APPOINTMENT_SCENARIOS``, ``python -m bench --only appointments``).

Every scenario books tomorrow (Shanghai, real time) at a fresh store and service, so runs never share a seat. The
slot listing is measured on a day with 30 bookings already made, to show it does not grow with them.
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from typing import Any

from bench.endpoints import Request, Scenario, Session

EVERY_DAY = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]


def _tomorrow_at(hour: int, minute: int = 0) -> datetime:
    from chalicelib.core import clock
    from chalicelib.core.calendar import SHANGHAI, business_day

    return datetime.combine(business_day(clock.now()) + timedelta(days=1), time(hour, minute), SHANGHAI)


def _service(capacity: int = 40) -> tuple[str, str]:
    from chalicelib.appointments import catalogue

    store_id = catalogue.create_store({"name": "bench", "city": "上海", "address": "bench road",
                                       "opening_hours": EVERY_DAY}, "bench")
    service_id = catalogue.create_service(store_id, {"name": "bench", "duration_minutes": 30,
                                                     "capacity": capacity}, "bench")
    return store_id, service_id


def _book_request(st: dict[str, Any], start: datetime) -> Request:
    return Request("POST", "/v1/appointments",
                   {"store_id": st["store_id"], "service_id": st["service_id"], "slot_start": start.isoformat()},
                   token=st["token"], headers={"idempotency-key": st["key"]})


def _setup(s: Session) -> dict[str, Any]:
    store_id, service_id = _service()
    member = s.member()
    st = {"store_id": store_id, "service_id": service_id, "token": member["access_token"],
          "key": secrets.token_hex(8)}
    warm = {**st, "key": secrets.token_hex(8)}
    s.ok(_book_request(warm, _tomorrow_at(19, 30)), 201)  # the catalogue and the member's state exist, as usual
    return st


def _book(s: Session, st: dict[str, Any]) -> Request:
    return _book_request(st, _tomorrow_at(15))


def _replay_setup(s: Session) -> dict[str, Any]:
    st = _setup(s)
    s.ok(_book(s, st), 201)
    return st


def _booked_setup(s: Session) -> dict[str, Any]:
    st = _setup(s)
    st["appointment_id"] = s.ok(_book(s, st), 201)["appointment_id"]
    return st


def _cancel(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/appointments/{st['appointment_id']}/cancel", token=st["token"])


def _reschedule(s: Session, st: dict[str, Any]) -> Request:
    return Request("POST", f"/v1/appointments/{st['appointment_id']}/reschedule",
                   {"slot_start": _tomorrow_at(16).isoformat()}, token=st["token"])


def _busy_day_setup(s: Session) -> dict[str, Any]:
    from chalicelib.appointments import booking

    st = _setup(s)
    for n in range(30):
        cid = s.member()["customer_id"]
        booking.book(cid, st["store_id"], st["service_id"], _tomorrow_at(10 + n % 10, 30 * (n % 2)),
                     secrets.token_hex(8))
    return st


def _slots(s: Session, st: dict[str, Any]) -> Request:
    day = _tomorrow_at(10).date().isoformat()
    return Request("GET", f"/v1/stores/{st['store_id']}/slots?service_id={st['service_id']}&date={day}",
                   token=st["token"])


APPOINTMENT_SCENARIOS: list[Scenario] = [
    Scenario("POST /v1/appointments (book)", 3, _book, setup=_setup, expect=201, area="appointments",
             note="GetItem (idempotency record) + Query (member: tier, booking state with the held slots) + "
                  "TransactWriteItems (seat, appointment, booking state, idempotency record, notification)"),
    Scenario("POST /v1/appointments (replay)", 1, _book, setup=_replay_setup, expect=201, area="appointments",
             note="answered from the idempotency record's GetItem"),
    Scenario("POST /v1/appointments/{id}/cancel", 2, _cancel, setup=_booked_setup, area="appointments",
             note="GetItem (the appointment) + TransactWriteItems (appointment, seat freed, held slot released)"),
    Scenario("POST /v1/appointments/{id}/reschedule", 3, _reschedule, setup=_booked_setup, area="appointments",
             note="Query (member) + GetItem (the appointment: outside the bounded read) + TransactWriteItems (new "
                  "seat, old seat freed, appointment, booking state)"),
    Scenario("GET /v1/stores/{id}/slots (30 bookings that day)", 2, _slots, setup=_busy_day_setup,
             area="appointments", note="Query (member: tier) + Query (the day's seat counters); catalogue cached"),
]
