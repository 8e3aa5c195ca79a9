"""Agents review back-fill claims, read a member's ledger and compensate members; supervisors approve or reject what
is over the threshold (maker-checker)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result
from chalicelib.points.http.member import CLAIM_EXAMPLE

if TYPE_CHECKING:
    from chalicelib.points import approvals, claims, compensations, member_views
else:  # loaded when a view first runs (core/lazy.py)
    approvals = lazy_module("chalicelib.points.approvals")
    claims = lazy_module("chalicelib.points.claims")
    compensations = lazy_module("chalicelib.points.compensations")
    member_views = lazy_module("chalicelib.points.member_views")

api = Api(__name__, "agent")


def _staff(ctx: RequestContext) -> tuple[str, str]:
    assert ctx.principal is not None and ctx.principal.staff_id is not None
    return ctx.principal.staff_id, ctx.principal.role


@api.route("/v1/agent/members/{customer_id}/compensations", "POST", auth="agent", status=201, body="CompensationIn",
           response="CompensationOut", idempotent=True,
           summary="Compensate a member with points (over the approval threshold it waits for a supervisor)",
           errors=("not_found", "validation_error", "idempotency_key_reused", "service_unavailable"),
           examples={"request": {"points": 200, "reason": "配送延误补偿", "case_id": "case_1a2b"},
                     "response": {"compensation_id": "cmp_0a1b2c3d4e5f60718293", "status": "done", "points": 200,
                                  "approval_id": None, "balance_after": 1680}})
def compensate_member(ctx: RequestContext, customer_id: str) -> Result:
    staff_id, role = _staff(ctx)
    body = ctx.body
    assert ctx.idempotency_key is not None
    return compensations.compensate(customer_id, body.points, body.reason, body.case_id, staff_id, role,
                                    ctx.idempotency_key)


@api.route("/v1/agent/approvals", "GET", auth="agent", query="ApprovalQuery", response="ApprovalPage",
           summary="Staff changes waiting for (or given) a second staff member's decision, oldest first")
def list_approvals(ctx: RequestContext) -> dict:
    return approvals.listing(ctx.query.status, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/agent/approvals/{approval_id}/approve", "POST", auth="supervisor", body="DecisionIn",
           response="ApprovalOut", summary="Approve a pending change (it runs now, once); not one's own",
           examples={"request": {"reason": "核实无误"}},
           errors=("not_found", "self_approval", "approval_decided", "insufficient_points", "service_unavailable"))
def approve_request(ctx: RequestContext, approval_id: str) -> dict:
    staff_id, _ = _staff(ctx)
    return approvals.decide(approval_id, staff_id, True, ctx.body.reason)


@api.route("/v1/agent/approvals/{approval_id}/reject", "POST", auth="supervisor", body="DecisionIn",
           response="ApprovalOut", summary="Reject a pending change (nothing moves); not one's own",
           examples={"request": {"reason": "无凭证"}},
           errors=("not_found", "self_approval", "approval_decided"))
def reject_request(ctx: RequestContext, approval_id: str) -> dict:
    staff_id, _ = _staff(ctx)
    return approvals.decide(approval_id, staff_id, False, ctx.body.reason)




AGENT_CLAIM = {**CLAIM_EXAMPLE, "customer_id": "c_8f14e45fceea167a5a36"}


@api.route("/v1/agent/points-claims", "GET", auth="agent", query="ClaimQueue",
           response="AgentClaimPage",
           errors=("validation_error",),
           summary="Back-fill claims by status (pending: oldest first; decided: newest first)",
           examples={"response": {"items": [AGENT_CLAIM], "next_cursor": None}})
def list_claims_for_review(ctx: RequestContext) -> dict:
    return claims.claims_by_status(ctx.query.status, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/agent/points-claims/{claim_id}/approve", "POST", auth="agent", body="ApproveBody",
           response="AgentClaimOut",
           errors=("validation_error", "not_found", "claim_not_pending", "order_already_credited",
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
           errors=("validation_error", "not_found", "claim_not_pending"),
           summary="Reject a claim with a reason the member sees",
           examples={"request": {"reason": "未找到该订单的支付记录"},
                     "response": {**AGENT_CLAIM, "status": "rejected", "reason": "未找到该订单的支付记录",
                                  "decided_at": "2026-11-23T05:00:00.000+00:00"}})
def reject(ctx: RequestContext, claim_id: str) -> dict:
    assert ctx.principal is not None
    return claims.reject(claim_id, ctx.principal.staff_id or ctx.principal.subject, ctx.body.reason)


@api.route("/v1/agent/members/{customer_id}/points/ledger", "GET", auth="agent",
           query="points.http.member_schemas.Page", response="points.http.member_schemas.LedgerPage",
           errors=("validation_error",), summary="A member's points ledger, newest first")
def member_ledger(ctx: RequestContext, customer_id: str) -> dict:
    return member_views.ledger(customer_id, ctx.query.limit, ctx.query.cursor)
