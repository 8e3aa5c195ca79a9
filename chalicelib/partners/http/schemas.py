"""Request and response models of the partners area's routes (imported on first use).

Class names are OpenAPI component names: keep them unique across the app.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from chalicelib.core.http.models import Body, Out, PageQuery, Phone, Text

Role = Literal["accrual", "redemption"]
OrderNo = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]
TierCode = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")]
BenefitText = Annotated[Text, StringConstraints(min_length=1, max_length=100)]
Token = Annotated[str, StringConstraints(min_length=1, max_length=512)]


# --- operators ----------------------------------------------------------------------------------------------------


class PartnerIn(Body):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=60)]
    roles: list[Role] = Field(min_length=1, max_length=2)
    cost_per_point_fen: int = Field(ge=0, le=100_000, description="what the partner pays the brand per point issued "
                                                                  "there (and the brand pays per point spent there)")
    earn_rate_per_yuan: str = Field(min_length=1, max_length=12, pattern=r"^\d{1,4}(\.\d{1,4})?$",
                                    description="points per whole yuan spent at the partner, a decimal as text")
    benefits_by_tier: dict[TierCode, list[BenefitText]] = Field(default_factory=dict, max_length=20)

    @field_validator("benefits_by_tier")
    @classmethod
    def _few_benefits(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if any(len(v) > 20 for v in value.values()):
            raise ValueError("at most 20 benefits per tier")
        return value

    @property
    def rate(self) -> Decimal:
        return Decimal(self.earn_rate_per_yuan)


class PartnerKeyOut(Out):
    key_id: str
    key: str = Field(description="the partner's X-Api-Key: shown this once, stored only as a digest")
    created_at: str


class PartnerKeyInfo(Out):
    key_id: str
    created_at: str
    revoked_at: str | None


class PartnerOut(Out):
    partner_id: str
    name: str
    roles: list[Role]
    cost_per_point_fen: int
    earn_rate_per_yuan: str
    benefits_by_tier: dict[str, list[str]]
    created_at: str


class PartnerCreatedOut(PartnerOut):
    api_key: PartnerKeyOut


class PartnerDetailOut(PartnerOut):
    keys: list[PartnerKeyInfo]


class PartnerList(Out):
    items: list[PartnerOut]
    next_cursor: str | None = None


class PartnerListQuery(PageQuery):
    pass


class PartnerStatementOut(Out):
    partner_id: str
    partner_name: str
    month: str
    cost_per_point_fen: int
    points_issued: int = Field(description="points members earned at the partner this month")
    points_reversed: int = Field(description="points taken back by the partner's refunds this month")
    points_spent: int = Field(description="points members spent at the partner this month")
    partner_owes_fen: int
    brand_owes_fen: int
    net_fen: int = Field(description="> 0: the partner pays the brand; < 0: the brand pays the partner")


# --- partners -----------------------------------------------------------------------------------------------------


class RecognitionIn(Body):
    phone: Phone


class RecognitionOut(Out):
    """``member: false`` alone for a stranger and for a member without the partner_sharing consent, alike."""

    member: bool
    token: str | None = Field(default=None, description="identifies the member to this partner for 10 minutes")
    tier: str | None = None
    benefits: list[str] | None = None


class PartnerEarningIn(Body):
    token: Token
    order_no: OrderNo
    amount_fen: int = Field(ge=0, le=10_000_000_000)


class PartnerEarningOut(Out):
    order_no: str
    amount_fen: int
    points_awarded: int
    status: Literal["earned", "refunded"]
    created_at: str
    refunded_at: str | None


class PartnerRedemptionIn(Body):
    token: Token
    points: int = Field(ge=1, le=10_000_000)
    order_no: OrderNo


class PartnerRedemptionOut(Out):
    redemption_id: str
    order_no: str
    points: int
    status: Literal["awaiting_member", "confirmed", "declined", "expired"]
    created_at: str
    expires_at: str
    decided_at: str | None


class PartnerOtpIn(Body):
    code: str = Field(pattern=r"^\d{6}$")


# --- members ------------------------------------------------------------------------------------------------------


class MyPartnerRedemptionOut(PartnerRedemptionOut):
    partner_name: str


class MyPartnerRedemptionList(Out):
    items: list[MyPartnerRedemptionOut]
    next_cursor: str | None = None


class MyPartnerRedemptionQuery(PageQuery):
    pass
