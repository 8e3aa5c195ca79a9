"""Agents review members' back-fill claims, and see a member's points ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.points.api import CLAIM_EXAMPLE

if TYPE_CHECKING:
    from chalicelib.points import claims, member_views
else:  # loaded when a view first runs (core/lazy.py)
    member_views = lazy_module("chalicelib.points.member_views")
    claims = lazy_module("chalicelib.points.claims")

api = Api(__name__, "agent")

STAFF_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


AGENT_CLAIM = {**CLAIM_EXAMPLE, "customer_id": "c_8f14e45fceea167a5a36"}


@api.route("/v1/agent/points-claims", "GET", auth="agent", query="ClaimQueue",
           response="AgentClaimPage",
           errors=(*STAFF_ERRORS, "validation_error"),
           summary="Back-fill claims by status (pending: oldest first; decided: newest first)",
           examples={"response": {"items": [AGENT_CLAIM], "next_cursor": None}})
def list_claims_for_review(ctx: RequestContext) -> dict:
    return claims.claims_by_status(ctx.query.status, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/agent/points-claims/{claim_id}/approve", "POST", auth="agent", body="ApproveBody",
           response="AgentClaimOut",
           errors=(*STAFF_ERRORS, "validation_error", "not_found", "claim_not_pending", "order_already_credited",
                   "service_unavailable"),
           summary="Approve a claim: awards the order's points once (the order number is claimed for good)",
           examples={"request": {"note": "小票核对无误"},
                     "response": {**AGENT_CLAIM, "status": "approved", "points_awarded": 259,
                                  "decided_at": "2026-11-23T05:00:00.000+00:00", "balance_after": 1539}})
def approve(ctx: RequestContext, claim_id: str) -> dict:
    assert ctx.principal is not None
    return claims.approve(claim_id, ctx.principal.staff_id or ctx.principal.subject, ctx.body.note)


@api.route("/v1/agent/points-claims/{claim_id}/reject", "POST", auth="agent", body="RejectBody",
           response="AgentClaimOut",
           errors=(*STAFF_ERRORS, "validation_error", "not_found", "claim_not_pending"),
           summary="Reject a claim with a reason the member sees",
           examples={"request": {"reason": "未找到该订单的支付记录"},
                     "response": {**AGENT_CLAIM, "status": "rejected", "reason": "未找到该订单的支付记录",
                                  "decided_at": "2026-11-23T05:00:00.000+00:00"}})
def reject(ctx: RequestContext, claim_id: str) -> dict:
    assert ctx.principal is not None
    return claims.reject(claim_id, ctx.principal.staff_id or ctx.principal.subject, ctx.body.reason)


@api.route("/v1/agent/members/{customer_id}/points/ledger", "GET", auth="agent", query="points.schemas.Page",
           response="points.schemas.LedgerPage",
           errors=(*STAFF_ERRORS, "validation_error"), summary="A member's points ledger, newest first")
def member_ledger(ctx: RequestContext, customer_id: str) -> dict:
    return member_views.ledger(customer_id, ctx.query.limit, ctx.query.cursor)
