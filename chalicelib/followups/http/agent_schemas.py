"""Request and response models of ``chalicelib/followups/http/agent.py`` and ``member_notifications.py``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery


class CaseQueue(PageQuery):
    status: Literal["open", "claimed", "resolved"] = "open"


class Priority(Out):
    tier_code: str | None
    tier_rank: int


class CaseSubject(Out):
    """What failed: a reward's or an item's name, the points and the amount (fen) at stake, the quantity; for a
    survey's callback, the survey's title with the member's score on its scale."""

    name: str | None = None
    points: int | None = None
    amount_fen: int | None = None
    quantity: int | None = None
    score: int | None = None
    scale: Literal["csat", "nps"] | None = None


class CaseSummary(Out):
    case_id: str
    status: Literal["open", "claimed", "resolved"]
    kind: str
    transaction_id: str
    customer_id: str
    member_no: str | None = None
    reference: str | None
    subject: CaseSubject | None = None
    attempt_count: int = 0
    priority: Priority
    opened_at: str
    respond_by: str
    close_by: str
    response_overdue: bool
    close_overdue: bool
    responded_at: str | None = None  # the first claim: the response target is met (or missed) then
    last_error: str | None
    claimed_by: str | None
    claimed_at: str | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: str | None


class CasePage(Out):
    items: list[CaseSummary]
    next_cursor: str | None


class Attempt(Out):
    at: str
    ok: bool
    where: str | None = None
    error: str | None = None
    by: str | None = None  # the agent, on an agent's retry
    deliveries: int | None = None  # the hand-over: how many times the queue delivered the message


class CaseTransaction(Out):
    transaction_id: str
    kind: str
    status: str
    reference: str | None
    payload: dict[str, Any]
    created_at: str
    updated_at: str | None
    attempt_count: int
    last_error: str | None


class MemberContact(Out):
    customer_id: str
    member_no: str | None
    name: str | None
    tier_code: str | None
    phone_masked: str | None
    phone: str | None
    contact_revealed: bool


class Note(Out):
    at: str
    by: str
    text: str


class Action(Out):
    at: str
    by: str
    action: str
    detail: str | None = None  # opened: what the transaction was; claimed: the contact revealed
    note: str | None = None  # released, resolved: the agent's note
    resolution: str | None = None  # resolved: how
    ok: bool | None = None  # retried: whether the retry worked
    error: str | None = None  # retried, failed: why


class RetryOutcome(Out):
    ok: bool
    error: str | None = None


class CaseOut(CaseSummary):
    transaction: CaseTransaction | None
    attempts: list[Attempt]
    member: MemberContact
    resolution_note: str | None
    notes: list[Note]
    actions: list[Action]
    record: dict[str, Any] | None
    retry: RetryOutcome | None = None
    compensation: dict[str, Any] | None = None


class NoteIn(Body):
    text: MultilineText = Field(min_length=1, max_length=2000)


class ReleaseIn(Body):
    note: MultilineText | None = Field(default=None, max_length=2000)


class ResolveIn(Body):
    resolution: Literal["completed_manually", "refunded", "cancelled"]
    note: MultilineText | None = Field(default=None, max_length=2000)


MAX_BULK = 50


class BulkResolveIn(Body):
    case_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=MAX_BULK)
    resolution: Literal["completed_manually", "refunded", "cancelled"]
    note: MultilineText | None = Field(default=None, max_length=2000)


class BulkError(Out):
    code: str
    message: str


class BulkResult(Out):
    case_id: str
    ok: bool
    status: str | None = None
    resolution: str | None = None
    compensation: dict[str, Any] | None = None
    error: BulkError | None = None


class BulkResolveOut(Out):
    resolved: int
    failed: int
    results: list[BulkResult]
