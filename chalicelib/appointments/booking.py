"""Booking an appointment: the member's own and the hotline's on their behalf (cancelling and moving: ``changing``).

Booking (``POST /v1/appointments``, Idempotency-Key; the hotline's ``POST /v1/agent/members/{id}/appointments``)
    Two DynamoDB calls whatever the bookings, idempotency included (the catalogue is cached, see ``catalogue``):

    0. one consistent GetItem of the idempotency record of this key: a replay is answered here, after one call;
    1. one strongly consistent Query of the member's bounded ``M#`` items: profile and points state (the tier held
       today), the booking state ``M#APPTSTATE`` (version, suspension, and the slots of the member's booked
       appointments, for the overlap check);
    2. one TransactWriteItems: the slot's seat counter (``core.capacity``: ``taken < capacity``, and the
       unreserved share for members without priority until the release), the appointment, the booking state
       (conditioned on the version read: two racing bookings of one member cannot both pass the overlap check),
       the idempotency record (conditioned on its absence) and the member's notification.

    A cancelled transaction is decided again: the seat's condition is 409 ``slot_full``; the member's state raced:
    read again and decide again (the overlap may now be ``already_booked``); another request with the key won:
    its answer is replayed.

Times are answered in the store's time zone with their offset (``+08:00``); days are store-local.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.appointments import catalogue, rules
from chalicelib.appointments.member_state import booking_state, held_slots, holding, state_put, suspended
from chalicelib.appointments.models import (
    APPOINTMENT_PREFIX,
    ID_INDEX_PREFIX,
    QUEUE_PREFIX,
    AppointmentItem,
    BookingStateItem,
)
from chalicelib.appointments.reading import notice_data, view
from chalicelib.appointments.rules import Service, SlotTime, Store
from chalicelib.core import capacity, clock, idempotency, notifications, results
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.points import public as points

BOOK_SCOPE = "POST /v1/appointments"
HOTLINE_SCOPE = "POST /v1/agent/members/{customer_id}/appointments"
MAX_ATTEMPTS = 8


def take_seat(tx: Tx, store: Store, service: Service, slot: SlotTime, *, priority: bool, now: datetime) -> bool:
    """Take a seat of ``slot`` in ``tx`` (``core.capacity``: reserved seats for priority until they are released);
    409 ``slot_full`` when none is left. True when the seat was counted as an open one."""
    try:
        return capacity.take_in(
            tx, capacity.Slot(service.scope, slot.day, slot.key), capacity=service.capacity,
            reserved=service.reserved_seats, priority=priority, released=rules.released(store, slot, now))
    except capacity.NoSeat:
        raise AppError("slot_full") from None


def new_appointment_id() -> str:
    """``apt_`` + milliseconds (11 hex digits) + randomness: IDs sort by booking time."""
    ms = int(clock.now().timestamp() * 1000)
    return f"apt_{ms:011x}{secrets.token_hex(5)}"


@dataclass(frozen=True)
class Agent:
    """Who books on the member's behalf (the hotline), and why a rule was overridden, if one was."""

    staff_id: str
    override_reason: str | None = None


# --- checks shared by booking and moving ---------------------------------------------------------------------------


def slot_of(store: Store, service: Service, slot_start: datetime, now: datetime) -> SlotTime:
    """The slot, or 400 ``validation_error`` naming ``slot_start``: past, off the grid, outside opening hours."""
    at = rules.local(slot_start)
    if at.date() in store.closed_dates:
        raise _bad_slot("the store is closed that day")
    slot = rules.find_slot(store, service, slot_start)
    if slot is None:
        raise _bad_slot("is not a slot of this service (off the grid or outside opening hours)")
    if slot.start <= now:
        raise _bad_slot("is in the past")
    return slot


def _bad_slot(issue: str) -> AppError:
    return AppError("validation_error", details=[{"field": "slot_start", "issue": issue}])


def window_overrides(store: Store, service: Service, tier: str, slot: SlotTime, now: datetime,
                      agent: Agent | None) -> list[dict[str, Any]]:
    """409 ``outside_booking_window`` beyond the tier's window, unless an agent overrides it with a reason (the
    override is returned, to be recorded on the appointment)."""
    days = rules.booking_days(store, service, tier)
    if rules.within_window(slot, now, days):
        return []
    if agent is None or not agent.override_reason:
        raise AppError("outside_booking_window", details=[
            {"field": "slot_start", "issue": f"tier {tier} books up to {days} days ahead"}])
    return [{"rule": "booking_window", "by": agent.staff_id, "reason": agent.override_reason, "at": clock.iso(now),
             "limit_days": days}]


# --- booking -------------------------------------------------------------------------------------------------------


def book(customer_id: str, store_id: str, service_id: str, slot_start: datetime, idempotency_key: str | None,
         channel: str | None = None) -> Result:
    """``POST /v1/appointments``: the member's own booking (refused while self-service booking is suspended)."""
    return _book(customer_id, store_id, service_id, slot_start, idempotency_key, channel, None, _refuse_if_suspended)


def book_for(customer_id: str, store_id: str, service_id: str, slot_start: datetime, idempotency_key: str | None,
             agent: Agent) -> Result:
    """The hotline's booking on a member's behalf: a suspension does not apply, tier windows may be overridden."""
    return _book(customer_id, store_id, service_id, slot_start, idempotency_key, "hotline", agent, None)


def _refuse_if_suspended(state: BookingStateItem | None, now: datetime) -> None:
    if suspended(state, now):
        raise AppError("booking_suspended")


def _book(customer_id: str, store_id: str, service_id: str, slot_start: datetime, idempotency_key: str | None,
          channel: str | None, agent: Agent | None,
          gate: Callable[[BookingStateItem | None, datetime], None] | None) -> Result:
    """A booking (the member's own, or the hotline's with ``agent``): created, or the first answer replayed.

    409 ``slot_full`` / ``already_booked`` / ``outside_booking_window`` / ``booking_suspended``, 403
    ``tier_not_eligible``, 400 ``validation_error`` for a slot that is not one, 404 for an unknown store/service.
    """
    store, service = catalogue.service(store_id, service_id)
    payload: dict[str, Any] = {"store_id": store_id, "service_id": service_id, "slot_start": slot_start.isoformat()}
    if agent is not None:
        payload |= {"customer_id": customer_id, "override_reason": agent.override_reason}
    scope = BOOK_SCOPE if agent is None else f"{HOTLINE_SCOPE} by {agent.staff_id}"
    appointment_id = new_appointment_id()
    req = idempotency.request(keys.customer_pk(customer_id), scope, idempotency_key, payload)
    stored = idempotency.get(req)  # one GetItem: a replay is answered here
    if stored is not None:
        return idempotency.replay_response(stored)
    def once(_attempt: int) -> Result:
        nonlocal appointment_id, req, stored
        items = points.load_member(customer_id, consistent=True)
        if items.deletion_pending:
            raise AppError("deletion_pending")
        cid = items.customer_id
        req, stored = idempotency.owner_moved(req, keys.customer_pk(cid), items.others)
        if stored is not None:
            return idempotency.replay_response(stored)
        now = clock.now()
        slot = slot_of(store, service, slot_start, now)
        tier = points.held_tier(items, business_day(now)).code
        if not service.admits(tier):
            raise AppError("tier_not_eligible")
        state = booking_state(items)
        if gate is not None:
            gate(state, now)
        overrides = window_overrides(store, service, tier, slot, now, agent)
        clash = rules.first_overlap(slot, held_slots(items))
        if clash is not None:
            raise AppError("already_booked", details=[{"field": "slot_start", "issue": f"overlaps {clash}"}])
        priority = agent is not None or tier in store.priority_tiers
        tx = Tx()
        counted_open = take_seat(tx, store, service, slot, priority=priority, now=now)
        at = clock.iso(now)
        item = AppointmentItem(
            pk=keys.customer_pk(cid), sk=f"{APPOINTMENT_PREFIX}{appointment_id}", appointment_id=appointment_id,
            customer_id=cid, store_id=store.store_id, service_id=service.service_id,
            slot_start=slot.start.isoformat(), slot_end=slot.end.isoformat(), day=slot.day.isoformat(),
            slot_key=slot.key, status="booked", channel="hotline" if agent else (channel or "app"),
            priority=priority, counted_open=counted_open, booked_by=agent.staff_id if agent else None,
            overrides=overrides or None, created_at=at, updated_at=at,
            gsi1pk=f"{QUEUE_PREFIX}{store.store_id}#{slot.day.isoformat()}",
            gsi1sk=f"{slot.start.isoformat()}#{appointment_id}",
            gsi2pk=f"{ID_INDEX_PREFIX}{appointment_id}", gsi2sk="APPT",
        )
        body = view(item)
        tx.put("appointment", item, AppointmentItem.pk.does_not_exist())
        state_put(tx, item.pk, state, held=holding(state, item, now=now))
        idempotency.record_in(tx, req, "created", body)
        notifications.put_in(tx, cid, "appointment_booked", notice_data(item, store, service))
        try:
            tx.commit()
        except TxCancelled as exc:
            if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
                return replayed
            if capacity.LABEL in exc.failed:
                raise AppError("slot_full") from None
            if exc.failed - {"member", "appointment"}:
                raise
            if "appointment" in exc.failed:
                appointment_id = new_appointment_id()
            raise retry.Again from None  # the member's state raced (or a conflict): read again, decide again
        logger.info("appointment booked", extra={"customer_id": cid, "appointment_id": appointment_id,
                                                 "store_id": store_id, "service_id": service_id,
                                                 "slot_start": item.slot_start, "priority": priority,
                                                 "overrides": len(overrides)})
        return results.created(body)
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="appointment booking", customer_id=customer_id)
