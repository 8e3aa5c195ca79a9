"""Request and response models of ``chalicelib/points/http/agent.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery, Text
from chalicelib.points.http.member_schemas import ClaimOut


class CompensationIn(Body):
    points: int = Field(ge=1, le=1_000_000)
    reason: Text = Field(min_length=1, max_length=200)
    case_id: str | None = Field(default=None, min_length=1, max_length=64)


class CompensationOut(Out):
    compensation_id: str
    status: Literal["done", "pending_approval"]
    points: int
    approval_id: str | None = Field(description="set when the compensation waits for a supervisor's approval")
    balance_after: int | None = Field(description="the member's balance once done; null while pending")


class ApprovalPending(Out):
    approval_id: str
    status: Literal["pending_approval"]
    kind: Literal["compensation", "adjustment", "refund"]
    reference: str = Field(description="the compensation, adjustment or refund ID it becomes once approved")
    points: int
    amount_fen: int | None = Field(default=None, description="a refund's money")


class ApprovalQuery(PageQuery):
    status: Literal["pending", "approved", "rejected"] = "pending"


class DecisionIn(Body):
    reason: Text = Field(min_length=1, max_length=200)


class ApprovalOut(Out):
    approval_id: str
    kind: Literal["compensation", "adjustment", "refund"]
    customer_id: str
    points: int
    amount_fen: int | None = None
    reason: str
    reference: str
    case_id: str | None = None
    maker: str
    status: Literal["pending", "approved", "rejected"]
    created_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    balance_after: int | None = None


class ApprovalPage(Out):
    items: list[ApprovalOut]
    next_cursor: str | None = None


class ClaimQueue(PageQuery):
    status: Literal["pending", "approved", "rejected"] = "pending"


class AgentClaimOut(ClaimOut):
    customer_id: str
    balance_after: int | None = None


class AgentClaimPage(Out):
    items: list[AgentClaimOut]
    next_cursor: str | None


class ApproveBody(Body):
    note: MultilineText | None = Field(default=None, max_length=500)


class RejectBody(Body):
    reason: Text = Field(min_length=1, max_length=500)
