"""Request and response models of ``chalicelib/segments/api.py`` (imported on first use).

A rule is ``{"all": [...]}`` / ``{"any": [...]}`` of ``{"fact", "op", "value"}``; it is checked by
``rules.validate`` (unknown fact or operator, wrong value type, nesting deeper than 5: 400 naming the path), so the
model only requires an object here."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from chalicelib.core.http.models import Body, Out, PageQuery, Text

Name = Annotated[Text, StringConstraints(min_length=1, max_length=60)]


class SegmentIn(Body):
    name: Name
    rule: dict[str, Any]


class SegmentPatch(Body):
    name: Name | None = None
    rule: dict[str, Any] | None = None


class SegmentOut(Out):
    segment_id: str
    name: str
    rule: dict[str, Any]
    size: int = Field(description="exact: members in the segment now")
    rebuilding: bool = Field(description="a rebuild over every member is still running (size is then partial)")
    updated_at: str


class SegmentPage(Out):
    items: list[SegmentOut]
    next_cursor: str | None = None


class SegmentMember(Out):
    customer_id: str
    member_no: str | None = None
    tier: str | None = None
    entered_at: str


class SegmentMemberPage(Out):
    items: list[SegmentMember]
    next_cursor: str | None = None


class SegmentPageQuery(PageQuery):
    pass


class ConditionOut(Out):
    fact: str
    op: str
    value: Any
    actual: Any
    met: bool


class WhyOut(Out):
    in_segment: bool = Field(description="the member is in the segment (its recorded membership)")
    matches_now: bool = Field(description="the rule matches the member's facts as of now")
    evaluated_at: str
    facts: dict[str, Any]
    conditions: list[ConditionOut]


class MemberSegment(Out):
    segment_id: str
    name: str
    entered_at: str


class MemberFactsOut(Out):
    customer_id: str
    facts: dict[str, Any] = Field(description="the facts rules name, RFM scores and group, lifecycle stage")
    segments: list[MemberSegment]
    updated_at_version: int


class SegmentFactOut(Out):
    fact: str
    type: str = Field(description="number, text, texts (a list: `has`) or flag")
    ops: list[str]
    values: list[Any] | None = Field(description="the fixed values the fact takes, or null when open")


class SegmentFactsOut(Out):
    facts: list[SegmentFactOut]
    max_depth: int


class Member360Facts(Out):
    """The segments area's keys in the agents' 360 view (no ``segments`` key before the member's first fact)."""

    facts: dict[str, Any] | None = Field(description="the facts rules name, RFM scores and group, lifecycle stage; "
                                                      "null before the member's first fact")
    segments: list[MemberSegment] | None = Field(default=None, description="the segments the member is in")
