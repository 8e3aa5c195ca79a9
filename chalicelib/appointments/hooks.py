"""The area's hooks in the manifest: the member-partition migration's seed, merges (booked appointments follow
the survivor) and the 360 view's section."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.appointments.member_state import holding, state_put, time_of
from chalicelib.appointments.models import (
    APPOINTMENT_PREFIX,
    OLD_APPOINTMENT_PREFIX,
    STATE_SK,
    AppointmentItem,
    BookingStateItem,
)
from chalicelib.appointments.reading import view
from chalicelib.core import clock
from chalicelib.core.area import Section360
from chalicelib.core.dynamo import keys, member_layout
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity.public import CustomerItem

RECENT_360 = 20


def migrate_seed(customer_id: str, raw: dict[str, Any]) -> list[Any]:
    """``Area.migrate_seed``: an old-layout appointment still booked and ahead joins the member's held slots as it
    moves (the booking state put on condition of the version read: a booking in between makes the job read again)."""
    if not raw["sk"]["S"].startswith(OLD_APPOINTMENT_PREFIX):
        return []
    item = AppointmentItem.from_raw_data(raw)
    if item.status != "booked" or time_of(item.slot_end) <= clock.now():
        return []
    try:
        state: BookingStateItem | None = BookingStateItem.get(item.pk, STATE_SK, consistent_read=True)
    except BookingStateItem.DoesNotExist:
        state = None
    new = BookingStateItem.from_raw_data(state.serialize()) if state is not None else BookingStateItem(
        pk=item.pk, sk=STATE_SK)
    ver = int(state.ver or 0) if state is not None else 0
    new.ver = ver + 1
    moved = AppointmentItem.from_raw_data({**raw, "sk": {"S": member_layout.history_key(raw["sk"]["S"])}})
    new.held = holding(state, moved)
    return [(new, BookingStateItem.ver == ver if state is not None else BookingStateItem.pk.does_not_exist())]


MAX_MERGED = 20  # booked appointments moved in the merge transaction (shared with every other area's items)


def merge(tx: Tx, absorbed: CustomerItem, survivor: CustomerItem) -> None:
    """``Area.merge``: the absorbed customer's booked appointments (the newest ``MAX_MERGED``) move to the survivor
    (same IDs, same seats) and join its held slots, in the merge transaction; cancelled and past ones stay with the
    absorbed customer's history."""
    raw = member_layout.newest(absorbed.customer_id, APPOINTMENT_PREFIX, 100, consistent=True)
    booked = [i for i in (AppointmentItem.from_raw_data(r) for r in raw) if i.status == "booked"][:MAX_MERGED]
    if not booked:
        return
    pk = keys.customer_pk(survivor.customer_id)
    try:
        state: BookingStateItem | None = BookingStateItem.get(pk, STATE_SK, consistent_read=True)
    except BookingStateItem.DoesNotExist:
        state = None
    held = holding(state)
    for n, item in enumerate(booked):
        moved = AppointmentItem.from_raw_data(item.serialize())
        moved.pk, moved.sk, moved.customer_id = pk, f"{APPOINTMENT_PREFIX}{item.appointment_id}", survivor.customer_id
        tx.delete(f"appointment_out:{n}", item, AppointmentItem.status == "booked")
        tx.put(f"appointment_in:{n}", moved, AppointmentItem.pk.does_not_exist())
        held[item.appointment_id] = {"s": item.slot_start, "e": item.slot_end}
    state_put(tx, pk, state, held=held)


def _render_360(raw: list[dict[str, Any]], _member: Any, now: datetime) -> dict[str, Any]:
    found = [AppointmentItem.from_raw_data(r) for r in raw]
    moment = now if isinstance(now, datetime) else clock.now()
    upcoming = sorted((i for i in found if i.status == "booked" and time_of(i.slot_end) > moment),
                      key=lambda i: i.slot_start)
    recent = [i for i in found if i not in upcoming][:5]
    return {"appointments": {"upcoming": [view(i) for i in upcoming], "recent": [view(i) for i in recent]}}


member_360 = Section360(
    read=lambda customer_id: member_layout.newest(customer_id, APPOINTMENT_PREFIX, RECENT_360),
    render=_render_360,
    keys="chalicelib.appointments.http.member_schemas:Member360Appointments",
)
