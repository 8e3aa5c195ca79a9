"""Request and response models of ``chalicelib/benefits/http/member.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, Out, PageQuery

# Class names are OpenAPI component names: keep them unique across the app.
Period = Literal["day", "week", "month", "year", "lifetime"]
VoucherStatus = Literal["available", "used", "expired"]


class BenefitQuotaOut(Out):
    per_period: int
    period: Period
    used: int
    remaining: int
    resets_at: str | None = None


class BenefitTierOut(Out):
    code: str
    name: str


class BenefitOut(Out):
    benefit_id: str
    name: str
    eligible: bool
    tiers: list[str]
    quota: BenefitQuotaOut
    description: str | None = None
    kind: str | None = None
    trigger: str | None = None
    voucher_valid_days: int | None = None
    unlock_tier: BenefitTierOut | None = None
    plus_only: bool | None = None  # only Plus members may claim it


class ZoneTierOut(Out):
    """The tier the member holds, whose benefits the zone shows."""

    code: str
    name: str
    badge: str


class BenefitsZoneOut(Out):
    tier: ZoneTierOut
    items: list[BenefitOut]
    next_cursor: str | None


class BenefitClaimOut(Out):
    voucher_id: str
    benefit_id: str
    expires_at: str
    name: str | None = None
    kind: str | None = None
    status: str | None = None
    period_key: str | None = None
    created_at: str | None = None


class VoucherOut(Out):
    voucher_id: str
    benefit_id: str
    status: VoucherStatus
    expires_at: str
    name: str | None = None
    kind: str | None = None
    source: str | None = None
    created_at: str | None = None
    used_at: str | None = None
    order_no: str | None = None


class VoucherPage(Out):
    items: list[VoucherOut]
    next_cursor: str | None


class VoucherQuery(PageQuery):
    status: VoucherStatus | None = None


class VoucherUseBody(Body):
    order_no: str | None = Field(default=None, min_length=1, max_length=64)


class VoucherUseOut(Out):
    voucher_id: str
    status: str
    used_at: str | None = None
    order_no: str | None = None
