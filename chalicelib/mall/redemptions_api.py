"""Redemptions in the points mall (Idempotency-Key), the member's redemptions, and accepted-for-retry
transactions (``GET /v1/me/transactions/{id}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.mall import redeeming, redemption_views
else:  # loaded when a view first runs (core/lazy.py)
    redeeming = lazy_module("chalicelib.mall.redeeming")
    redemption_views = lazy_module("chalicelib.mall.redemption_views")


api = Api(__name__, "mall")

MEMBER_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


REDEMPTION_EXAMPLE = {
    "redemption_id": "rdm_19a7f0c3b2e4f1a2b3c4d",
    "status": "completed",
    "points_spent": 1500,
    "balance_after": 320,
    "reward_id": "rwd_5f2c9a7e1b3d4c60",
    "quantity": 1,
    "fulfillment": "in_house",
    "created_at": "2026-11-11T00:00:01.234+00:00",
    "vouchers": [{"code": "K7QH2MZP9XRT", "expires_at": "2026-12-11T00:00:01.234+00:00"}],
}


@api.route("/v1/redemptions", "POST", auth="member", status=201, body="RedemptionIn",
           response="RedemptionOut", other_responses={202: "RedemptionAcceptedOut"},
           idempotent=True,
           errors=(*MEMBER_ERRORS, "validation_error", "malformed_json", "idempotency_key_required",
                   "idempotency_key_reused", "not_found", "deletion_pending",
                   "insufficient_points", "out_of_stock", "tier_not_eligible",
                   "plus_required", "redemption_limit_reached", "reward_not_available", "service_unavailable"),
           other_statuses={202: "Accepted for retry: {transaction_id, status: retrying}; "
                                "GET /v1/me/transactions/{id} tells the outcome"},
           summary="Redeem a reward: points (soonest-expiring first), stock, redemption and ledger entry in one "
                   "transaction; 202 {transaction_id, status: retrying} when a partner's fulfilment must be retried",
           examples={"request": {"reward_id": "rwd_5f2c9a7e1b3d4c60", "quantity": 1},
                     "response": REDEMPTION_EXAMPLE})
def create_redemption(ctx: RequestContext) -> Result:
    return redeeming.redeem(ctx.customer_id, ctx.body.reward_id, ctx.body.quantity, ctx.idempotency_key,
                              ctx.channel)


@api.route("/v1/me/redemptions", "GET", auth="member", query="RedemptionQuery",
           response="RedemptionPage",
           errors=(*MEMBER_ERRORS, "validation_error"), summary="My redemptions, newest first",
           examples={"response": {"items": [REDEMPTION_EXAMPLE], "next_cursor": None}})
def list_my_redemptions(ctx: RequestContext) -> dict:
    return redemption_views.my_redemptions(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/me/redemptions/{redemption_id}", "GET", auth="member", response="RedemptionOut",
           errors=(*MEMBER_ERRORS, "not_found"), summary="One of my redemptions (another member's: 404)",
           examples={"response": REDEMPTION_EXAMPLE})
def get_my_redemption(ctx: RequestContext, redemption_id: str) -> dict:
    return redemption_views.my_redemption(ctx.customer_id, redemption_id)


@api.route("/v1/me/transactions/{transaction_id}", "GET", auth="member", response="TransactionOut",
           errors=(*MEMBER_ERRORS, "not_found"),
           summary="The outcome of a request answered 202 accepted-for-retry: completed, retrying, "
                   "needs_follow_up, failed or refunded",
           examples={"response": {"transaction_id": "txn_19a7f0c3b2e4f1a2b3c4d", "kind": "redemption_fulfillment",
                                  "status": "retrying", "reference": "rdm_19a7f0c3b2e4f1a2b3c4d",
                                  "redemption_id": "rdm_19a7f0c3b2e4f1a2b3c4d",
                                  "created_at": "2026-11-11T00:00:01.234+00:00",
                                  "updated_at": "2026-11-11T00:00:01.400+00:00", "completed_at": None,
                                  "attempts": 1, "last_error": "partner unavailable", "queued": True}})
def get_my_transaction(ctx: RequestContext, transaction_id: str) -> dict:
    return redemption_views.my_transaction(ctx.customer_id, transaction_id)
