"""Agents: refund a member's Plus membership (bought within 7 days, no benefit used): it ends at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.membership import orders
else:  # loaded when a view first runs (core/lazy.py)
    orders = lazy_module("chalicelib.membership.orders")

api = Api(__name__, "membership", schemas="chalicelib.membership.http.schemas")


@api.route("/v1/agent/members/{customer_id}/membership/refund", "POST", auth="agent", body="PlusRefundIn",
           response="PlusRefundOut",
           other_statuses={202: "over APPROVAL_THRESHOLD_FEN: waiting for a supervisor's approval, nothing refunded"},
           other_responses={202: "points.http.agent_schemas.ApprovalPending"},
           errors=("validation_error",
                   "malformed_json", "not_found", "membership_not_active", "refund_window_passed",
                   "benefit_already_used", "payments_not_configured", "upstream_unavailable",
                   "service_unavailable"),
           summary="Refund the member's latest Plus purchase (within 7 days, no benefit used): refunded through "
                   "WeChat Pay once however often asked, and the membership ends at once",
           examples={"request": {"reason": "会员误购，7 天内申请退款"},
                     "response": {"order_id": "po19a7f0c3b2e0123456789abcdef", "status": "refunded",
                                  "amount_fen": 9900, "refund_id": "50000000382019052709732678859",
                                  "refunded_at": "2026-12-02T02:15:00.000+00:00", "membership_status": "expired"}})
def refund_membership(ctx: RequestContext, customer_id: str) -> dict | Result:
    assert ctx.principal is not None
    return orders.refund(customer_id, ctx.principal.staff_id or "agent", ctx.body.reason, ctx.principal.role)
