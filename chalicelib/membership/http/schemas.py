"""Request and response models of the membership routes (imported on first use). Class names are OpenAPI component
names: unique across the app."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from chalicelib.core.http.models import Body, ErrorEnvelope, Out

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
    payment_kind: Literal["h5", "native"] | None = Field(
        default=None, description="Outside the app, the mini-program and the official account only: h5 (a mobile "
                                  "browser) or native (a QR code, the default)")


class JsapiPaymentOut(Out):
    """JSAPI (mini-program, official account): WeChat's names, passed as they are to ``wx.requestPayment`` or
    ``WeixinJSBridge.invoke('getBrandWCPayRequest')``."""

    kind: Literal["jsapi"]
    appId: str
    timeStamp: str
    nonceStr: str
    package: str
    signType: str
    paySign: str


class AppPaymentOut(Out):
    """APP pay (the native app): the WeChat OpenSDK's ``PayReq`` fields; ``sign`` is over appid, timestamp, noncestr
    and prepayid."""

    kind: Literal["app"]
    appid: str
    partnerid: str
    prepayid: str
    package: Literal["Sign=WXPay"]
    noncestr: str
    timestamp: str
    sign: str


class H5PaymentOut(Out):
    """H5 pay (a mobile browser outside WeChat): open ``h5_url`` (valid 5 minutes)."""

    kind: Literal["h5"]
    h5_url: str


class NativePaymentOut(Out):
    """Native pay: show ``code_url`` as a QR code for the member to scan with WeChat."""

    kind: Literal["native"]
    code_url: str


class PlusOrderOut(Out):
    order_id: str
    plan_id: str
    amount_fen: int
    status: str
    created_at: str | None = None
    payment: Annotated[JsapiPaymentOut | AppPaymentOut | H5PaymentOut | NativePaymentOut,
                       Field(discriminator="kind")]


class PlusRefundIn(Body):
    reason: str = Field(min_length=1, max_length=500)


class PlusRefundOut(Out):
    order_id: str
    status: Literal["refunded"]
    amount_fen: int
    refund_id: str | None
    refunded_at: str | None
    membership_status: MembershipStatus
    refund_status: str | None = Field(default=None, description="WeChat Pay's: SUCCESS, PROCESSING (followed to "
                                      "its end), ABNORMAL or CLOSED (an agent's follow-up case)")


class DevPaymentIn(Body):
    result: Literal["paid", "failed"]


class DevPaymentOut(Out):
    order_id: str
    result: Literal["paid", "failed"]
    order_status: str
    notification: Literal["sending", "none"]


class PlusOrder360(Out):
    order_id: str
    plan_id: str
    amount_fen: int
    status: str
    created_at: str
    paid_at: str | None


class Plus360(MembershipOut):
    orders: list[PlusOrder360]  # the newest first


class Member360Plus(Out):
    """The keys the membership section adds to the agents' 360 view."""

    plus: Plus360


class WeChatPayRefusal(ErrorEnvelope):
    """A refused payment notification: the envelope and WeChat Pay's own ``{code: "FAIL", message}``."""

    code: Literal["FAIL"] = "FAIL"
    message: str | None = None
