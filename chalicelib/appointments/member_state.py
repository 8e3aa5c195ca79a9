"""The member's booking state (``CUST#<id>`` / ``M#APPTSTATE``, in the member's bounded read): a version (every
booking and move bumps it, conditioned on the one read, so two racing bookings of one member cannot both pass the
overlap check), the held slots of the booked appointments still ahead (what the overlap check reads), no-shows and a
suspension. Appointments themselves are ``H#APPT#<id>`` (they grow with the years: outside the member's bounded
read); the old layout's, still under ``M#`` until the migration moves them, are read here too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.appointments.models import (
    APPOINTMENT_PREFIX,
    OLD_APPOINTMENT_PREFIX,
    STATE_SK,
    AppointmentItem,
    BookingStateItem,
)
from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx
from chalicelib.points.public import MemberItems


def old_layout_appointments(items: MemberItems) -> list[AppointmentItem]:
    """The old layout's appointments (under ``M#``, until the migration moved them)."""
    return [AppointmentItem.from_raw_data(raw) for raw in items.others
            if raw["sk"]["S"].startswith(OLD_APPOINTMENT_PREFIX)]


def booking_state(items: MemberItems) -> BookingStateItem | None:
    raw = next((r for r in items.others if r["sk"]["S"] == STATE_SK), None)
    return BookingStateItem.from_raw_data(raw) if raw is not None else None


def time_of(value: str) -> datetime:
    return datetime.fromisoformat(value)


def held_slots(items: MemberItems, except_id: str | None = None) -> list[tuple[datetime, datetime, str]]:
    """The slots of the member's booked appointments: the booking state's, and the old layout's."""
    state = booking_state(items)
    held = [(time_of(v["s"]), time_of(v["e"]), k) for k, v in _held_map(state).items() if k != except_id]
    return held + [(time_of(a.slot_start), time_of(a.slot_end), a.appointment_id)
                   for a in old_layout_appointments(items) if a.status == "booked" and a.appointment_id != except_id]


def _held_map(state: BookingStateItem | None) -> dict[str, dict[str, str]]:
    return {str(k): dict(v) for k, v in (state.held.as_dict() if state is not None and state.held else {}).items()}


def holding(state: BookingStateItem | None, item: AppointmentItem | None = None, *, drop: str | None = None,
            now: datetime | None = None) -> dict[str, dict[str, str]]:
    """The booking state's held slots with ``item`` held (or ``drop`` dropped), those already ended left out: at most
    the booked appointments still ahead, within the booking window."""
    moment = now or clock.now()
    held = {k: v for k, v in _held_map(state).items() if k != drop and time_of(v["e"]) > moment}
    if item is not None:
        held[item.appointment_id] = {"s": item.slot_start, "e": item.slot_end}
    return held


def release_in(tx: Tx, item: AppointmentItem) -> None:
    """Drop ``item`` from its member's held slots (cancelled, checked in), bumping the state's version so a booking
    decided on the slots read cannot commit; no read needed. The old layout's appointments are not held there."""
    if item.sk.startswith(APPOINTMENT_PREFIX):
        tx.update("held", BookingStateItem(pk=item.pk, sk=STATE_SK),
                  [BookingStateItem.held[item.appointment_id].remove(), BookingStateItem.ver.add(1)],
                  BookingStateItem.held.exists())


def suspended(state: BookingStateItem | None, now: datetime) -> bool:
    return bool(state and state.suspended_until and time_of(state.suspended_until) > now)


def state_put(tx: Tx, pk: str, state: BookingStateItem | None, **fields: Any) -> None:
    """Put the member's booking state with ``fields`` changed and its version bumped, conditioned on the version
    read (absent: must still be absent)."""
    ver = int(state.ver or 0) if state is not None else 0
    item = BookingStateItem.from_raw_data(state.serialize()) if state is not None else BookingStateItem(pk=pk,
                                                                                                       sk=STATE_SK)
    item.ver = ver + 1
    item.held = holding(state)  # always there (release_in removes from it)
    for name, value in fields.items():
        setattr(item, name, value)
    condition = BookingStateItem.ver == ver if state is not None else BookingStateItem.pk.does_not_exist()
    tx.put("member", item, condition)
