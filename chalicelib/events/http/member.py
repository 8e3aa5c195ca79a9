"""Members' event routes: the events for my circle, registering (Idempotency-Key), cancelling, checking in, hosting
(propose, invite, see who registered, check people in), my registrations and invitations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.events import checkin, editing, listing, proposals, registration
else:  # loaded when a view first runs (core/lazy.py)
    checkin = lazy_module("chalicelib.events.checkin")
    editing = lazy_module("chalicelib.events.editing")
    listing = lazy_module("chalicelib.events.listing")
    proposals = lazy_module("chalicelib.events.proposals")
    registration = lazy_module("chalicelib.events.registration")

api = Api(__name__, "events", schemas="chalicelib.events.http.schemas")

WRITE_ERRORS = ("validation_error", "malformed_json")

EVENT_ID = "ev_19a7f0c3b2e4a1b2c3d4e"
EVENT_EXAMPLE = {
    "event_id": EVENT_ID, "title": "会员感恩茶话会", "starts_at": "2026-12-12T14:00:00+08:00",
    "ends_at": "2026-12-12T17:00:00+08:00", "venue": "徐家汇旗舰店（上海市徐汇区虹桥路 1 号）", "capacity": 30,
    "remaining": 4, "waitlist_length": 0, "my_status": None, "status": "approved",
    "registration_closes_at": "2026-12-12T14:00:00+08:00", "invite_only": False, "check_in_points": 50,
    "hosted_by_member": False,
}
REGISTRATION_EXAMPLE = {
    "registration_id": "reg_19a7f0c3b2e4a1b2c3d4", "event_id": EVENT_ID, "status": "waitlisted",
    "waitlist_position": 3, "title": "会员感恩茶话会", "starts_at": "2026-12-12T14:00:00+08:00",
    "ends_at": "2026-12-12T17:00:00+08:00", "created_at": "2026-12-01T02:15:00.000+00:00",
}
PROPOSAL_EXAMPLE = {"title": "亲子烘焙下午茶", "description": "带上孩子一起做饼干。", "venue": "静安店二楼活动室",
                    "starts_at": "2026-12-19T14:00:00+08:00", "ends_at": "2026-12-19T16:00:00+08:00", "capacity": 8}


@api.route("/v1/events", "GET", auth="member", query="EventQuery", response="EventList",
           errors=("validation_error", "not_found", "service_unavailable"),
           summary="The upcoming events whose audience includes me (my tier, my profile tags, my invitations), "
                   "soonest first, with the seats left, the waitlist's length and my status; an event for another "
                   "circle is not listed. Paged: `?limit=` (20, at most 100), `?cursor=` (the page before's "
                   "`next_cursor`; another shape is 400 `validation_error`). The cursor names the last event the "
                   "page examined, so a page may hold fewer than `limit` events (even none) when events of other "
                   "circles were skipped; follow `next_cursor` until it is null: no event is skipped or repeated",
           examples={"response": {"items": [EVENT_EXAMPLE], "next_cursor": None}})
def list_events(ctx: RequestContext) -> dict:
    return listing.list_for(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/events", "POST", auth="member", status=201, body="EventProposalIn", response="EventProposed",
           errors=(*WRITE_ERRORS, "tier_not_eligible", "not_found"),
           summary="Propose an event I host (invite-only; my tier must allow hosting: gold and above by default): "
                   "pending_approval and seen by me only until an operator approves or rejects it",
           examples={"request": PROPOSAL_EXAMPLE,
                     "response": {"event_id": EVENT_ID, "status": "pending_approval"}})
def propose_event(ctx: RequestContext) -> dict:
    return proposals.propose(ctx.customer_id, ctx.body.model_dump())


@api.route("/v1/events/{event_id}", "GET", auth="member", response="EventOut",
           errors=("not_found", "service_unavailable"),
           summary="One event with its description (one DynamoDB call); an event for another circle is 404",
           examples={"response": {**EVENT_EXAMPLE, "description": "新品试用与茶歇。", "invited": False,
                                  "hosted_by_me": False}})
def get_event(ctx: RequestContext, event_id: str) -> dict:
    return listing.event_page(ctx.customer_id, event_id)


@api.route("/v1/events/{event_id}/registrations", "POST", auth="member", status=201,
           response="RegistrationCreated", idempotent=True,
           errors=("idempotency_key_required", "idempotency_key_reused", "not_found",
                   "already_registered", "registration_closed", "invitation_required", "tier_not_eligible",
                   "service_unavailable"),
           summary="Register: a seat when one is free, else a waiting place with its exact position (seat or place, "
                   "the registration, the idempotency record and my notification in one transaction)",
           examples={"response": {"registration_id": "reg_19a7f0c3b2e4a1b2c3d4", "status": "waitlisted",
                                  "waitlist_position": 3}})
def register_for_event(ctx: RequestContext, event_id: str) -> Result:
    return registration.register(ctx.customer_id, event_id, ctx.idempotency_key)


@api.route("/v1/events/{event_id}/registrations/cancel", "POST", auth="member", response="RegistrationOut",
           errors=("not_found", "not_registered", "already_checked_in", "check_in_revoked",
                   "tier_not_eligible", "service_unavailable"),
           summary="Cancel my registration (or leave the waitlist): the first waiting member is registered in the "
                   "same transaction and told; cancelling again answers the same",
           examples={"response": {**REGISTRATION_EXAMPLE, "status": "cancelled", "waitlist_position": None,
                                  "cancelled_at": "2026-12-02T02:15:00.000+00:00", "cancelled_by": "member"}})
def cancel_event_registration(ctx: RequestContext, event_id: str) -> dict:
    return registration.cancel(ctx.customer_id, event_id)


@api.route("/v1/events/{event_id}/check-in", "POST", auth="member", body="CheckInIn", response="CheckedInOut",
           errors=(*WRITE_ERRORS, "not_found", "invalid_check_in_code", "not_registered", "already_checked_in",
                   "check_in_revoked", "check_in_not_open", "service_unavailable"),
           summary="Check in with the code shown at the venue, from an hour before the start to the end: the "
                   "event's points (once) and its tags on my profile (with my profiling consent)",
           examples={"request": {"check_in_code": "K7M3Q9TX"},
                     "response": {"event_id": EVENT_ID, "status": "checked_in", "points_awarded": 50,
                                  "checked_in_at": "2026-12-12T06:05:00.000+00:00"}})
def check_in_at_event(ctx: RequestContext, event_id: str) -> dict:
    return checkin.check_in(ctx.customer_id, event_id, ctx.body.check_in_code, ctx.channel)


@api.route("/v1/events/{event_id}/invitations", "POST", auth="member", status=201, body="InvitationsIn",
           response="InvitationsOut", errors=(*WRITE_ERRORS, "not_found", "event_not_open"),
           summary="The host invites members by member number (each is told; unknown numbers are listed back)",
           examples={"request": {"member_nos": ["5203948172", "5203948173"]},
                     "response": {"event_id": EVENT_ID, "invited": ["5203948172"], "unknown": ["5203948173"]}})
def invite_to_event(ctx: RequestContext, event_id: str) -> dict:
    return editing.invite(ctx.customer_id, event_id, ctx.body.member_nos)


@api.route("/v1/events/{event_id}/registrations", "GET", auth="member", response="AttendeeList",
           errors=("not_found",),
           summary="The host sees who registered (member number, name, status; the waitlist in order)",
           examples={"response": {"event_id": EVENT_ID, "items": [
               {**REGISTRATION_EXAMPLE, "status": "registered", "waitlist_position": None, "member_no": "5203948172",
                "name": "李雷"}], "counts": {"registered": 1, "checked_in": 0, "waitlisted": 0, "seats_taken": 1,
                                           "capacity": 8}, "next_cursor": None}})
def list_event_attendees(ctx: RequestContext, event_id: str) -> dict:
    return listing.registrations_of(event_id, host_customer_id=ctx.customer_id)


@api.route("/v1/events/{event_id}/check-ins", "POST", auth="member", body="HostCheckInIn", response="CheckedInOut",
           errors=(*WRITE_ERRORS, "not_found", "not_registered", "already_checked_in", "check_in_revoked",
                   "check_in_not_open", "service_unavailable"),
           summary="The host checks a registered member in by member number (same window, once)",
           examples={"request": {"member_no": "5203948172"},
                     "response": {"event_id": EVENT_ID, "status": "checked_in", "points_awarded": 0,
                                  "checked_in_at": "2026-12-19T06:05:00.000+00:00", "member_no": "5203948172"}})
def host_check_in(ctx: RequestContext, event_id: str) -> dict:
    return checkin.check_in_by_host(ctx.customer_id, event_id, ctx.body.member_no)


@api.route("/v1/events/{event_id}/check-in-code", "POST", auth="member", response="CodeOut",
           errors=("not_found",),
           summary="The host gets a new check-in code to show at the venue (the previous one stops working)",
           examples={"response": {"event_id": EVENT_ID, "check_in_code": "K7M3Q9TX",
                                  "rotated_at": "2026-12-19T05:00:00.000+00:00"}})
def rotate_host_check_in_code(ctx: RequestContext, event_id: str) -> dict:
    return editing.rotate_code(editing.host_event(ctx.customer_id, event_id), f"host:{ctx.customer_id}")


@api.route("/v1/events/{event_id}/cancel", "POST", auth="member", body="CancelEventIn", response="EventCancelled",
           errors=(*WRITE_ERRORS, "not_found", "event_not_open"),
           summary="The host cancels their event: everyone registered or waiting is told",
           examples={"request": {"reason": "场地临时不可用"},
                     "response": {"event_id": EVENT_ID, "status": "cancelled", "told": 6}})
def host_cancel_event(ctx: RequestContext, event_id: str) -> dict:
    return editing.cancel_event(editing.host_event(ctx.customer_id, event_id), "host", ctx.body.reason)


@api.route("/v1/me/registrations", "GET", auth="member", query="EventQuery", response="RegistrationPage",
           errors=("validation_error", "not_found"),
           summary="My event registrations, latest event first, with my waitlist position where I wait (read "
                   "again, exact). Paged like `GET /v1/events` (a page may be short; follow `next_cursor`)",
           examples={"response": {"items": [REGISTRATION_EXAMPLE], "next_cursor": None}})
def list_my_registrations(ctx: RequestContext) -> dict:
    return listing.my_registrations(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/me/invitations", "GET", auth="member", query="EventQuery", response="InvitationPage",
           errors=("validation_error", "not_found"),
           summary="Events I am invited to, latest first, with their current title and times (I may register "
                   "even when they are invite-only). Paged like `GET /v1/events` (a page may be short; follow "
                   "`next_cursor`)",
           examples={"response": {"items": [{"event_id": EVENT_ID, "title": "亲子烘焙下午茶",
                                             "starts_at": "2026-12-19T14:00:00+08:00",
                                             "ends_at": "2026-12-19T16:00:00+08:00",
                                             "invited_at": "2026-12-05T02:00:00.000+00:00", "my_status": None}],
                                  "next_cursor": None}})
def list_my_invitations(ctx: RequestContext) -> dict:
    return listing.my_invitations(ctx.customer_id, ctx.query.limit, ctx.query.cursor)
