"""Request and response models of ``chalicelib/mall/http/member.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, Out, PageQuery

MAX_QUANTITY = 10  # chalicelib.mall.redeeming.MAX_QUANTITY
class RedemptionIn(Body):
    reward_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class RedemptionVoucherOut(Out):
    code: str
    expires_at: str | None


class RedemptionOut(Out):
    redemption_id: str
    status: str
    points_spent: int
    balance_after: int
    reward_id: str
    quantity: int
    fulfillment: str
    created_at: str
    vouchers: list[RedemptionVoucherOut] | None = None
    partner_codes: list[str] | None = None
    transaction_id: str | None = None
    reward_name: str | None = None
    updated_at: str | None = None
    channel: str | None = None  # the channel the member redeemed from (X-Channel)


class RedemptionAcceptedOut(Out):
    """202: the partner's fulfilment is retried; ``GET /v1/me/transactions/{transaction_id}`` tells the outcome."""

    transaction_id: str
    status: Literal["retrying"]
    redemption_id: str


class RedemptionPage(Out):
    items: list[RedemptionOut]
    next_cursor: str | None


class RedemptionQuery(PageQuery):
    """A page of the list."""


class TransactionOut(Out):
    transaction_id: str
    kind: str
    status: str
    reference: str | None = None
    redemption_id: str | None = None
    created_at: str
    updated_at: str | None = None
    completed_at: str | None = None
    attempts: int
    last_error: str | None = None
    queued: bool


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
