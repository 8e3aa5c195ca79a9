"""What members read: an appointment and their appointments (newest booking first), a day's slots with what they may
book, and an appointment as answered and as notifications tell it. Times are answered in the store's time zone with
their offset (``+08:00``); days are store-local."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.appointments import catalogue, rules
from chalicelib.appointments.member_state import booking_state, suspended, time_of
from chalicelib.appointments.models import APPOINTMENT_PREFIX, AppointmentItem
from chalicelib.appointments.rules import Service, Store
from chalicelib.core import capacity, clock
from chalicelib.core.calendar import business_day
from chalicelib.core.dynamo import keys, member_layout
from chalicelib.core.errors import AppError
from chalicelib.identity import public as identity
from chalicelib.points import public as points


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


def notice_data(item: AppointmentItem, store: Store, service: Service) -> dict[str, Any]:
    start = rules.local(time_of(item.slot_start))
    return {"appointment_id": item.appointment_id, "status": item.status, "store_id": item.store_id,
            "store_name": store.name, "store_address": store.address, "service_name": service.name,
            "date": start.date().isoformat(), "time": start.strftime("%H:%M"), "slot_start": item.slot_start}


def appointment_of(customer_id: str, appointment_id: str) -> AppointmentItem:
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
    return appointment_of(live.customer_id, appointment_id)


def get_mine(customer_id: str, appointment_id: str) -> dict[str, Any]:
    """``GET /v1/me/appointments/{id}``: another member's is 404."""
    return view(appointment_of(customer_id, appointment_id))


def my_appointments(customer_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest booking first: one Query on the ``H#APPT#`` prefix."""
    raw, next_cursor = member_layout.newest_page(customer_id, APPOINTMENT_PREFIX, limit, cursor, consistent=True)
    return {"items": [view(AppointmentItem.from_raw_data(r)) for r in raw], "next_cursor": next_cursor}


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
    allowed = service.admits(tier) and not suspended(booking_state(items), now)
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
