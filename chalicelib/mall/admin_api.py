"""Operators (role admin): rewards of the points mall."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.mall import rewards
else:  # loaded when a view first runs (core/lazy.py)
    rewards = lazy_module("chalicelib.mall.rewards")


api = Api(__name__, "admin")

ADMIN_ERRORS = ("unauthorized", "invalid_token", "token_expired", "forbidden")


@api.route("/v1/admin/rewards", "POST", auth="admin", status=201, body="RewardIn",
           response="RewardCreated",
           errors=(*ADMIN_ERRORS, "validation_error", "malformed_json", "not_found"),
           summary="Create a reward (no tiers: every tier); its stock is split over shards for flash sales",
           examples={"request": {"name": "爱奇艺黄金会员月卡", "points_cost": 1500, "stock": 100, "per_member_limit": 2,
                                 "fulfillment": "partner", "starts_at": "2026-11-11T00:00:00+08:00"},
                     "response": {"reward_id": "rwd_5f2c9a7e1b3d4c60", "stock_shards": 10}})
def create_reward(ctx: RequestContext) -> dict:
    b = ctx.body
    assert ctx.principal is not None
    reward_id = rewards.create_reward(
        name=b.name, description=b.description, points_cost=b.points_cost, stock=b.stock,
        per_member_limit=b.per_member_limit, tiers=b.tiers, plus_only=b.plus_only,
        fulfillment=b.fulfillment, partner=b.partner,
        voucher_valid_days=b.voucher_valid_days, starts_at=b.starts_at, ends_at=b.ends_at,
        stock_shards=b.stock_shards, staff_id=ctx.principal.staff_id or ctx.principal.subject,
    )
    return {"reward_id": reward_id, "stock_shards": rewards.definition(reward_id).shards}
