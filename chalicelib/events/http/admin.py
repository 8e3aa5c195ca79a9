"""Operators (role admin): create events, review member-hosted ones, see registrations, rotate the code, cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.events import editing, listing, proposals
else:  # loaded when a view first runs (core/lazy.py)
    editing = lazy_module("chalicelib.events.editing")
    listing = lazy_module("chalicelib.events.listing")
    proposals = lazy_module("chalicelib.events.proposals")

api = Api(__name__, "admin", schemas="chalicelib.events.http.schemas")

WRITE_ERRORS = ("validation_error", "malformed_json")
EVENT_ID = "ev_19a7f0c3b2e4a1b2c3d4e"
CREATE_EXAMPLE = {
    "title": "金卡会员品鉴晚宴", "description": "金卡及以上会员专享。", "venue": "静安嘉里中心 2 楼",
    "starts_at": "2026-12-12T18:00:00+08:00", "ends_at": "2026-12-12T21:00:00+08:00", "capacity": 12,
    "tiers": ["gold", "platinum"], "check_in_points": 200, "registration_closes_at": "2026-12-11T22:00:00+08:00",
    "participant_tags": ["gourmet"], "waitlist_order": "tiers_first", "priority_tiers": ["platinum"],
}
ADMIN_EVENT = {
    "event_id": EVENT_ID, "title": "金卡会员品鉴晚宴", "status": "approved", "starts_at": "2026-12-12T18:00:00+08:00",
    "ends_at": "2026-12-12T21:00:00+08:00", "venue": "静安嘉里中心 2 楼", "capacity": 12, "remaining": 12,
    "waitlist_length": 0, "tiers": ["gold", "platinum"], "tags": [], "participant_tags": ["gourmet"],
    "waitlist_order": "tiers_first", "priority_tiers": ["platinum"], "host_customer_id": None,
}


def _staff(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.staff_id or ctx.principal.subject


@api.route("/v1/admin/events", "POST", auth="admin", status=201, body="EventIn", response="EventCreated",
           errors=WRITE_ERRORS,
           summary="Create an event: venue, times, capacity, audience (tiers and/or profile tags, or invite-only), "
                   "points at check-in, the tags it gives participants, the waitlist order (first_come | "
                   "tiers_first); the check-in code is answered once",
           examples={"request": CREATE_EXAMPLE,
                     "response": {"event_id": EVENT_ID, "check_in_code": "K7M3Q9TX", "status": "approved"}})
def create_event(ctx: RequestContext) -> dict:
    return editing.create(ctx.body.model_dump(exclude_none=True), _staff(ctx))


@api.route("/v1/admin/events", "GET", auth="admin", query="AdminEventQuery", response="AdminEventList",
           errors=("validation_error",),
           summary="Upcoming approved events, or member-hosted ones waiting for review (status=pending_approval)",
           examples={"response": {"items": [ADMIN_EVENT], "next_cursor": None}})
def list_admin_events(ctx: RequestContext) -> dict:
    return listing.admin_list(ctx.query.status, ctx.query.limit)


@api.route("/v1/admin/events/{event_id}", "GET", auth="admin", response="AdminEventOut",
           errors=("not_found",), summary="One event as operators see it",
           examples={"response": ADMIN_EVENT})
def get_admin_event(ctx: RequestContext, event_id: str) -> dict:
    return listing.admin_get(event_id)


@api.route("/v1/admin/events/{event_id}", "PATCH", auth="admin", body="EventChangeIn", response="AdminEventChanged",
           errors=(*WRITE_ERRORS, "not_found", "event_not_open"),
           summary="Change an approved event's title, description, venue or times: everyone registered or waiting "
                   "is told once (told: how many)",
           examples={"request": {"venue": "静安嘉里中心 3 楼", "starts_at": "2026-12-12T18:30:00+08:00",
                                 "ends_at": "2026-12-12T21:30:00+08:00"},
                     "response": {**ADMIN_EVENT, "venue": "静安嘉里中心 3 楼", "starts_at": "2026-12-12T18:30:00+08:00",
                                  "ends_at": "2026-12-12T21:30:00+08:00", "told": 8}})
def change_event(ctx: RequestContext, event_id: str) -> dict:
    return editing.change(event_id, ctx.body.model_dump(exclude_unset=True, exclude_none=True), _staff(ctx))


@api.route("/v1/admin/events/{event_id}/approve", "POST", auth="admin", body="ApproveIn", response="ReviewOut",
           errors=(*WRITE_ERRORS, "not_found", "event_not_pending"),
           summary="Approve a member-hosted event (listed from now on; the host is told)",
           examples={"request": {"reason": "符合社群活动规范"},
                     "response": {"event_id": EVENT_ID, "status": "approved", "reason": "符合社群活动规范"}})
def approve_event(ctx: RequestContext, event_id: str) -> dict:
    return proposals.review(event_id, _staff(ctx), True, ctx.body.reason)


@api.route("/v1/admin/events/{event_id}/reject", "POST", auth="admin", body="RejectIn", response="ReviewOut",
           errors=(*WRITE_ERRORS, "not_found", "event_not_pending"),
           summary="Reject a member-hosted event with a reason (the host is told; it is never listed)",
           examples={"request": {"reason": "活动内容涉及商业推广"},
                     "response": {"event_id": EVENT_ID, "status": "rejected", "reason": "活动内容涉及商业推广"}})
def reject_event(ctx: RequestContext, event_id: str) -> dict:
    return proposals.review(event_id, _staff(ctx), False, ctx.body.reason)


@api.route("/v1/admin/events/{event_id}/registrations", "GET", auth="admin", response="AttendeeList",
           errors=("not_found",),
           summary="Who registered: registered and checked in first, then the waitlist in order",
           examples={"response": {"event_id": EVENT_ID, "items": [], "counts": {
               "registered": 0, "checked_in": 0, "waitlisted": 0, "seats_taken": 0, "capacity": 12},
               "next_cursor": None}})
def list_admin_event_registrations(ctx: RequestContext, event_id: str) -> dict:
    return listing.registrations_of(event_id)


@api.route("/v1/admin/events/{event_id}/check-in-code", "POST", auth="admin", response="CodeOut",
           errors=("not_found",),
           summary="Rotate the check-in code (the previous one stops working at once)",
           examples={"response": {"event_id": EVENT_ID, "check_in_code": "K7M3Q9TX",
                                  "rotated_at": "2026-12-12T09:00:00.000+00:00"}})
def rotate_check_in_code(ctx: RequestContext, event_id: str) -> dict:
    return editing.rotate_code(editing.event_of(event_id), _staff(ctx))


@api.route("/v1/admin/events/{event_id}/cancel", "POST", auth="admin", body="CancelEventIn",
           response="EventCancelled", errors=(*WRITE_ERRORS, "not_found", "event_not_open"),
           summary="Cancel an event: everyone registered or waiting is told",
           examples={"request": {"reason": "天气原因"},
                     "response": {"event_id": EVENT_ID, "status": "cancelled", "told": 12}})
def cancel_event(ctx: RequestContext, event_id: str) -> dict:
    return editing.cancel_event(editing.event_of(event_id), "operator", ctx.body.reason)
