"""Request and response models of ``chalicelib/points/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, Field

from chalicelib.core.http.models import Body, Out, PageQuery, Text

CODE = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")


class TierIn(Body):
    code: str = CODE
    name: Text = Field(min_length=1, max_length=32)
    badge: Text = Field(min_length=1, max_length=64)
    rank: int = Field(ge=0, le=100)
    metric: Literal["spend_12m_fen", "orders_12m", "points_12m"]
    threshold: int = Field(ge=0, le=10**12)
    multiplier: Decimal = Field(ge=0, le=100, max_digits=6, decimal_places=3)


class TiersIn(Body):
    tiers: list[TierIn] = Field(min_length=1, max_length=20)


class TierOut(Out):
    code: str
    name: str
    badge: str
    rank: int
    metric: str
    threshold: int
    multiplier: str


class TierList(Out):
    items: list[TierOut]
    next_cursor: str | None


class FloorIn(Body):
    tier_code: str | None = CODE
    until: date | None = None


class PromotionIn(Body):
    name: Text = Field(min_length=1, max_length=64)
    multiplier: Decimal = Field(gt=0, le=100, max_digits=6, decimal_places=3)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    channels: list[str] = Field(default_factory=list, max_length=10)
    tiers: list[str] = Field(default_factory=list, max_length=20)


class PromotionOut(Out):
    promotion_id: str
    name: str
    multiplier: str
    starts_at: str
    ends_at: str
    channels: list[str]
    tiers: list[str]
    created_by: str | None = None
    created_at: str | None = None


class PromotionList(Out):
    items: list[PromotionOut]
    next_cursor: str | None


class CheckinIn(Body):
    base_points: int = Field(ge=0, le=10_000)
    streak_bonuses: dict[int, int] = Field(default_factory=dict, max_length=31)
    cycle_days: int | None = Field(default=7, ge=1, le=366)


class SettingsIn(Body):
    expiry_horizon_months: int | None = Field(default=None, ge=0, le=120)
    points_per_yuan: Decimal | None = Field(default=None, ge=0, le=1000, max_digits=8, decimal_places=3)
    checkin: CheckinIn | None = None
    claim_window_days: int | None = Field(default=None, ge=1, le=366)
    max_open_claims: int | None = Field(default=None, ge=1, le=100)


class AdjustmentIn(Body):
    customer_id: str = Field(min_length=3, max_length=64)
    delta: int = Field(ge=-10_000_000, le=10_000_000)
    reason: Text = Field(min_length=1, max_length=200)


class AdjustmentOut(Out):
    adjustment_id: str
    customer_id: str
    delta: int
    reason: str
    balance_after: int
    created_by: str
    created_at: str


class AdjustmentList(Out):
    items: list[AdjustmentOut]
    next_cursor: str | None


class Page(PageQuery):
    """A page of the list."""


class CheckinOut(Out):
    base_points: int
    streak_bonuses: dict[str, int]  # streak length (days, as text) -> bonus points
    cycle_days: int | None


class SettingsOut(Out):
    expiry_horizon_months: int
    points_per_yuan: str
    checkin: CheckinOut
    claim_window_days: int
    max_open_claims: int


class FloorOut(Out):
    tier_code: str | None
    until: str | None


class FloorTierOut(Out):
    code: str
    name: str
    badge: str


class FloorProgressOut(Out):
    next_tier: str | None
    metric: str
    current: int
    required: int | None


class MemberFloorOut(Out):
    """The member's floor as set, and the tier they hold with it."""

    customer_id: str
    floor: FloorOut
    tier: FloorTierOut
    tier_progress: FloorProgressOut
    metric_values: dict[str, int]
    evaluation_on: str | None
