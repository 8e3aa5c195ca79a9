"""Request and response models of ``chalicelib/points/claims_api.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery, Text
from chalicelib.points.schemas import ClaimOut


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
