"""Request and response models of the events' member routes (``api.py``) and operators' routes (``admin_api.py``).

Class names are OpenAPI component names: keep them unique across the app.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StrictBool, StringConstraints

from chalicelib.core.http.models import Body, MultilineText, Out, PageQuery, Query, Text

Tag = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z_\-\u4e00-\u9fff]+$")]
TierCode = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
MemberNo = Annotated[str, StringConstraints(min_length=4, max_length=20, pattern=r"^[0-9]+$")]
MyStatus = Literal["registered", "waitlisted", "checked_in"]


class EventProposalIn(Body):
    """What a member hosting an event gives (it is invite-only; points and tags are the operators')."""

    title: Annotated[Text, Field(min_length=1, max_length=60)]
    description: Annotated[MultilineText, Field(max_length=2000)] | None = None
    venue: Annotated[Text, Field(min_length=1, max_length=120)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1, le=500)


class EventIn(Body):
    title: Annotated[Text, Field(min_length=1, max_length=60)]
    description: Annotated[MultilineText, Field(max_length=2000)] | None = None
    venue: Annotated[Text, Field(min_length=1, max_length=120)]
    store_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int = Field(ge=1, le=5000)
    tiers: list[TierCode] | None = Field(default=None, max_length=10)
    tags: list[Tag] | None = Field(default=None, max_length=10)
    invite_only: StrictBool | None = None
    check_in_points: int | None = Field(default=None, ge=0, le=100_000)
    registration_closes_at: AwareDatetime | None = None
    participant_tags: list[Tag] | None = Field(default=None, max_length=10)
    waitlist_order: Literal["first_come", "tiers_first"] | None = None
    priority_tiers: list[TierCode] | None = Field(default=None, max_length=10)


class EventChangeIn(Body):
    title: Annotated[Text, Field(min_length=1, max_length=60)] | None = None
    description: Annotated[MultilineText, Field(max_length=2000)] | None = None
    venue: Annotated[Text, Field(min_length=1, max_length=120)] | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    registration_closes_at: AwareDatetime | None = None


class EventCreated(Out):
    event_id: str
    check_in_code: str
    status: str


class EventProposed(Out):
    event_id: str
    status: Literal["pending_approval"]


class EventOut(Out):
    event_id: str
    title: str
    starts_at: str
    ends_at: str
    venue: str
    capacity: int
    remaining: int
    waitlist_length: int
    my_status: MyStatus | None
    status: str | None = None
    registration_closes_at: str | None = None
    invite_only: bool | None = None
    check_in_points: int | None = None
    hosted_by_member: bool | None = None
    description: str | None = None
    invited: bool | None = None
    hosted_by_me: bool | None = None


class EventList(Out):
    items: list[EventOut]
    next_cursor: str | None = None


class EventQuery(PageQuery):
    """A page of the list."""


class RegistrationCreated(Out):
    registration_id: str
    status: Literal["registered", "waitlisted"]
    waitlist_position: int | None


class RegistrationOut(Out):
    registration_id: str
    event_id: str
    status: Literal["registered", "waitlisted", "checked_in", "cancelled", "check_in_revoked"]
    waitlist_position: int | None = None
    title: str | None = None
    starts_at: str | None = None
    ends_at: str | None = None
    created_at: str | None = None
    promoted_at: str | None = None
    cancelled_at: str | None = None
    cancelled_by: str | None = None
    checked_in_at: str | None = None
    points_awarded: int | None = None
    revoked_at: str | None = Field(default=None, description="an agent revoked the check-in (its points taken back)")


class RegistrationPage(Out):
    items: list[RegistrationOut]
    next_cursor: str | None = None


class AttendeeOut(RegistrationOut):
    member_no: str | None = None
    name: str | None = None
    customer_id: str | None = None


class AttendeeCounts(Out):
    registered: int
    checked_in: int
    waitlisted: int
    seats_taken: int
    capacity: int


class AttendeeList(Out):
    event_id: str
    items: list[AttendeeOut]
    counts: AttendeeCounts
    next_cursor: str | None = None


class InvitationOut(Out):
    event_id: str
    title: str
    starts_at: str
    ends_at: str
    invited_at: str
    my_status: MyStatus | None = None


class InvitationPage(Out):
    items: list[InvitationOut]
    next_cursor: str | None = None


class CheckInIn(Body):
    check_in_code: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class HostCheckInIn(Body):
    member_no: MemberNo


class CheckedInOut(Out):
    event_id: str
    status: Literal["checked_in"]
    points_awarded: int
    checked_in_at: str
    member_no: str | None = None


class InvitationsIn(Body):
    member_nos: list[MemberNo] = Field(min_length=1, max_length=25)


class InvitationsOut(Out):
    event_id: str
    invited: list[str]
    unknown: list[str]


class CodeOut(Out):
    event_id: str
    check_in_code: str
    rotated_at: str


class CancelEventIn(Body):
    reason: Annotated[Text, Field(min_length=1, max_length=200)]


class EventCancelled(Out):
    event_id: str
    status: Literal["cancelled"]
    told: int


class ApproveIn(Body):
    reason: Annotated[Text, Field(min_length=1, max_length=200)] | None = None


class RejectIn(Body):
    reason: Annotated[Text, Field(min_length=1, max_length=200)]


class ReviewOut(Out):
    event_id: str
    status: Literal["approved", "rejected"]
    reason: str | None = None


class AdminEventOut(Out):
    event_id: str
    title: str
    status: str
    starts_at: str
    ends_at: str
    venue: str
    capacity: int
    remaining: int
    waitlist_length: int
    description: str | None = None
    tiers: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    participant_tags: list[str] = Field(default_factory=list)
    waitlist_order: str | None = None
    priority_tiers: list[str] = Field(default_factory=list)
    host_customer_id: str | None = None
    review_reason: str | None = None
    registration_closes_at: str | None = None
    invite_only: bool | None = None
    check_in_points: int | None = None
    hosted_by_member: bool | None = None
    reviewed_by: str | None = None
    created_at: str | None = None


class AdminEventChanged(AdminEventOut):
    told: int


class AdminEventList(Out):
    items: list[AdminEventOut]
    next_cursor: str | None = None


class AdminEventQuery(Query):
    status: Literal["approved", "pending_approval"] = "approved"
    limit: int = Field(default=50, ge=1, le=100)


class Registration360(RegistrationOut):
    upcoming: bool  # the event has not ended


class Invitation360(Out):
    event_id: str
    title: str | None
    starts_at: str | None
    invited_at: str | None


class Events360(Out):
    registrations: list[Registration360]
    invitations: list[Invitation360]


class Member360Events(Out):
    """The keys the events section adds to the agents' 360 view."""

    events: Events360


class CheckInRevocationIn(Body):
    reason: Annotated[Text, Field(min_length=2, max_length=200, description="why the check-in is revoked")]


class CheckInRevocationOut(Out):
    event_id: str
    customer_id: str
    registration_id: str
    status: Literal["check_in_revoked"]
    revoked_at: str
    revoked_by: str
    reason: str
    points_reversed: int = Field(description="points the check-in had earned, taken back: the event's check-in "
                                             "points and its survey's")
