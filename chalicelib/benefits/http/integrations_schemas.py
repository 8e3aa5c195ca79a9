"""Request models of ``chalicelib/benefits/http/integrations.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.http.models import Body


class VoucherRedeemBody(Body):
    customer_id: str = Field(min_length=1, max_length=64)
    order_no: str = Field(min_length=1, max_length=64)
