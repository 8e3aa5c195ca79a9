"""The hotline (role agent): booking on a member's behalf, with priority and recorded overrides; a checked-in
appointment marked a no-show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.appointments import booking, jobs, voiding
else:  # loaded when a view first runs (core/lazy.py)
    booking = lazy_module("chalicelib.appointments.booking")
    jobs = lazy_module("chalicelib.appointments.jobs")
    voiding = lazy_module("chalicelib.appointments.voiding")

api = Api(__name__, "agent")



@api.route("/v1/agent/members/{customer_id}/appointments", "POST", auth="agent", status=201,
           body="HotlineAppointmentIn", response="appointments.http.member_schemas.AppointmentOut", idempotent=True,
           errors=("validation_error", "malformed_json", "idempotency_key_required",
                   "idempotency_key_reused", "not_found", "slot_full", "already_booked", "outside_booking_window",
                   "tier_not_eligible", "deletion_pending", "service_unavailable"),
           summary="Book for a member from the hotline: channel hotline, priority (skips the queue at the store); "
                   "an override_reason lets the booking go beyond the member's tier window (recorded with who and "
                   "why), never beyond capacity",
           examples={"request": {"store_id": "st_sh_xujiahui", "service_id": "sv_skin_check",
                                 "slot_start": "2026-12-08T10:30:00+08:00"},
                     "response": {"appointment_id": "apt_19a7f0c3b2e4f1a2b3c4d", "status": "booked",
                                  "store_id": "st_sh_xujiahui", "service_id": "sv_skin_check",
                                  "slot_start": "2026-12-08T10:30:00+08:00", "slot_end": "2026-12-08T11:00:00+08:00",
                                  "channel": "hotline", "priority": True, "booked_by": "s_agent01"}})
def book_for_member(ctx: RequestContext, customer_id: str) -> Result:
    assert ctx.principal is not None
    staff_id = ctx.principal.staff_id or ctx.principal.subject
    body = ctx.body
    return booking.book_for(customer_id, body.store_id, body.service_id, body.slot_start, ctx.idempotency_key,
                            booking.Agent(staff_id, body.override_reason))


@api.route("/v1/agent/members/{customer_id}/booking-suspension/lift", "POST", auth="agent",
           body="SuspensionLiftIn", response="SuspensionOut",
           errors=("validation_error", "malformed_json", "not_found", "service_unavailable"),
           summary="Lift a member's suspension of self-service booking (after repeated no-shows), recorded with who "
                   "and why; the no-show count starts again",
           examples={"request": {"reason": "会员说明情况，特殊处理"},
                     "response": {"customer_id": "c_8f1e2d3c4b5a", "suspended_until": None, "lifted_by": "s_agent01"}})
def lift_booking_suspension(ctx: RequestContext, customer_id: str) -> dict:
    assert ctx.principal is not None
    return jobs.lift_suspension(customer_id, ctx.principal.staff_id or ctx.principal.subject, ctx.body.reason)


@api.route("/v1/agent/appointments/{appointment_id}/no-show", "POST", auth="agent", body="NoShowIn",
           response="NoShowOut",
           errors=("validation_error", "malformed_json", "not_found", "appointment_not_checked_in",
                   "service_unavailable"),
           summary="Mark a checked-in appointment a no-show, with a reason: counted as a no-show, and its survey "
                   "withdrawn (answered: its points taken back through the ledger), in one transaction",
           examples={"request": {"reason": "门店误签到，会员当天未到店"},
                     "response": {"appointment_id": "apt_19a7f0c3b2e4f1a2b3c4d", "status": "no_show",
                                  "no_show_at": "2026-12-08T09:00:00.000+00:00", "marked_by": "s_agent01",
                                  "reason": "门店误签到，会员当天未到店", "points_reversed": 20}})
def mark_appointment_no_show(ctx: RequestContext, appointment_id: str) -> dict:
    """409 ``appointment_not_checked_in`` for an appointment not checked in (booked, cancelled, already a no-show)."""
    assert ctx.principal is not None
    return voiding.mark_no_show(appointment_id, ctx.principal.staff_id or ctx.principal.subject, ctx.body.reason)
