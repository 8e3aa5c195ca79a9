"""Agents: the members' account deletion requests and their deadlines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result, accepted

if TYPE_CHECKING:
    from chalicelib.privacy import deletion
else:  # loaded when a view first runs (core/lazy.py)
    deletion = lazy_module("chalicelib.privacy.deletion")

api = Api(__name__, "agent")


@api.route("/v1/agent/privacy/deletions", "GET", auth="agent", response="privacy.http.schemas.DeletionList",
           errors=(),
           summary="Account deletion requests not yet erased, soonest first: when each takes effect, the deadline "
                   "(15 working days from the request) and whether it is overdue (then a follow-up case is open)",
           examples={"response": {"items": [{"customer_id": "c_8f14e45fceea167a5a36", "status": "cooling_off",
                                             "requested_at": "2027-01-06T02:00:00.000+00:00",
                                             "effective_at": "2027-01-13T02:00:00.000+00:00", "reason": None,
                                             "due_by": "2027-01-27", "overdue": False, "case_opened_at": None}]}})
def list_deletion_requests(ctx: RequestContext) -> dict:
    return deletion.agents_list()


@api.route("/v1/agent/members/{customer_id}/deletion", "POST", auth="agent", status=202,
           body="privacy.http.schemas.HotlineDeletionIn", response="privacy.http.schemas.DeletionOut",
           errors=("validation_error", "malformed_json",
                   "not_found", "deletion_blocked"),
           summary="Record a member's request, made on the hotline, to close their account, once the caller is "
                   "verified as the member (how, in verification): the same cooling-off and erasure as the member's "
                   "own request; listed with channel hotline and the agent who recorded it",
           examples={"request": {"confirm": True, "verification": "来电号码与注册手机一致，核对会员号",
                                 "reason": "电话申请注销"},
                     "response": {"status": "cooling_off", "requested_at": "2027-01-06T02:00:00.000+00:00",
                                  "effective_at": "2027-01-13T02:00:00.000+00:00", "reason": "电话申请注销"}})
def record_hotline_deletion(ctx: RequestContext, customer_id: str) -> Result:
    assert ctx.principal is not None
    body = ctx.body
    hotline = deletion.Hotline(ctx.principal.staff_id or ctx.principal.subject, body.verification)
    return accepted(deletion.request(customer_id, body.reason, "hotline", hotline))
