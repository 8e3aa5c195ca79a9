"""Request and response models of ``chalicelib/points/http/integrations.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field, model_validator

from chalicelib.core.http.models import Body, Out, Phone

ORDER_NO = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class OrderCustomer(Body):
    customer_id: str | None = Field(default=None, min_length=3, max_length=64)
    phone: Phone | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> OrderCustomer:
        if (self.customer_id is None) == (self.phone is None):
            raise ValueError("give exactly one of customer_id and phone")
        return self


class OrderBody(Body):
    order_no: str = ORDER_NO
    customer: OrderCustomer
    amount_fen: int = Field(ge=0, le=10_000_000_000)
    channel: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_\-]+$")
    store_id: str | None = Field(default=None, min_length=1, max_length=64)
    paid_at: AwareDatetime


class RecordedOrderOut(Out):
    """The order as first recorded (a repeat of its order_no answers it)."""

    order_no: str
    customer_id: str
    amount_fen: int
    points_awarded: int
    refunded_fen: int
    points_reversed: int
    source: str | None
    created_at: str | None


class OrderOut(Out):
    order_no: str
    customer_id: str
    points_awarded: int
    duplicate: bool
    balance_after: int | None = None
    tier: str | None = None
    promotion_id: str | None = None
    new_member: bool | None = None
    original: RecordedOrderOut | None = None  # a repeat (duplicate: true): the order as first recorded


class RefundBody(Body):
    amount_fen: int = Field(gt=0, le=10_000_000_000)
    refund_no: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")


class RefundOut(Out):
    order_no: str
    amount_fen: int
    points_reversed: int
    refund_no: str | None = None
    balance_after: int | None = None
    debt_after: int | None = None
    refunded_fen_total: int | None = None
    replayed: bool | None = None  # true: the first answer to this refund_no or Idempotency-Key, again