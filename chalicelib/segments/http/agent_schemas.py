"""Request and response models of ``chalicelib/segments/http/agent.py`` (imported on first use)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery


class CallTaskQuery(PageQuery):
    pass


class CallOutcomeIn(Body):
    outcome: Literal["reached", "no_answer", "declined"]
    note: Annotated[MultilineText, StringConstraints(max_length=500)] | None = None


class CallTaskOut(Out):
    task_id: str
    campaign_id: str
    campaign_name: str
    customer_id: str
    member_no: str | None = None
    tier: str | None = None
    status: Literal["open", "claimed", "done"] = Field(description="a claim past its claim_until reads open again")
    created_at: str
    claimed_by: str | None = None
    claimed_at: str | None = None
    claim_until: str | None = Field(default=None, description="the claim lapses then (the campaign's expires_days)")
    outcome: Literal["reached", "no_answer", "declined"] | None = None
    note: str | None = None
    done_at: str | None = None


class CallTaskList(Out):
    mine: list[CallTaskOut] = Field(description="the tasks I hold")
    pool: list[CallTaskOut] = Field(description="a page of the unclaimed tasks, oldest first")
    next_cursor: str | None = None
