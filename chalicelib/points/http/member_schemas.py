"""Request and response models of ``chalicelib/points/http/member.py`` (imported on first use)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery


class Page(PageQuery):
    """A page of the list."""


class BucketOut(Out):
    points: int
    expires_on: str


class ExpiringOut(Out):
    points: int
    on: str | None


class PointsOut(Out):
    balance: int
    debt: int
    buckets: list[BucketOut]
    expiring: ExpiringOut


class LedgerEntryOut(Out):
    entry_id: str
    delta: int
    balance_after: int
    kind: str
    reference: str | None
    created_at: str
    expires_on: str | None = None
    reason: str | None = None  # why an adjustment or a claim moved the points
    debt_delta: int | None = None  # a refund of spent points: the debt it added (later earnings repay it: negative)
    debt_after: int | None = None


class LedgerPage(Out):
    items: list[LedgerEntryOut]
    next_cursor: str | None


class CheckInOut(Out):
    points_awarded: int
    streak_days: int
    checked_in_on: str
    balance_after: int


class ClaimBody(Body):
    order_no: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    store_id: str | None = Field(default=None, min_length=1, max_length=64)
    amount_fen: int = Field(gt=0, le=100_000_000)
    purchased_on: date
    note: MultilineText | None = Field(default=None, max_length=500)


class ClaimOut(Out):
    claim_id: str
    customer_id: str
    status: str
    order_no: str
    amount_fen: int
    purchased_on: str
    store_id: str | None = None
    note: str | None = None
    created_at: str
    decided_at: str | None = None
    reason: str | None = None
    points_awarded: int | None = None


class ClaimPage(Out):
    items: list[ClaimOut]
    next_cursor: str | None
