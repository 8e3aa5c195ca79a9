"""Request and response models of ``chalicelib/benefits/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, MultilineText, Out, Text

# Class names are OpenAPI component names: keep them unique across the app.
Period = Literal["day", "week", "month", "year", "lifetime"]
Kind = Literal["free_shipping", "member_price", "partner_membership", "points_multiplier", "coupon", "gift", "service"]
Trigger = Literal["claim", "opening_gift", "birthday"]


class BenefitQuotaIn(Body):
    per_period: int = Field(ge=0, le=1000)
    period: Period


class BenefitIn(Body):
    name: Text = Field(min_length=1, max_length=64)
    tiers: list[str] = Field(min_length=1, max_length=20)
    quota: BenefitQuotaIn
    voucher_valid_days: int = Field(ge=1, le=3660)
    kind: Kind | None = None
    trigger: Trigger | None = None
    description: MultilineText | None = Field(default=None, max_length=500)
    plus_only: bool = False  # only Plus members may claim it


class BenefitPatch(Body):
    name: Text | None = Field(default=None, min_length=1, max_length=64)
    tiers: list[str] | None = Field(default=None, min_length=1, max_length=20)
    quota: BenefitQuotaIn | None = None
    voucher_valid_days: int | None = Field(default=None, ge=1, le=3660)
    kind: Kind | None = None
    trigger: Trigger | None = None
    description: MultilineText | None = Field(default=None, max_length=500)
    plus_only: bool | None = None


class BenefitConfigQuota(Out):
    per_period: int
    period: Period


class BenefitConfigOut(Out):
    benefit_id: str
    name: str
    tiers: list[str]
    quota: BenefitConfigQuota
    voucher_valid_days: int
    kind: str
    trigger: str
    status: Literal["active", "disabled"]
    description: str | None = None
    plus_only: bool | None = None
    ver: int | None = None
    created_at: str | None = None
    created_by: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None


class BenefitConfigList(Out):
    items: list[BenefitConfigOut]
    next_cursor: str | None
