"""The member's own profile: ``GET /v1/me`` and ``PATCH /v1/me``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, field_validator

from chalicelib.api.models import Body, Out
from chalicelib.api.routing import Api, RequestContext
from chalicelib.domain import clock
from chalicelib.services import members

api = Api(__name__, "member")

PreferenceValue = Annotated[str, Field(max_length=200)] | StrictBool | int | float


class Consents(Body):
    marketing: StrictBool | None = None
    profiling: StrictBool | None = None


class ProfilePatch(Body):
    name: str | None = Field(default=None, min_length=1, max_length=32)
    birthday: date | None = None
    gender: Literal["female", "male", "undisclosed"] | None = None
    consents: Consents | None = None
    preferences: dict[Annotated[str, Field(min_length=1, max_length=40)], PreferenceValue] | None = Field(
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
    channels: list[str]


class Me(Profile):
    tier: Tier
    tier_progress: TierProgress
    points: Points


ME_EXAMPLE = {
    "customer_id": "c_8f14e45fceea167a5a36",
    "member_no": "5203948172",
    "name": "李雷",
    "phone_masked": "138****8000",
    "birthday": None,
    "gender": None,
    "consents": {"marketing": False, "profiling": False},
    "preferences": {},
    "channels": ["miniprogram", "app"],
    "tier": {"code": "base", "name": "普通会员", "badge": "badge-base"},
    "tier_progress": {"next_tier": "silver", "metric": "spend_12m_fen", "current": 0, "required": 200000},
    "points": {"balance": 0, "expiring": {"points": 0, "on": None}},
}


@api.route("/v1/me", "GET", auth="member", response=Me, summary="My membership: profile, tier, points",
           errors=("unauthorized", "invalid_token", "token_expired", "forbidden"), examples={"response": ME_EXAMPLE})
def get_me(ctx: RequestContext) -> dict:
    return members.me(ctx.customer_id)


@api.route("/v1/me", "PATCH", auth="member", body=ProfilePatch, response=Profile,
           summary="Edit my profile; birthday, gender and preferences need the profiling consent",
           errors=("validation_error", "malformed_json", "consent_required", "birthday_locked", "concurrent_update"),
           examples={"request": {"name": "李雷", "consents": {"profiling": True}, "birthday": "1990-05-01"},
                     "response": {k: v for k, v in ME_EXAMPLE.items() if k not in ("tier", "tier_progress", "points")}})
def patch_me(ctx: RequestContext) -> dict:
    return members.update_profile(ctx.customer_id, ctx.body.model_dump(exclude_unset=True))
