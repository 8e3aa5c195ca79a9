"""Operators (role admin): rewards of the points mall."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.mall import reward_edits, rewards
else:  # loaded when a view first runs (core/lazy.py)
    rewards = lazy_module("chalicelib.mall.rewards")
    reward_edits = lazy_module("chalicelib.mall.reward_edits")


api = Api(__name__, "admin")



@api.route("/v1/admin/rewards", "POST", auth="admin", status=201, body="RewardIn",
           response="RewardCreated",
           errors=("validation_error", "malformed_json", "not_found"),
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


ADMIN_VIEW_EXAMPLE = {"reward_id": "rwd_5f2c9a7e1b3d4c60", "name": "爱奇艺黄金会员月卡", "description": None,
                      "points_cost": 1500, "per_member_limit": 2, "paused": False, "fulfillment": "partner",
                      "stock_total": 150, "stock_remaining": 87, "stock_by_shard": [9, 9, 9, 9, 9, 9, 9, 8, 8, 8],
                      "available": True, "ver": 3}


@api.route("/v1/admin/rewards/{reward_id}", "GET", auth="admin", response="RewardAdminOut",
           errors=("not_found", "service_unavailable"),
           summary="A reward as an operator edits it: its definition, version and the stock left on each shard",
           examples={"response": ADMIN_VIEW_EXAMPLE})
def get_reward_admin(ctx: RequestContext, reward_id: str) -> dict:
    return reward_edits.admin_view(reward_id)


@api.route("/v1/admin/rewards/{reward_id}", "PATCH", auth="admin", body="RewardEditIn", response="RewardAdminOut",
           errors=("validation_error", "malformed_json", "not_found", "stock_removal_exceeds_unsold",
                   "reward_edit_conflict", "service_unavailable"),
           summary="Edit a reward: name, description, points cost, per-member limit, paused, and stock added or "
                   "removed (never more than is unsold; safe against redemptions at the same moment)",
           examples={"request": {"points_cost": 1200, "stock_change": 50, "paused": False, "ver": 2},
                     "response": ADMIN_VIEW_EXAMPLE})
def edit_reward(ctx: RequestContext, reward_id: str) -> dict:
    """One transaction of the definition and every stock shard; a redemption that raced it is planned again."""
    b = ctx.body
    assert ctx.principal is not None
    fields = {name: getattr(b, name) for name in reward_edits.EDITABLE if name in b.model_fields_set}
    return reward_edits.edit(reward_id, fields, b.stock_change, ctx.principal.staff_id or ctx.principal.subject,
                             expected_ver=b.ver)
