"""Request and response models of ``chalicelib/c2b/http/member.py`` (imported on first use). Every field has a length or
range limit; unknown fields are refused (``Body``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from chalicelib.c2b import rules
from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery, Query, Text

Title = Annotated[Text, StringConstraints(min_length=2, max_length=60)]
Description = Annotated[MultilineText, StringConstraints(min_length=10, max_length=2000)]
Category = Annotated[Text, StringConstraints(min_length=1, max_length=30)]
Specs = Annotated[MultilineText, StringConstraints(min_length=1, max_length=1000)]
ListedStatus = Literal["open", "threshold_reached", "under_review", "accepted", "in_production", "launched",
                       "declined"]


class ProductRequestIn(Body):
    title: Title
    description: Description
    category: Category
    target_price_fen: int | None = Field(default=None, ge=1, le=100_000_000, strict=True)
    specs: Specs | None = None


class ProductRequestCreated(Out):
    request_id: str
    status: str
    threshold: int
    created_at: str


class SupportIn(Body):
    quantity: int | None = Field(default=None, ge=1, le=rules.MAX_QUANTITY, strict=True)


class MySupportOut(Out):
    quantity: int
    created_at: str | None = None


class SupportOut(Out):
    request_id: str
    support_count: int
    demand_quantity: int
    threshold: int
    status: str
    my_support: MySupportOut | None = None


class VoteIn(Body):
    option_id: Annotated[str, StringConstraints(min_length=1, max_length=8)]


class PollOptionOut(Out):
    option_id: str
    label: str
    votes: int | None = None


class VoteOut(Out):
    poll_id: str
    my_vote: str
    options: list[PollOptionOut]


class PollOut(Out):
    poll_id: str
    question: str
    supporters_only: bool
    closed: bool
    options: list[PollOptionOut]
    my_vote: str | None = None


class HistoryOut(Out):
    status: str
    note: str | None = None
    at: str


class ProductRequestOut(Out):
    request_id: str
    title: str
    description: str
    category: str
    target_price_fen: int | None = None
    specs: str | None = None
    status: str
    note: str | None = None
    support_count: int
    demand_quantity: int
    threshold: int
    my_support: MySupportOut | None = None
    polls: list[PollOut]
    history: list[HistoryOut]
    created_at: str
    reached_at: str | None = None


class ProductRequestSummary(Out):
    request_id: str
    title: str
    description: str
    category: str
    status: str
    support_count: int
    demand_quantity: int
    threshold: int
    created_at: str


class ProductRequestPage(Out):
    items: list[ProductRequestSummary]
    next_cursor: str | None = None


class ProductRequestQuery(Query):
    status: ListedStatus | None = None
    sort: Literal["new", "popular"] = "new"
    limit: int = Field(default=20, ge=1, le=50)
    cursor: str | None = Field(default=None, min_length=1, max_length=512)


class MySupportsQuery(PageQuery):
    """A page of the list."""


class MySupportEntry(Out):
    request_id: str
    title: str
    quantity: int
    created_at: str
    updated_at: str


class MySupportPage(Out):
    items: list[MySupportEntry]
    next_cursor: str | None = None


class Support360(Out):
    request_id: str
    title: str | None
    quantity: int
    created_at: str | None


class ProductRequests360(Out):
    supports: list[Support360]


class Member360ProductRequests(Out):
    """The keys the product-requests section adds to the agents' 360 view."""

    product_requests: ProductRequests360
