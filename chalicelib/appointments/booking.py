"""Booking, moving and cancelling appointments; a member's appointments; the till's check-in and the day's queue.

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

Cancelling (``POST /v1/appointments/{id}/cancel``)
    One GetItem and one TransactWriteItems: the appointment (conditioned on ``status = booked``) and its seat freed
    (``taken > 0``), so the seat is free at once. Past the store's cut-off: 409 ``too_late_to_cancel``.

Appointments themselves are ``H#APPT#<id>`` (they grow with the years: outside the member's bounded read).

Moving (``POST /v1/appointments/{id}/reschedule``)
    The member's one Query, a GetItem of the appointment and one TransactWriteItems that takes the new seat and
    frees the old: if the new slot is full, the transaction is cancelled and the old booking stays exactly as it was.

Times are answered in the store's time zone with their offset (``+08:00``); days are store-local.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.appointments import catalogue, rules
from chalicelib.appointments.models import (
    APPOINTMENT_PREFIX,
    ID_INDEX_PREFIX,
    OLD_APPOINTMENT_PREFIX,
    QUEUE_PREFIX,
    STATE_SK,
    AppointmentItem,
    BookingStateItem,
)
from chalicelib.appointments.rules import Service, SlotTime, Store
from chalicelib.core import capacity, clock, idempotency, notifications, results, services
from chalicelib.core.area import Section360
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, member_layout, retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.identity import public as identity
from chalicelib.identity.public import CustomerItem
from chalicelib.points import public as points
from chalicelib.points.public import MemberItems

BOOK_SCOPE = "POST /v1/appointments"
HOTLINE_SCOPE = "POST /v1/agent/members/{customer_id}/appointments"
MAX_ATTEMPTS = 8
ACTIVE = ("booked", "checked_in")
RECENT_360 = 20


def new_appointment_id() -> str:
    """``apt_`` + milliseconds (11 hex digits) + randomness: IDs sort by booking time."""
    ms = int(clock.now().timestamp() * 1000)
    return f"apt_{ms:011x}{secrets.token_hex(5)}"


@dataclass(frozen=True)
class Agent:
    """Who books on the member's behalf (the hotline), and why a rule was overridden, if one was."""

    staff_id: str
    override_reason: str | None = None


# --- reading the member's items ------------------------------------------------------------------------------------


def _appointments(items: MemberItems) -> list[AppointmentItem]:
    """The old layout's appointments (under ``M#``, until the migration moved them)."""
    return [AppointmentItem.from_raw_data(raw) for raw in items.others
            if raw["sk"]["S"].startswith(OLD_APPOINTMENT_PREFIX)]


def _state(items: MemberItems) -> BookingStateItem | None:
    raw = next((r for r in items.others if r["sk"]["S"] == STATE_SK), None)
    return BookingStateItem.from_raw_data(raw) if raw is not None else None


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _held(items: MemberItems, except_id: str | None = None) -> list[tuple[datetime, datetime, str]]:
    """The slots of the member's booked appointments: the booking state's, and the old layout's."""
    state = _state(items)
    held = [(_time(v["s"]), _time(v["e"]), k) for k, v in _held_map(state).items() if k != except_id]
    return held + [(_time(a.slot_start), _time(a.slot_end), a.appointment_id) for a in _appointments(items)
                   if a.status == "booked" and a.appointment_id != except_id]


def _held_map(state: BookingStateItem | None) -> dict[str, dict[str, str]]:
    return {str(k): dict(v) for k, v in (state.held.as_dict() if state is not None and state.held else {}).items()}


def holding(state: BookingStateItem | None, item: AppointmentItem | None = None, *, drop: str | None = None,
            now: datetime | None = None) -> dict[str, dict[str, str]]:
    """The booking state's held slots with ``item`` held (or ``drop`` dropped), those already ended left out: at most
    the booked appointments still ahead, within the booking window."""
    moment = now or clock.now()
    held = {k: v for k, v in _held_map(state).items() if k != drop and _time(v["e"]) > moment}
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


def view(item: AppointmentItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "appointment_id": item.appointment_id,
        "status": item.status,
        "store_id": item.store_id,
        "service_id": item.service_id,
        "slot_start": item.slot_start,
        "slot_end": item.slot_end,
        "channel": item.channel,
        "priority": bool(item.priority),
        "created_at": item.created_at,
    }
    try:
        store, service = catalogue.service(item.store_id, item.service_id)
    except AppError:
        pass
    else:
        out.update(store_name=store.name, store_address=store.address, service_name=service.name)
    if item.booked_by:
        out["booked_by"] = item.booked_by
    if item.overrides:
        out["overrides"] = list(item.overrides)
    if item.cancelled_at:
        out["cancelled_at"] = item.cancelled_at
    if item.checked_in_at:
        out["checked_in_at"] = item.checked_in_at
    return out


# --- checks shared by booking and moving ---------------------------------------------------------------------------


def _slot_of(store: Store, service: Service, slot_start: datetime, now: datetime) -> SlotTime:
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


def _suspended(state: BookingStateItem | None, now: datetime) -> bool:
    return bool(state and state.suspended_until and _time(state.suspended_until) > now)


def _window_overrides(store: Store, service: Service, tier: str, slot: SlotTime, now: datetime,
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


def notice_data(item: AppointmentItem, store: Store, service: Service) -> dict[str, Any]:
    start = rules.local(_time(item.slot_start))
    return {"appointment_id": item.appointment_id, "status": item.status, "store_id": item.store_id,
            "store_name": store.name, "store_address": store.address, "service_name": service.name,
            "date": start.date().isoformat(), "time": start.strftime("%H:%M"), "slot_start": item.slot_start}


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
    if _suspended(state, now):
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
    for _attempt in retry.attempts(MAX_ATTEMPTS):
        items = points.load_member(customer_id, consistent=True)
        if items.deletion_pending:
            raise AppError("deletion_pending")
        cid = items.customer_id
        req, stored = idempotency.owner_moved(req, keys.customer_pk(cid), items.others)
        if stored is not None:
            return idempotency.replay_response(stored)
        now = clock.now()
        slot = _slot_of(store, service, slot_start, now)
        tier = points.held_tier(items, business_day(now)).code
        if not service.admits(tier):
            raise AppError("tier_not_eligible")
        state = _state(items)
        if gate is not None:
            gate(state, now)
        overrides = _window_overrides(store, service, tier, slot, now, agent)
        clash = rules.first_overlap(slot, _held(items))
        if clash is not None:
            raise AppError("already_booked", details=[{"field": "slot_start", "issue": f"overlaps {clash}"}])
        priority = agent is not None or tier in store.priority_tiers
        tx = Tx()
        try:
            counted_open = capacity.take_in(
                tx, capacity.Slot(service.scope, slot.day, slot.key), capacity=service.capacity,
                reserved=service.reserved_seats, priority=priority, released=rules.released(store, slot, now))
        except capacity.NoSeat:
            raise AppError("slot_full") from None
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
            if idempotency.LABEL in exc.failed:
                return idempotency.replay_after_race(req)
            if capacity.LABEL in exc.failed:
                raise AppError("slot_full") from None
            if exc.failed - {"member", "appointment"}:
                raise
            if "appointment" in exc.failed:
                appointment_id = new_appointment_id()
            continue  # the member's state raced (or a conflict): read again, decide again
        logger.info("appointment booked", extra={"customer_id": cid, "appointment_id": appointment_id,
                                                 "store_id": store_id, "service_id": service_id,
                                                 "slot_start": item.slot_start, "priority": priority,
                                                 "overrides": len(overrides)})
        return results.created(body)
    retry.give_up("appointment booking", customer_id=customer_id)


# --- one appointment -----------------------------------------------------------------------------------------------


def _get(customer_id: str, appointment_id: str) -> AppointmentItem:
    """The member's appointment; a token of a customer merged away reaches the survivor's (where it moved)."""
    if not appointment_id.startswith("apt_") or len(appointment_id) > 64:
        raise AppError("not_found")
    sks = [f"{APPOINTMENT_PREFIX}{appointment_id}"]
    if member_layout.migrating():
        sks.append(member_layout.old_key(sks[0]))
    for sk in sks:
        try:
            return AppointmentItem.get(keys.customer_pk(customer_id), sk, consistent_read=True)
        except AppointmentItem.DoesNotExist:
            pass
    live = identity.load_customer(customer_id)
    if live is None or live.customer_id == customer_id:
        raise AppError("not_found")
    return _get(live.customer_id, appointment_id)


def get_mine(customer_id: str, appointment_id: str) -> dict[str, Any]:
    """``GET /v1/me/appointments/{id}``: another member's is 404."""
    return view(_get(customer_id, appointment_id))


def my_appointments(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest booking first: one Query on the ``H#APPT#`` prefix."""
    raw, next_cursor = member_layout.newest_page(customer_id, APPOINTMENT_PREFIX, limit, cursor, consistent=True)
    return {"items": [view(AppointmentItem.from_raw_data(r)) for r in raw], "next_cursor": next_cursor}


def _slot_counter(item: AppointmentItem) -> capacity.Slot:
    return capacity.Slot(f"APPT#{item.store_id}#{item.service_id}", date.fromisoformat(item.day), item.slot_key)


def cancel(customer_id: str, appointment_id: str) -> dict[str, Any]:
    """``POST /v1/appointments/{id}/cancel``: the appointment cancelled and its seat freed in one transaction.

    Cancelling a cancelled appointment answers the same again; 409 ``too_late_to_cancel`` past the cut-off,
    ``appointment_not_active`` once checked in."""
    for _attempt in retry.attempts(MAX_ATTEMPTS):
        item = _get(customer_id, appointment_id)
        if item.status == "cancelled":
            return {"appointment_id": item.appointment_id, "status": "cancelled", "cancelled_at": item.cancelled_at}
        if item.status != "booked":
            raise AppError("appointment_not_active")
        store = catalogue.store(item.store_id)
        now = clock.now()
        if not rules.cancellable(store, _time(item.slot_start), now):
            raise AppError("too_late_to_cancel", details=[
                {"field": "appointment_id", "issue": f"cancel up to {store.cancel_cutoff_minutes} minutes before"}])
        at = clock.iso(now)
        tx = Tx()
        tx.update("appointment", item, [AppointmentItem.status.set("cancelled"), AppointmentItem.cancelled_at.set(at),
                                        AppointmentItem.updated_at.set(at)], AppointmentItem.status == "booked")
        capacity.free_in(tx, _slot_counter(item), counted_open=bool(item.counted_open))
        release_in(tx, item)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed - {"appointment"}:
                raise
            continue  # cancelled or checked in meanwhile: read again
        logger.info("appointment cancelled", extra={"customer_id": customer_id, "appointment_id": appointment_id})
        return {"appointment_id": appointment_id, "status": "cancelled", "cancelled_at": at}
    retry.give_up("appointment cancel", customer_id=customer_id)


def reschedule(customer_id: str, appointment_id: str, slot_start: datetime) -> dict[str, Any]:
    """``POST /v1/appointments/{id}/reschedule``: the new seat taken and the old one freed in one transaction; 409
    ``slot_full`` leaves the old booking as it was. The same checks as booking (window, overlap with the member's
    other appointments, the slot grid), and the cancel cut-off of the old slot."""
    for _attempt in retry.attempts(MAX_ATTEMPTS):
        items = points.load_member(customer_id, consistent=True)
        current = next((a for a in _appointments(items) if a.appointment_id == appointment_id), None)
        if current is None:
            current = _get(items.customer_id, appointment_id)
            if current.customer_id != items.customer_id:
                raise AppError("not_found")
        if current.status != "booked":
            raise AppError("appointment_not_active")
        store, service = catalogue.service(current.store_id, current.service_id)
        now = clock.now()
        slot = _slot_of(store, service, slot_start, now)
        if slot.start == _time(current.slot_start):
            return view(current)
        if not rules.cancellable(store, _time(current.slot_start), now):
            raise AppError("too_late_to_cancel", details=[
                {"field": "appointment_id", "issue": f"move up to {store.cancel_cutoff_minutes} minutes before"}])
        tier = points.held_tier(items, business_day(now)).code
        _window_overrides(store, service, tier, slot, now, None)
        clash = rules.first_overlap(slot, _held(items, except_id=appointment_id))
        if clash is not None:
            raise AppError("already_booked", details=[{"field": "slot_start", "issue": f"overlaps {clash}"}])
        priority = bool(current.priority) or tier in store.priority_tiers
        tx = Tx()
        try:
            counted_open = capacity.take_in(
                tx, capacity.Slot(service.scope, slot.day, slot.key), capacity=service.capacity,
                reserved=service.reserved_seats, priority=priority, released=rules.released(store, slot, now))
        except capacity.NoSeat:
            raise AppError("slot_full") from None
        capacity.free_in(tx, _slot_counter(current), counted_open=bool(current.counted_open))
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
        state = _state(items)
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
            continue
        logger.info("appointment moved", extra={"customer_id": items.customer_id, "appointment_id": appointment_id,
                                                "from": old_start, "to": moved.slot_start})
        return view(moved)
    retry.give_up("appointment reschedule", customer_id=customer_id)


# --- at the store ----------------------------------------------------------------------------------------------------


def by_id(appointment_id: str) -> AppointmentItem:
    if not appointment_id.startswith("apt_") or len(appointment_id) > 64:
        raise AppError("not_found")
    raw = shared_connection().client.query(
        TableName=settings().table_name, IndexName="gsi2",
        KeyConditionExpression="gsi2pk = :p",
        ExpressionAttributeValues={":p": {"S": f"{ID_INDEX_PREFIX}{appointment_id}"}},
    ).get("Items", [])
    if not raw:
        raise AppError("not_found")
    item = AppointmentItem.from_raw_data(raw[0])
    try:  # the index is eventually consistent: the item itself decides
        return AppointmentItem.get(item.pk, item.sk, consistent_read=True)
    except AppointmentItem.DoesNotExist:
        raise AppError("not_found") from None


def check_in(appointment_id: str) -> dict[str, Any]:
    """``POST /v1/integrations/appointments/{id}/check-in`` (the till): on the appointment's store-local day only;
    checking in twice answers the first check-in."""
    for _attempt in retry.attempts(MAX_ATTEMPTS):
        item = by_id(appointment_id)
        if item.status == "checked_in":
            return _checked_in(item)
        if item.status != "booked":
            raise AppError("appointment_not_active")
        now = clock.now()
        if business_day(now).isoformat() != item.day:
            raise AppError("check_in_not_open", details=[{"field": "appointment_id", "issue": f"is on {item.day}"}])
        at = clock.iso(now)
        tx = Tx()
        tx.update("appointment", item, [AppointmentItem.status.set("checked_in"),
                                        AppointmentItem.checked_in_at.set(at), AppointmentItem.updated_at.set(at)],
                  AppointmentItem.status == "booked")
        release_in(tx, item)
        services.completed_in(tx, _attended(item, at))
        try:
            tx.commit()
        except TxCancelled:
            continue
        item.status, item.checked_in_at = "checked_in", at
        return _checked_in(item)
    retry.give_up("appointment check-in")


def _attended(item: AppointmentItem, at: str) -> services.Completion:
    """The member came: a service received (the surveys area asks how it was, in the check-in's transaction)."""
    try:
        store, service = catalogue.service(item.store_id, item.service_id)
        title = f"{service.name} · {store.name}"
    except AppError:  # a service since removed from the catalogue: still a service received
        title = item.service_id
    return services.Completion(kind="appointment", customer_id=item.customer_id, service_id=item.appointment_id,
                               title=title, at=at, groups={"store": item.store_id})


def _checked_in(item: AppointmentItem) -> dict[str, Any]:
    return {"appointment_id": item.appointment_id, "status": "checked_in", "checked_in_at": item.checked_in_at,
            "priority": bool(item.priority), "slot_start": item.slot_start}


def serving_order(items: list[AppointmentItem]) -> list[AppointmentItem]:
    """Priority first (hotline bookings, priority tiers), then by arrival (check-in time); those not yet arrived
    after, by their slot."""
    active = [i for i in items if i.status in ACTIVE]
    return sorted(active, key=lambda i: (not i.priority, i.checked_in_at is None,
                                         i.checked_in_at or i.slot_start, i.slot_start, i.appointment_id))


def queue(store_id: str, day: date) -> dict[str, Any]:
    """``GET /v1/integrations/stores/{id}/queue?date=``: the day's appointments in serving order (one Query)."""
    catalogue.store(store_id)
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "IndexName": "gsi1",
        "KeyConditionExpression": "gsi1pk = :p",
        "ExpressionAttributeValues": {":p": {"S": f"{QUEUE_PREFIX}{store_id}#{day.isoformat()}"}},
    }
    found: list[AppointmentItem] = []
    while True:
        page = client.query(**kwargs)
        found += [AppointmentItem.from_raw_data(r) for r in page.get("Items", [])]
        if not page.get("LastEvaluatedKey"):
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    ordered = serving_order(found)
    return {"date": day.isoformat(), "store_id": store_id, "items": [
        {"position": n, "appointment_id": i.appointment_id, "customer_id": i.customer_id, "service_id": i.service_id,
         "slot_start": i.slot_start, "slot_end": i.slot_end, "status": i.status, "priority": bool(i.priority),
         "channel": i.channel, "checked_in_at": i.checked_in_at}
        for n, i in enumerate(ordered, start=1)]}


# --- the slot listing ----------------------------------------------------------------------------------------------


def slots(customer_id: str, store_id: str, service_id: str, day: date) -> dict[str, Any]:
    """``GET /v1/stores/{id}/slots?service_id=&date=``: two DynamoDB calls whatever the bookings (the member's
    Query for the tier, the day's counters in one Query; the catalogue is cached). ``bookable`` is what this member
    may book: not past, not full (for them: the reserved share until its release), within their tier's window, a
    service their tier may use, self-service not suspended."""
    store, service = catalogue.service(store_id, service_id)
    items = points.load_member(customer_id)
    now = clock.now()
    tier = points.held_tier(items, business_day(now)).code
    priority = tier in store.priority_tiers
    days = rules.booking_days(store, service, tier)
    allowed = service.admits(tier) and not _suspended(_state(items), now)
    grid = rules.day_slots(store, service, day)
    counts = capacity.read_day(service.scope, day) if grid else {}
    out = []
    for slot in grid:
        count = counts.get(slot.key, capacity.Count())
        open_now = count.open_to(service.capacity, service.reserved_seats, priority,
                                 rules.released(store, slot, now))
        out.append({
            "slot_start": slot.start.isoformat(), "slot_end": slot.end.isoformat(), "capacity": service.capacity,
            "remaining": count.remaining(service.capacity),
            "bookable": allowed and slot.start > now and open_now > 0 and rules.within_window(slot, now, days),
        })
    return {"items": out, "store_id": store_id, "service_id": service_id, "date": day.isoformat(),
            "booking_days": days}


# --- merges and the 360 view --------------------------------------------------------------------------------------


def migrate_seed(customer_id: str, raw: dict[str, Any]) -> list[Any]:
    """``Area.migrate_seed``: an old-layout appointment still booked and ahead joins the member's held slots as it
    moves (the booking state put on condition of the version read: a booking in between makes the job read again)."""
    if not raw["sk"]["S"].startswith(OLD_APPOINTMENT_PREFIX):
        return []
    item = AppointmentItem.from_raw_data(raw)
    if item.status != "booked" or _time(item.slot_end) <= clock.now():
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
    upcoming = sorted((i for i in found if i.status == "booked" and _time(i.slot_end) > moment),
                      key=lambda i: i.slot_start)
    recent = [i for i in found if i not in upcoming][:5]
    return {"appointments": {"upcoming": [view(i) for i in upcoming], "recent": [view(i) for i in recent]}}


member_360 = Section360(
    read=lambda customer_id: member_layout.newest(customer_id, APPOINTMENT_PREFIX, RECENT_360),
    render=_render_360,
    keys="chalicelib.appointments.schemas:Member360Appointments",
)
