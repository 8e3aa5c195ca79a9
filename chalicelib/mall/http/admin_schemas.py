"""Request and response models of ``chalicelib/mall/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from chalicelib.core.http.models import Body, MultilineText, Out, Text

MAX_SHARDS = 32  # chalicelib.mall.rewards.MAX_SHARDS


class RewardIn(Body):
    name: Text = Field(min_length=1, max_length=100)
    description: MultilineText | None = Field(default=None, max_length=1000)
    points_cost: int = Field(gt=0, le=10_000_000)
    stock: int = Field(ge=0, le=10_000_000)
    per_member_limit: int | None = Field(default=None, ge=1, le=1000)
    tiers: list[str] | None = Field(default=None, min_length=1, max_length=20)
    plus_only: StrictBool = False  # only members holding Plus may redeem it (403 plus_required otherwise)
    fulfillment: Literal["in_house", "partner"]
    partner: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    voucher_valid_days: int = Field(default=30, ge=1, le=3650)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    stock_shards: int | None = Field(default=None, ge=1, le=MAX_SHARDS)

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-11-11T00:00:00+08:00")
        return value


class RewardCreated(Out):
    reward_id: str
    stock_shards: int


class RewardEditIn(Body):
    """Only the fields sent change; ``null`` clears ``description`` or ``per_member_limit``."""

    name: Text | None = Field(default=None, min_length=1, max_length=100)
    description: MultilineText | None = Field(default=None, max_length=1000)
    points_cost: int | None = Field(default=None, gt=0, le=10_000_000)
    per_member_limit: int | None = Field(default=None, ge=1, le=1000,
                                         description="a limit set later counts the redemptions made from then on")
    paused: StrictBool | None = Field(default=None, description="paused: listed, but not redeemable (409)")
    stock_change: int = Field(default=0, ge=-10_000_000, le=10_000_000,
                              description="units added (positive) or removed (negative, at most those unsold)")
    ver: int | None = Field(default=None, ge=1, description="the version the operator saw: 409 if edited since")

    @model_validator(mode="after")
    def _something(self) -> RewardEditIn:
        for name in ("name", "points_cost", "paused"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if not (self.model_fields_set - {"ver", "stock_change"}) and not self.stock_change:
            raise ValueError("nothing to change: send a field or a non-zero stock_change")
        return self


class RewardAdminOut(Out):
    reward_id: str
    name: str
    description: str | None
    points_cost: int
    per_member_limit: int | None
    paused: bool
    fulfillment: Literal["in_house", "partner"]
    stock_total: int = Field(description="units ever made available: created, plus added, less removed")
    stock_remaining: int = Field(description="units unsold, summed over the shards")
    stock_by_shard: list[int] = Field(description="units unsold on each stock shard, shard 0 first")
    available: bool
    ver: int = Field(description="the definition's version: send it back as `ver` to edit only what you saw")
