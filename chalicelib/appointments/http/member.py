"""Stores, their services and slots; members' appointments: book (Idempotency-Key), cancel, reschedule, list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.appointments import booking, catalogue, changing, reading
else:  # loaded when a view first runs (core/lazy.py)
    booking = lazy_module("chalicelib.appointments.booking")
    catalogue = lazy_module("chalicelib.appointments.catalogue")
    changing = lazy_module("chalicelib.appointments.changing")
    reading = lazy_module("chalicelib.appointments.reading")

api = Api(__name__, "appointments")


HOURS_EXAMPLE = [{"weekday": d, "opens": "10:00", "closes": "20:00"} for d in range(1, 8)]
STORE_EXAMPLE = {
    "store_id": "st_sh_xujiahui", "name": "徐家汇旗舰店", "city": "上海", "address": "上海市徐汇区虹桥路 1 号",
    "phone": "021-64000001", "opening_hours": HOURS_EXAMPLE, "services": ["sv_skin_check", "sv_vip_consult"],
    "closed_dates": [], "cancel_cutoff_minutes": 120,
}
SERVICE_EXAMPLE = {"service_id": "sv_skin_check", "store_id": "st_sh_xujiahui", "name": "肌肤检测",
                   "duration_minutes": 30, "capacity": 2, "tiers": None, "buffer_minutes": 0, "reserved_seats": 0}
APPOINTMENT_EXAMPLE = {
    "appointment_id": "apt_19a7f0c3b2e4f1a2b3c4d", "status": "booked", "store_id": "st_sh_xujiahui",
    "service_id": "sv_skin_check", "slot_start": "2026-12-08T10:30:00+08:00", "slot_end": "2026-12-08T11:00:00+08:00",
    "channel": "app", "priority": False, "created_at": "2026-12-01T02:15:00.000+00:00", "store_name": "徐家汇旗舰店",
    "store_address": "上海市徐汇区虹桥路 1 号", "service_name": "肌肤检测",
}
BOOK_REQUEST = {"store_id": "st_sh_xujiahui", "service_id": "sv_skin_check", "slot_start": "2026-12-08T10:30:00+08:00"}


@api.route("/v1/stores", "GET", auth="public", query="StoreQuery", response="StoreList",
           errors=("validation_error",),
           summary="Stores that take appointments (optionally in one city), with opening hours (store-local, "
                   "Asia/Shanghai; weekday 1 = Monday) and their services",
           examples={"response": {"items": [STORE_EXAMPLE], "next_cursor": None}})
def list_stores(ctx: RequestContext) -> dict:
    return catalogue.list_stores(ctx.query.city)


@api.route("/v1/stores/{store_id}/services", "GET", auth="public", response="StoreServiceList",
           errors=("not_found",), summary="A store's services: duration, seats per slot, the tiers that may book",
           examples={"response": {"items": [SERVICE_EXAMPLE], "next_cursor": None}})
def list_store_services(ctx: RequestContext, store_id: str) -> dict:
    return catalogue.list_services(store_id)


@api.route("/v1/stores/{store_id}/slots", "GET", auth="member", query="SlotQuery", response="SlotList",
           errors=("validation_error", "not_found"),
           summary="A service's slots on a store-local day, with the seats left and whether I may book each "
                   "(bookable: not past, not full for me, within my tier's booking window)",
           examples={"response": {"items": [
               {"slot_start": "2026-12-08T10:00:00+08:00", "slot_end": "2026-12-08T10:30:00+08:00", "capacity": 2,
                "remaining": 0, "bookable": False},
               {"slot_start": "2026-12-08T10:30:00+08:00", "slot_end": "2026-12-08T11:00:00+08:00", "capacity": 2,
                "remaining": 1, "bookable": True}],
               "store_id": "st_sh_xujiahui", "service_id": "sv_skin_check", "date": "2026-12-08", "booking_days": 7}})
def list_slots(ctx: RequestContext, store_id: str) -> dict:
    return reading.slots(ctx.customer_id, store_id, ctx.query.service_id, ctx.query.date)


@api.route("/v1/appointments", "POST", auth="member", status=201, body="AppointmentIn", response="AppointmentOut",
           idempotent=True,
           errors=("validation_error", "malformed_json", "idempotency_key_required",
                   "idempotency_key_reused", "not_found", "slot_full", "already_booked", "outside_booking_window",
                   "booking_suspended", "tier_not_eligible", "deletion_pending", "service_unavailable"),
           summary="Book a slot: the seat, my appointment, the idempotency record and my notification in one "
                   "transaction (409 slot_full when no seat is left for me)",
           examples={"request": BOOK_REQUEST, "response": APPOINTMENT_EXAMPLE})
def book_appointment(ctx: RequestContext) -> Result:
    body = ctx.body
    return booking.book(ctx.customer_id, body.store_id, body.service_id, body.slot_start, ctx.idempotency_key,
                        ctx.channel)


@api.route("/v1/appointments/{appointment_id}/cancel", "POST", auth="member", response="CancelledOut",
           errors=("not_found", "too_late_to_cancel", "appointment_not_active",
                   "service_unavailable"),
           summary="Cancel my appointment: its seat is free at once (409 too_late_to_cancel past the store's cut-off)",
           examples={"response": {"appointment_id": "apt_19a7f0c3b2e4f1a2b3c4d", "status": "cancelled",
                                  "cancelled_at": "2026-12-01T02:20:00.000+00:00"}})
def cancel_appointment(ctx: RequestContext, appointment_id: str) -> dict:
    return changing.cancel(ctx.customer_id, appointment_id)


@api.route("/v1/appointments/{appointment_id}/reschedule", "POST", auth="member", body="RescheduleIn",
           response="AppointmentOut",
           errors=("validation_error", "malformed_json", "not_found", "slot_full", "already_booked",
                   "outside_booking_window", "too_late_to_cancel", "appointment_not_active", "service_unavailable"),
           summary="Move my appointment to another slot of its service: the new seat taken and the old freed in one "
                   "transaction (409 slot_full leaves the old booking as it was)",
           examples={"request": {"slot_start": "2026-12-08T11:00:00+08:00"},
                     "response": {**APPOINTMENT_EXAMPLE, "slot_start": "2026-12-08T11:00:00+08:00",
                                  "slot_end": "2026-12-08T11:30:00+08:00"}})
def reschedule_appointment(ctx: RequestContext, appointment_id: str) -> dict:
    return changing.reschedule(ctx.customer_id, appointment_id, ctx.body.slot_start)


@api.route("/v1/me/appointments", "GET", auth="member", query="AppointmentQuery", response="AppointmentPage",
           errors=("validation_error",), summary="My appointments, newest booking first",
           examples={"response": {"items": [APPOINTMENT_EXAMPLE], "next_cursor": None}})
def list_my_appointments(ctx: RequestContext) -> dict:
    return reading.my_appointments(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/me/appointments/{appointment_id}", "GET", auth="member", response="AppointmentOut",
           errors=("not_found",), summary="One of my appointments (another member's: 404)",
           examples={"response": APPOINTMENT_EXAMPLE})
def get_my_appointment(ctx: RequestContext, appointment_id: str) -> dict:
    return reading.get_mine(ctx.customer_id, appointment_id)
