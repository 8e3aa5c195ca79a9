"""Routes of the local stage only: the simulated SMS outbox (404 on every other stage)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.core import sms
else:  # loaded when a view first runs (core/lazy.py)
    sms = lazy_module("chalicelib.core.sms")

api = Api(__name__, "dev")


@api.route("/v1/dev/sms-outbox", "GET", auth="public", local_only=True, query="OutboxQuery", response="Outbox",
           summary="Codes the simulated SMS gateway sent to a phone, newest first (local stage only)",
           errors=("validation_error", "route_not_found"),
           examples={"response": {"items": [{"phone": "13800138000", "code": "123456",
                                             "sent_at": "2026-11-23T12:00:00.000+00:00"}]}})
def sms_outbox(ctx: RequestContext) -> dict:
    items = sms.OutboxSms.recent(ctx.query.phone)
    return {"items": [{"phone": i.phone, "code": i.code, "sent_at": i.sent_at} for i in items]}
