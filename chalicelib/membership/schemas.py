"""Request and response models of the membership routes (imported on first use). Class names are OpenAPI component
names: unique across the app."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.core.http.models import Body, Out

MembershipStatus = Literal["none", "trial", "active", "expired"]


class PlanOut(Out):
    plan_id: str
    name: str
    price_fen: int
    period: Literal["month", "year"]


class PlanList(Out):
    items: list[PlanOut]


class SavingLineOut(Out):
    kind: str
    saved_fen: int


class SavingsOut(Out):
    since: str | None
    total_fen: int
    items: list[SavingLineOut]


class MembershipOut(Out):
    status: MembershipStatus
    plan_id: str | None
    expires_at: str | None
    trial_used: bool | None = None
    savings: SavingsOut


class PlusOrderIn(Body):
    plan_id: str = Field(min_length=1, max_length=64)


class JsapiPaymentOut(Out):
    """WeChat's names, passed as they are to ``wx.requestPayment``."""

    appId: str
    timeStamp: str
    nonceStr: str
    package: str
    signType: str
    paySign: str


class PlusOrderOut(Out):
    order_id: str
    plan_id: str
    amount_fen: int
    status: str
    created_at: str | None = None
    payment: JsapiPaymentOut


class PlusRefundIn(Body):
    reason: str = Field(min_length=1, max_length=500)


class PlusRefundOut(Out):
    order_id: str
    status: Literal["refunded"]
    amount_fen: int
    refund_id: str | None
    refunded_at: str | None
    membership_status: MembershipStatus


class DevPaymentIn(Body):
    result: Literal["paid", "failed"]


class DevPaymentOut(Out):
    order_id: str
    result: Literal["paid", "failed"]
    order_status: str
    notification: Literal["sending", "none"]
