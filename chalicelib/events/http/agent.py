"""Agents (role agent or admin): revoke a member's event check-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.events import revocation
else:  # loaded when a view first runs (core/lazy.py)
    revocation = lazy_module("chalicelib.events.revocation")

api = Api(__name__, "agent", schemas="chalicelib.events.http.schemas")



@api.route("/v1/agent/events/{event_id}/registrations/{customer_id}/check-in-revocations", "POST", auth="agent",
           status=201, body="CheckInRevocationIn", response="CheckInRevocationOut",
           errors=("validation_error", "malformed_json", "not_found", "not_checked_in",
                   "service_unavailable"),
           summary="Revoke a member's check-in at an event, with a reason: the check-in's points and its survey's "
                   "taken back through the ledger and the survey withdrawn, in one transaction",
           examples={"request": {"reason": "签到码被转发，会员本人未到场"},
                     "response": {"event_id": "ev_19a7f0c3b2e4a1b2c3d4e", "customer_id": "c_8f14e45fceea167a5a36",
                                  "registration_id": "reg_19a7f0c3b2e4a1b2c3d4", "status": "check_in_revoked",
                                  "revoked_at": "2026-12-12T12:00:00.000+00:00", "revoked_by": "s_agent01",
                                  "reason": "签到码被转发，会员本人未到场", "points_reversed": 230}})
def revoke_event_check_in(ctx: RequestContext, event_id: str, customer_id: str) -> dict:
    """409 ``not_checked_in`` unless the member is checked in (a check-in already revoked included)."""
    assert ctx.principal is not None
    return revocation.revoke_check_in(event_id, customer_id, ctx.principal.staff_id or ctx.principal.subject,
                                      ctx.body.reason)
