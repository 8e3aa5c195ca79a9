"""Request and response models of ``chalicelib/mall/rewards_api.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.http.models import Out, Query


class RewardPage(Query):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, min_length=1, max_length=512)


class RewardOut(Out):
    reward_id: str
    name: str
    description: str | None = None
    points_cost: int
    stock_remaining: int
    tiers: list[str] | None
    plus_only: bool = False  # only Plus members may redeem it: locked (403 plus_required) for the others
    fulfillment: str
    per_member_limit: int | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    available: bool


class RewardList(Out):
    items: list[RewardOut]
    next_cursor: str | None
