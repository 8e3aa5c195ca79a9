"""A member changes a booking: cancelling and moving (rescheduling) an appointment.

Cancelling (``POST /v1/appointments/{id}/cancel``)
    One GetItem and one TransactWriteItems: the appointment (conditioned on ``status = booked``) and its seat freed
    (``taken > 0``), so the seat is free at once. Past the store's cut-off: 409 ``too_late_to_cancel``.

Moving (``POST /v1/appointments/{id}/reschedule``)
    The member's one Query, a GetItem of the appointment and one TransactWriteItems that takes the new seat and
    frees the old: if the new slot is full, the transaction is cancelled and the old booking stays exactly as it was.

The same checks as booking (``booking.slot_of``, ``booking.window_overrides``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.appointments import catalogue, rules
from chalicelib.appointments.booking import MAX_ATTEMPTS, slot_of, take_seat, window_overrides
from chalicelib.appointments.member_state import (
    booking_state,
    held_slots,
    holding,
    old_layout_appointments,
    release_in,
    state_put,
    time_of,
)
from chalicelib.appointments.models import APPOINTMENT_PREFIX, QUEUE_PREFIX, AppointmentItem
from chalicelib.appointments.reading import appointment_of, view
from chalicelib.core import capacity, clock
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.points import public as points


def slot_counter(item: AppointmentItem) -> capacity.Slot:
    return capacity.Slot(f"APPT#{item.store_id}#{item.service_id}", date.fromisoformat(item.day), item.slot_key)


def cancel(customer_id: str, appointment_id: str) -> dict[str, Any]:
    """``POST /v1/appointments/{id}/cancel``: the appointment cancelled and its seat freed in one transaction.

    Cancelling a cancelled appointment answers the same again; 409 ``too_late_to_cancel`` past the cut-off,
    ``appointment_not_active`` once checked in."""
    def once(_attempt: int) -> dict[str, Any]:
        item = appointment_of(customer_id, appointment_id)
        if item.status == "cancelled":
            return {"appointment_id": item.appointment_id, "status": "cancelled", "cancelled_at": item.cancelled_at}
        if item.status != "booked":
            raise AppError("appointment_not_active")
        store = catalogue.store(item.store_id)
        now = clock.now()
        if not rules.cancellable(store, time_of(item.slot_start), now):
            raise AppError("too_late_to_cancel", details=[
                {"field": "appointment_id", "issue": f"cancel up to {store.cancel_cutoff_minutes} minutes before"}])
        at = clock.iso(now)
        tx = Tx()
        tx.update("appointment", item, [AppointmentItem.status.set("cancelled"), AppointmentItem.cancelled_at.set(at),
                                        AppointmentItem.updated_at.set(at)], AppointmentItem.status == "booked")
        capacity.free_in(tx, slot_counter(item), counted_open=bool(item.counted_open))
        release_in(tx, item)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed - {"appointment"}:
                raise
            raise retry.Again from None  # cancelled or checked in meanwhile: read again
        logger.info("appointment cancelled", extra={"customer_id": customer_id, "appointment_id": appointment_id})
        return {"appointment_id": appointment_id, "status": "cancelled", "cancelled_at": at}
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="appointment cancel", customer_id=customer_id)


def reschedule(customer_id: str, appointment_id: str, slot_start: datetime) -> dict[str, Any]:
    """``POST /v1/appointments/{id}/reschedule``: the new seat taken and the old one freed in one transaction; 409
    ``slot_full`` leaves the old booking as it was. The same checks as booking (window, overlap with the member's
    other appointments, the slot grid), and the cancel cut-off of the old slot."""
    def once(_attempt: int) -> dict[str, Any]:
        items = points.load_member(customer_id, consistent=True)
        current = next((a for a in old_layout_appointments(items) if a.appointment_id == appointment_id), None)
        if current is None:
            current = appointment_of(items.customer_id, appointment_id)
            if current.customer_id != items.customer_id:
                raise AppError("not_found")
        if current.status != "booked":
            raise AppError("appointment_not_active")
        store, service = catalogue.service(current.store_id, current.service_id)
        now = clock.now()
        slot = slot_of(store, service, slot_start, now)
        if slot.start == time_of(current.slot_start):
            return view(current)
        if not rules.cancellable(store, time_of(current.slot_start), now):
            raise AppError("too_late_to_cancel", details=[
                {"field": "appointment_id", "issue": f"move up to {store.cancel_cutoff_minutes} minutes before"}])
        tier = points.held_tier(items, business_day(now)).code
        window_overrides(store, service, tier, slot, now, None)
        clash = rules.first_overlap(slot, held_slots(items, except_id=appointment_id))
        if clash is not None:
            raise AppError("already_booked", details=[{"field": "slot_start", "issue": f"overlaps {clash}"}])
        priority = bool(current.priority) or tier in store.priority_tiers
        tx = Tx()
        counted_open = take_seat(tx, store, service, slot, priority=priority, now=now)
        capacity.free_in(tx, slot_counter(current), counted_open=bool(current.counted_open))
        old_start = current.slot_start
        at = clock.iso(now)
        moved = AppointmentItem.from_raw_data(current.serialize())  # a copy, then the new slot
        moved.slot_start, moved.slot_end = slot.start.isoformat(), slot.end.isoformat()
        moved.day, moved.slot_key, moved.counted_open, moved.updated_at = (
            slot.day.isoformat(), slot.key, counted_open, at)
        moved.priority = priority
        moved.gsi1pk = f"{QUEUE_PREFIX}{store.store_id}#{slot.day.isoformat()}"
        moved.gsi1sk = f"{slot.start.isoformat()}#{appointment_id}"
        tx.put("appointment", moved, (AppointmentItem.status == "booked") & (AppointmentItem.slot_start == old_start))
        state = booking_state(items)
        if moved.sk.startswith(APPOINTMENT_PREFIX):
            state_put(tx, current.pk, state, held=holding(state, moved, now=now))
        else:
            state_put(tx, current.pk, state)
        try:
            tx.commit()
        except TxCancelled as exc:
            if capacity.LABEL in exc.failed:
                raise AppError("slot_full") from None
            if exc.failed - {"member", "appointment"}:
                raise
            raise retry.Again from None
        logger.info("appointment moved", extra={"customer_id": items.customer_id, "appointment_id": appointment_id,
                                                "from": old_start, "to": moved.slot_start})
        return view(moved)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="appointment reschedule", customer_id=customer_id)
