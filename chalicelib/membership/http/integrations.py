"""WeChat Pay's payment notifications: ``POST /v1/integrations/payments/wechat/notify``.

Authenticated by its signature (the platform key), not by a key of ours. Success is 204 with no body; a refusal is
the error envelope plus WeChat's ``{code: "FAIL", message}``, with a 4xx/5xx status so that WeChat delivers it again.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chalicelib.core.errors import CATALOGUE, AppError, error_body
from chalicelib.core.http.routing import Api, Reply, RequestContext
from chalicelib.core.lazy import lazy_module

if TYPE_CHECKING:
    from chalicelib.membership import orders
else:  # loaded when a view first runs (core/lazy.py)
    orders = lazy_module("chalicelib.membership.orders")

api = Api(__name__, "membership")

NOTIFICATION_EXAMPLE = {
    "id": "EV-2018022511223320873", "create_time": "2026-12-01T10:15:00+08:00", "resource_type": "encrypt-resource",
    "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
    "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": "...",
                 "associated_data": "transaction", "nonce": "fdasflkja484w"},
}


@api.route("/v1/integrations/payments/wechat/notify", "POST", auth="public", status=204,
           error_response="membership.http.schemas.WeChatPayRefusal",
           errors=("payment_signature_invalid", "payment_notification_stale", "payment_notification_invalid",
                   "payment_mismatch", "payments_not_configured", "not_found", "service_unavailable"),
           summary="WeChat Pay v3 payment notification, e.g. " + json.dumps(NOTIFICATION_EXAMPLE, ensure_ascii=False)
                   + " (headers Wechatpay-Timestamp, -Nonce, -Signature, -Serial; signed with the platform key; the "
                   "resource AEAD_AES_256_GCM under the API v3 key): activates or extends the membership once however "
                   "often it arrives; anything forged, altered or older than 5 minutes changes nothing and is refused")
def wechat_payment_notify(ctx: RequestContext) -> Reply:
    try:
        orders.notified(ctx.headers, ctx.raw_body)
    except AppError as err:
        body = error_body(err.code, ctx.request_id, ctx.english, err.details)
        spec = CATALOGUE[err.code]
        return Reply({**body, "code": "FAIL", "message": spec.en if ctx.english else spec.zh}, status=err.status,
                     headers={"Content-Type": "application/json"})
    return Reply(None, status=204)
