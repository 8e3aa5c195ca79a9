"""Request and response models of ``chalicelib/privacy/http/member.py`` (imported on first use)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, field_validator

from chalicelib.core.http.models import Body, Out, PageQuery

Purpose = Literal["marketing", "profiling", "partner_sharing", "privacy_policy"]
Version = str


class PolicyOut(Out):
    version: str
    published_at: str
    url: str


class PolicyIn(Body):
    version: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
    url: str = Field(min_length=8, max_length=500, pattern=r"^https://\S+$")


class ConsentIn(Body):
    purpose: Purpose
    granted: StrictBool
    policy_version: str = Field(min_length=1, max_length=32)


class Receipt(Out):
    receipt_id: str
    purpose: Purpose
    granted: bool
    policy_version: str
    channel: str | None
    at: str


class CurrentConsents(Out):
    marketing: bool
    profiling: bool
    partner_sharing: bool


class PolicyState(Out):
    version: str
    accepted_version: str | None
    needs_acceptance: bool


class ConsentsOut(Out):
    current: CurrentConsents
    policy: PolicyState
    items: list[Receipt]
    next_cursor: str | None = None


class ReceiptsQuery(PageQuery):
    pass


class ExportOut(Out):
    export_id: str
    status: Literal["preparing", "ready", "expired"]
    ready_at: str | None = None
    expires_at: str | None = None


class ExportBundle(Out):
    """The member's data: ``areas`` holds, per area, per item kind, every item with the attributes the personal-data
    registry exports."""

    export_id: str
    customer_id: str
    generated_at: str
    areas: dict[str, dict[str, list[dict[str, Any]]]]


class DeletionIn(Body):
    confirm: Literal[True]
    reason: str | None = Field(default=None, max_length=200)

    @field_validator("confirm", mode="before")
    @classmethod
    def _json_true(cls, value: Any) -> Any:
        """JSON's ``true`` only: ``1`` equals ``True`` in Python, so the literal alone would take it."""
        if value is not True:
            raise ValueError("must be the JSON value true")
        return value


class DeletionOut(Out):
    status: Literal["none", "cooling_off", "erasing"]
    requested_at: str | None = None
    effective_at: str | None = None
    reason: str | None = None


class PlusHeld(Out):
    active: bool
    days_left: int


class OpenItems(Out):
    appointments: int
    registrations: int
    pledges: int
    cases: int
    transactions_retrying: int


class Blocking(Out):
    code: str
    message: str


class DeletionPreview(Out):
    points_balance: int
    points_expiring_30d: int
    plus: PlusHeld
    open: OpenItems
    blocking: list[Blocking]


class DeletionRequest(DeletionOut):
    customer_id: str
    due_by: str
    overdue: bool
    case_opened_at: str | None = None
    channel: str | None = None  # where the member asked: their app or WeChat channel, or hotline
    recorded_by: str | None = None  # the agent who recorded a hotline request


class HotlineDeletionIn(Body):
    """A member's request to close their account, made on the hotline and recorded by an agent."""

    confirm: Literal[True]
    verification: str = Field(min_length=2, max_length=200)  # how the caller was verified as the member
    reason: str | None = Field(default=None, max_length=200)

    @field_validator("confirm", mode="before")
    @classmethod
    def _json_true(cls, value: Any) -> Any:
        return DeletionIn._json_true(value)


class DeletionList(Out):
    items: list[DeletionRequest]


class DeletionHeld(Out):
    """A member's deletion request as agents see it (all None: none made)."""

    requested_at: str | None
    effective_at: str | None
    erased_at: str | None
    channel: str | None  # where the member asked: their app or WeChat channel, or hotline
    recorded_by: str | None  # the agent who recorded a hotline request


class Privacy360Section(Out):
    consents: CurrentConsents
    policy: PolicyState
    deletion: DeletionHeld


class Member360Privacy(Out):
    """The privacy area's keys of the agents' 360 view."""

    privacy: Privacy360Section
