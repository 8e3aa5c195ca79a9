"""Request and response models of ``chalicelib/mall/rewards_api.py`` (imported on first use)."""

from __future__ import annotations

from chalicelib.core.http.models import Out, PageQuery


class RewardPage(PageQuery):
    """A page of the list."""


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
