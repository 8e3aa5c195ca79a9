"""Request and response models of ``chalicelib/membership/http/admin.py`` (imported on first use)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from chalicelib.core.http.models import Body, Out, Text

MAX_PRICE_FEN = 1_000_000  # 10,000 yuan: far above any plan, below anything a typo could make look plausible


class PlusPlanIn(Body):
    plan_id: str = Field(min_length=3, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
    name: Text = Field(min_length=1, max_length=40)
    price_fen: StrictInt = Field(ge=1, le=MAX_PRICE_FEN)
    period: Literal["month", "year"]
    active: StrictBool = True


class PlusPlanPatch(Body):
    name: Text | None = Field(default=None, min_length=1, max_length=40)
    price_fen: StrictInt | None = Field(default=None, ge=1, le=MAX_PRICE_FEN)
    active: StrictBool | None = None

    @model_validator(mode="after")
    def _something(self) -> PlusPlanPatch:
        if self.name is None and self.price_fen is None and self.active is None:
            raise ValueError("send at least one of name, price_fen, active")
        return self


class PlusPlanAdminOut(Out):
    plan_id: str
    name: str
    price_fen: int
    period: Literal["month", "year"]
    active: bool


class PlusPlanAdminList(Out):
    items: list[PlusPlanAdminOut]
