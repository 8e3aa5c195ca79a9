"""Request and response models of ``chalicelib/c2b/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.c2b import rules
from chalicelib.core.http.models import Body, MultilineText, Out, Text

Note = Annotated[MultilineText, StringConstraints(min_length=1, max_length=500)]
Label = Annotated[Text, StringConstraints(min_length=1, max_length=40)]
OperatorStatus = Literal["under_review", "accepted", "in_production", "launched", "declined", "hidden"]


class LaunchVoucherIn(Body):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=40)]
    kind: Literal["early_access_price", "gift"] = "early_access_price"
    valid_days: int = Field(default=30, ge=1, le=365, strict=True)


class StatusIn(Body):
    status: OperatorStatus
    note: Note
    voucher: LaunchVoucherIn | None = None  # on launched: what every supporter receives (a default otherwise)


class StatusOut(Out):
    request_id: str
    status: str
    note: str
    updated_at: str


class ProductRequestPatch(Body):
    threshold: int | None = Field(default=None, ge=1, le=10_000_000, strict=True)


class ThresholdOut(Out):
    request_id: str
    threshold: int
    status: str
    demand_quantity: int


class PollIn(Body):
    question: Annotated[Text, StringConstraints(min_length=2, max_length=100)]
    options: list[Label] = Field(min_length=2, max_length=rules.MAX_OPTIONS)
    supporters_only: bool = Field(default=False, strict=True)


class AdminPollOption(Out):
    option_id: str
    label: str


class PollCreated(Out):
    poll_id: str
    question: str
    supporters_only: bool
    options: list[AdminPollOption]


class PollClosed(Out):
    poll_id: str
    closed: bool


class AdminProductRequestOut(Out):
    request_id: str
    customer_id: str
    status: str
    support_count: int
    demand_quantity: int
    threshold: int
