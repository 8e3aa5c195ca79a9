"""Operators (role admin): stores that take appointments and their services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.appointments import catalogue
else:  # loaded when a view first runs (core/lazy.py)
    catalogue = lazy_module("chalicelib.appointments.catalogue")

api = Api(__name__, "admin")

WRITE_ERRORS = ("validation_error", "malformed_json")


def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


@api.route("/v1/admin/stores", "POST", auth="admin", status=201, body="StoreIn", response="StoreCreated",
           errors=WRITE_ERRORS,
           summary="Create a store that takes appointments: opening hours per weekday (store-local, weekday 1 = "
                   "Monday), closed dates, cancel cut-off, booking window per tier, priority tiers, the release "
                   "of reserved seats (hours before a slot) and the no-show policy (N in D days suspends "
                   "self-service booking for S days)",
           examples={"request": {"name": "徐家汇旗舰店", "city": "上海", "address": "上海市徐汇区虹桥路 1 号",
                                 "phone": "021-64000001",
                                 "opening_hours": [{"weekday": d, "opens": "10:00", "closes": "20:00"}
                                                   for d in range(1, 8)],
                                 "cancel_cutoff_minutes": 120, "booking_days": 7,
                                 "booking_days_by_tier": {"gold": 14, "platinum": 14},
                                 "priority_tiers": ["gold", "platinum"], "release_hours": 24,
                                 "no_show_limit": 3, "no_show_days": 90, "suspension_days": 30},
                     "response": {"store_id": "st_3f9a1c2b7d6e"}})
def create_store(ctx: RequestContext) -> dict:
    return {"store_id": catalogue.create_store(ctx.body.model_dump(exclude_none=True), _staff(ctx))}


@api.route("/v1/admin/stores/{store_id}/services", "POST", auth="admin", status=201, body="StoreServiceIn",
           response="StoreServiceCreated", errors=(*WRITE_ERRORS, "not_found"),
           summary="Add a service to a store: duration, seats per slot, the tiers that may book it (none: every "
                   "tier), a buffer between slots and seats reserved for priority tiers until the release",
           examples={"request": {"name": "肌肤检测", "duration_minutes": 30, "capacity": 2, "reserved_seats": 1},
                     "response": {"service_id": "sv_5f2c9a7e1b3d"}})
def create_store_service(ctx: RequestContext, store_id: str) -> dict:
    return {"service_id": catalogue.create_service(store_id, ctx.body.model_dump(exclude_none=True), _staff(ctx))}
