"""Request and response models of ``chalicelib/segments/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery, Text

Name = Annotated[Text, StringConstraints(min_length=1, max_length=60)]
Channel = Literal["in_app", "wechat", "sms"]
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


def _every_channel() -> list[Channel]:
    return ["in_app", "wechat", "sms"]


class MessageIn(Body):
    title: Annotated[Text, StringConstraints(min_length=1, max_length=20)]
    body: Annotated[MultilineText, StringConstraints(min_length=1, max_length=200)]


class OfferIn(Body):
    kind: Literal["voucher", "points"]
    benefit_id: Annotated[Text, StringConstraints(min_length=1, max_length=64)] | None = None
    name: Annotated[Text, StringConstraints(min_length=1, max_length=40)] | None = None
    valid_days: int = Field(default=30, ge=1, le=365, strict=True)
    points: int | None = Field(default=None, ge=1, le=100_000, strict=True)

    @model_validator(mode="after")
    def _what_is_given(self) -> OfferIn:
        if self.kind == "voucher" and not self.benefit_id:
            raise ValueError("a voucher offer names its benefit_id")
        if self.kind == "points" and not self.points:
            raise ValueError("a points offer gives points")
        return self


class CallListIn(Body):
    max_per_agent: int = Field(ge=1, le=200, strict=True)
    expires_days: int = Field(ge=1, le=60, strict=True)


class CampaignIn(Body):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=60)]
    segment_id: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    segment_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=40)]] | None = Field(
        default=None, min_length=1, max_length=5)
    message: MessageIn
    channels: list[Channel] = Field(default_factory=_every_channel, min_length=1)
    offer: OfferIn | None = None
    holdout_percent: int = Field(default=5, ge=0, le=50, strict=True)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    call_list: CallListIn | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> CampaignIn:
        if (self.segment_id is None) == (self.segment_ids is None):
            raise ValueError("give segment_id or segment_ids")
        return self


class CampaignCreated(Out):
    campaign_id: str
    status: str


class Suppressed(Out):
    no_consent: int
    capped: int
    quiet_hours: int = Field(description="in their quiet hours, which end only after the campaign does (quiet hours "
                                         "that end in time hold the message until then: it counts as sent)")
    no_grant: int = Field(description="none of the campaign's channels reaches the member (no WeChat grant or "
                                      "official-account identity, no phone, the channel off, and no in_app)")
    deleted: int


class Conversions(Out):
    treated: int
    holdout: int
    window_days: int


class CallListCounts(Out):
    tasks: int = Field(description="members put on the call list (counted in sent)")
    open: int = Field(description="tasks without an outcome yet")
    reached: int
    no_answer: int
    declined: int


class CampaignOut(Out):
    campaign_id: str
    name: str
    segment_ids: list[str]
    status: Literal["draft", "scheduled", "running", "done"] = Field(
        description="scheduled: launched before its starts_at; the fan-out begins then")
    audience: int = Field(description="members reached so far: sent + suppressed + holdout")
    holdout: int
    sent: int
    suppressed: Suppressed
    offers_granted: int
    conversions: Conversions
    call_list: CallListCounts | None = Field(default=None, description="a call-list campaign's tasks and outcomes")
    starts_at: str | None = None
    ends_at: str | None = None
    launched_at: str | None = None
    done_at: str | None = None
