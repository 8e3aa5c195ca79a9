"""The store's till (X-Api-Key): check a member in, and the day's serving queue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.appointments import till
else:  # loaded when a view first runs (core/lazy.py)
    till = lazy_module("chalicelib.appointments.till")

api = Api(__name__, "integrations")


@api.route("/v1/integrations/appointments/{appointment_id}/check-in", "POST", auth="api_key",
           response="CheckedInOut",
           errors=("invalid_api_key", "not_found", "check_in_not_open", "appointment_not_active",
                   "service_unavailable"),
           summary="Check a member in at the store (on the appointment's day); a second check-in answers the first",
           examples={"response": {"appointment_id": "apt_19a7f0c3b2e4f1a2b3c4d", "status": "checked_in",
                                  "checked_in_at": "2026-12-08T02:25:00.000+00:00", "priority": True,
                                  "slot_start": "2026-12-08T10:30:00+08:00"}})
def check_in_appointment(ctx: RequestContext, appointment_id: str) -> dict:
    return till.check_in(appointment_id)


@api.route("/v1/integrations/stores/{store_id}/queue", "GET", auth="api_key", query="QueueQuery",
           response="StoreQueue", errors=("invalid_api_key", "validation_error", "not_found"),
           summary="The day's appointments at a store in serving order: priority first (hotline, priority tiers), "
                   "then by arrival",
           examples={"response": {"date": "2026-12-08", "store_id": "st_sh_xujiahui", "items": [
               {"position": 1, "appointment_id": "apt_19a7f0c3b2e4f1a2b3c4d", "customer_id": "c_8f1e2d3c4b5a",
                "service_id": "sv_skin_check", "slot_start": "2026-12-08T10:30:00+08:00",
                "slot_end": "2026-12-08T11:00:00+08:00", "status": "checked_in", "priority": True,
                "channel": "hotline", "checked_in_at": "2026-12-08T02:25:00.000+00:00"}]}})
def store_queue(ctx: RequestContext, store_id: str) -> dict:
    return till.queue(store_id, ctx.query.date)
