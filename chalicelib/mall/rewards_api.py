"""The points mall's catalogue: rewards with their cost, stock left, tiers and how they are fulfilled."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.mall import rewards
else:  # loaded when a view first runs (core/lazy.py)
    rewards = lazy_module("chalicelib.mall.rewards")


api = Api(__name__, "mall")


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
           errors=("validation_error",),
           summary="The points mall, newest first: cost, stock left (refreshed every few seconds), tiers, fulfilment",
           examples={"response": {"items": [REWARD_EXAMPLE], "next_cursor": None}})
def list_rewards(ctx: RequestContext) -> dict:
    return rewards.list_view(ctx.query.limit, ctx.query.cursor)


@api.route("/v1/rewards/{reward_id}", "GET", auth="public", response="RewardOut", errors=("not_found",),
           summary="One reward (tiers null: every tier may redeem it)", examples={"response": REWARD_EXAMPLE})
def get_reward(ctx: RequestContext, reward_id: str) -> dict:
    return rewards.get_view(reward_id)
