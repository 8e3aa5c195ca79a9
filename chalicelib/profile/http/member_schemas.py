"""Request and response models of ``chalicelib/profile/http/member.py`` (imported on first use)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StrictBool, field_validator

from chalicelib.core import clock
from chalicelib.core.http.models import Body, Out, Text, check_text

# Checked as text before the union, so a refused character is reported at the preference, not once per member.
PreferenceValue = Annotated[
    Annotated[str, Field(max_length=200)] | StrictBool | int | float, BeforeValidator(check_text)
]


class Consents(Body):
    marketing: StrictBool | None = None
    profiling: StrictBool | None = None


class ProfilePatch(Body):
    name: Text | None = Field(default=None, min_length=1, max_length=32)
    birthday: date | None = None
    gender: Literal["female", "male", "undisclosed"] | None = None
    consents: Consents | None = None
    preferences: dict[Annotated[Text, Field(min_length=1, max_length=40)], PreferenceValue] | None = Field(
        default=None, max_length=20
    )

    @field_validator("birthday")
    @classmethod
    def _plausible_birthday(cls, value: date | None) -> date | None:
        if value is not None and not (date(1900, 1, 1) <= value <= clock.now().date()):
            raise ValueError("must be a date between 1900-01-01 and today")
        return value


class Tier(Out):
    code: str
    name: str
    badge: str


class TierProgress(Out):
    next_tier: str | None
    metric: str
    current: int
    required: int | None


class Expiring(Out):
    points: int
    on: str | None


class Points(Out):
    balance: int
    expiring: Expiring


class Profile(Out):
    customer_id: str
    member_no: str | None
    name: str | None
    phone_masked: str | None
    birthday: str | None = None
    gender: str | None = None
    consents: dict[str, bool]
    preferences: dict[str, Any]
    tags: list[str] = Field(default_factory=list)
    channels: list[str]


class PlusStatus(Out):
    status: Literal["none", "trial", "active", "expired"]
    expires_at: str | None = None


class PrivacyPolicyState(Out):
    version: str
    accepted_version: str | None
    needs_acceptance: bool


class Me(Profile):
    tier: Tier
    tier_progress: TierProgress
    points: Points
    plus: PlusStatus | None = None  # the membership area's contribution (Area.member_view)
    unread_notifications: int
    privacy_policy: PrivacyPolicyState | None = None  # the privacy area's contribution: accept the version in force
