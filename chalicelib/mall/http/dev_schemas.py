"""Request and response models of ``chalicelib/mall/http/dev.py`` (imported on first use)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from chalicelib.core.http.models import Body, Out


class FaultsIn(Body):
    fulfillment_failure_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    wechat_failure_rate: float | None = Field(default=None, ge=0.0, le=1.0)  # the WeChat simulator's message sends
    sms_down: StrictBool | None = None  # the simulated SMS gateway refuses notification texts


class FaultsOut(Out):
    fulfillment_failure_rate: float
    wechat_failure_rate: float | None = None
    sms_down: bool | None = None
