"""Redemptions in the points mall (Idempotency-Key), the member's redemptions, and accepted-for-retry
transactions (``GET /v1/me/transactions/{id}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module
from chalicelib.core.results import Result

if TYPE_CHECKING:
    from chalicelib.mall import redeeming, redemption_views, rewards
else:  # loaded when a view first runs (core/lazy.py)
    redeeming = lazy_module("chalicelib.mall.redeeming")
    redemption_views = lazy_module("chalicelib.mall.redemption_views")
    rewards = lazy_module("chalicelib.mall.rewards")

api = Api(__name__, "mall")



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
           errors=("validation_error", "malformed_json", "idempotency_key_required",
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
           errors=("validation_error",), summary="My redemptions, newest first",
           examples={"response": {"items": [REDEMPTION_EXAMPLE], "next_cursor": None}})
def list_my_redemptions(ctx: RequestContext) -> dict:
    return redemption_views.my_redemptions(ctx.customer_id, ctx.query.limit, ctx.query.cursor)


@api.route("/v1/me/redemptions/{redemption_id}", "GET", auth="member", response="RedemptionOut",
           errors=("not_found",), summary="One of my redemptions (another member's: 404)",
           examples={"response": REDEMPTION_EXAMPLE})
def get_my_redemption(ctx: RequestContext, redemption_id: str) -> dict:
    return redemption_views.my_redemption(ctx.customer_id, redemption_id)


@api.route("/v1/me/transactions/{transaction_id}", "GET", auth="member", response="TransactionOut",
           errors=("not_found",),
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


REWARD_EXAMPLE = {
    "reward_id": "rwd_5f2c9a7e1b3d4c60",
    "name": "爱奇艺黄金会员月卡",
    "description": "兑换后发放会员兑换码",
    "points_cost": 1500,
    "stock_remaining": 87,
    "tiers": None,
    "plus_only": False,
    "fulfillment": "partner",
    "per_member_limit": 2,
    "starts_at": None,
    "ends_at": None,
    "available": True,
}


@api.route("/v1/rewards", "GET", auth="public", query="RewardPage", response="RewardList",
           errors=("validation_error", "service_unavailable"),
           summary="The points mall, newest first: cost, stock left (refreshed every few seconds), tiers, fulfilment",
           examples={"response": {"items": [REWARD_EXAMPLE], "next_cursor": None}})
def list_rewards(ctx: RequestContext) -> dict:
    return rewards.list_view(ctx.query.limit, ctx.query.cursor)


@api.route("/v1/rewards/{reward_id}", "GET", auth="public", response="RewardOut", errors=("not_found",),
           summary="One reward (tiers null: every tier may redeem it)", examples={"response": REWARD_EXAMPLE})
def get_reward(ctx: RequestContext, reward_id: str) -> dict:
    return rewards.get_view(reward_id)
