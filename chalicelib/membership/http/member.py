"""Plus membership for members: the plans, my membership (status, expiry, this membership year's savings), the
7-day trial and buying a plan (Idempotency-Key; the payment's confirmation arrives from the provider)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.membership import membership, orders, plans
else:  # loaded when a view first runs (core/lazy.py)
    membership = lazy_module("chalicelib.membership.membership")
    orders = lazy_module("chalicelib.membership.orders")
    plans = lazy_module("chalicelib.membership.plans")

api = Api(__name__, "membership", schemas="chalicelib.membership.http.schemas")

PLANS_EXAMPLE = {"items": [{"plan_id": "plus_month", "name": "Plus 月卡", "price_fen": 1500, "period": "month"},
                           {"plan_id": "plus_year", "name": "Plus 年卡", "price_fen": 9900, "period": "year"}]}
MEMBERSHIP_EXAMPLE = {
    "status": "active", "plan_id": "plus_year", "expires_at": "2027-12-01T10:15:00+08:00", "trial_used": True,
    "savings": {"since": "2026-12-01T10:15:00+08:00", "total_fen": 2350,
                "items": [{"kind": "points_multiplier", "saved_fen": 350}, {"kind": "voucher", "saved_fen": 2000}]},
}
ORDER_EXAMPLE = {
    "order_id": "po19a7f0c3b2e0123456789abcdef", "plan_id": "plus_year", "amount_fen": 9900, "status": "pending",
    "created_at": "2026-12-01T02:15:00.000+00:00",
    "payment": {"kind": "jsapi", "appId": "wx-local-miniprogram", "timeStamp": "1795918500",
                "nonceStr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                "package": "prepay_id=wx201410272009395522657a690389285100", "signType": "RSA",
                "paySign": "oR9d8PuhnIc+YZ8cBHFCwfgpaK9gd7vaRvkYD7rthRAZ/X+QBhcCYL21N7cHCTUxbQ+EAt6Uy+lwSN22f5=="},
}


@api.route("/v1/membership/plans", "GET", auth="public", response="PlanList", summary="The Plus plans on offer "
           "(operator-configured; price in fen)", examples={"response": PLANS_EXAMPLE})
def list_membership_plans(ctx: RequestContext) -> dict:
    return plans.list_plans()


@api.route("/v1/me/membership", "GET", auth="member", response="MembershipOut", errors=("not_found",),
           summary="My Plus membership: status (none, trial, active, expired), expiry (Asia/Shanghai) and what it "
                   "saved me this membership year, netted of refunds", examples={"response": MEMBERSHIP_EXAMPLE})
def get_my_membership(ctx: RequestContext) -> dict:
    return membership.my_membership(ctx.customer_id)


@api.route("/v1/membership/trial", "POST", auth="member", status=201, response="MembershipOut",
           errors=("not_found", "trial_already_used", "already_member", "service_unavailable"),
           summary="Start my 7-day Plus trial: once per person, across merged accounts and channels "
                   "(409 trial_already_used)",
           examples={"response": {**MEMBERSHIP_EXAMPLE, "status": "trial", "plan_id": None,
                                  "expires_at": "2026-12-08T10:15:00+08:00",
                                  "savings": {"since": "2026-12-01T10:15:00+08:00", "total_fen": 0, "items": []}}})
def start_membership_trial(ctx: RequestContext) -> Result:
    return membership.start_trial(ctx.customer_id)


@api.route("/v1/membership/orders", "POST", auth="member", status=201, body="PlusOrderIn", response="PlusOrderOut",
           idempotent=True,
           errors=("validation_error", "malformed_json", "idempotency_key_required",
                   "idempotency_key_reused", "not_found", "plan_not_found", "plan_not_on_sale", "deletion_pending",
                   "wechat_sign_in_required", "payment_channel_unsupported", "payment_refused",
                   "payments_not_configured", "upstream_unavailable", "service_unavailable"),
           summary="Buy a Plus plan: the order and the payment parameters of the channel's WeChat Pay product "
                   "(payment.kind: jsapi in the mini-program and the official account, app in the native app, h5 or "
                   "native elsewhere; 409 wechat_sign_in_required or payment_channel_unsupported when the channel "
                   "cannot pay); the membership starts or extends when WeChat Pay's notification arrives",
           examples={"request": {"plan_id": "plus_year"}, "response": ORDER_EXAMPLE})
def create_membership_order(ctx: RequestContext) -> Result:
    return orders.create(ctx.customer_id, ctx.body.plan_id, ctx.idempotency_key, channel=ctx.channel,
                         client_ip=ctx.client_ip, payment_kind=ctx.body.payment_kind)
