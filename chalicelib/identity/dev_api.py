"""Routes of the local stage only: the simulated SMS outbox (404 on every other stage)."""

from __future__ import annotations

from chalicelib.core.http.routing import Api, RequestContext
from chalicelib.core.sms import OutboxSms

api = Api(__name__, "dev")


@api.route("/v1/dev/sms-outbox", "GET", auth="public", local_only=True, query="OutboxQuery", response="Outbox",
           summary="Codes the simulated SMS gateway sent to a phone, newest first (local stage only)",
           errors=("validation_error", "route_not_found"),
           examples={"response": {"items": [{"phone": "13800138000", "code": "123456",
                                             "sent_at": "2026-11-23T12:00:00.000+00:00"}]}})
def sms_outbox(ctx: RequestContext) -> dict:
    items = OutboxSms.recent(ctx.query.phone)
    return {"items": [{"phone": i.phone, "code": i.code, "sent_at": i.sent_at} for i in items]}
