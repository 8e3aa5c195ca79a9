"""The local stage's payment control: ``PUT /v1/dev/payments/{order_id}`` asks the WeChat Pay simulator to settle an
order. ``paid``: the simulator sends its signed notification to the notify route a moment later, from its own
thread (as WeChat does: answering here first keeps this worker free to take it); ``failed``: the payment fails at the
simulator, which (like WeChat) notifies nothing: the order is settled by a query, as the settling job would."""

from __future__ import annotations

import json
from typing import Any

import urllib3

from chalicelib.core.errors import AppError
from chalicelib.membership import orders, payments, records, wechatpay


def settle(order_id: str, result: str) -> dict[str, Any]:
    k = wechatpay.keys()
    http = urllib3.PoolManager(timeout=urllib3.Timeout(total=30), retries=False)
    try:
        response = http.request("POST", f"{k.api_base}/__sim/settle",
                                body=json.dumps({"out_trade_no": order_id, "result": result}).encode(),
                                headers={"Content-Type": "application/json"})
    except urllib3.exceptions.HTTPError:
        raise payments.unavailable() from None
    if response.status == 404:
        raise AppError("not_found")
    if response.status != 200:
        raise payments.unavailable()
    out = json.loads(response.data)
    customer_id = str(out["attach"])
    if result == "failed":
        orders.settle(customer_id, payments.provider().query(order_id))
    order = records.load_for_order(customer_id, order_id).order(order_id)
    return {"order_id": order_id, "result": result, "order_status": order.status if order else "unknown",
            "notification": out.get("notification", "none")}
