"""The payment-provider port and its WeChat Pay v3 adapter.

The use cases speak to ``PaymentProvider`` only. ``WeChatPayV3`` calls WeChat Pay's API at ``WECHATPAY_API_BASE``:
``https://api.mch.weixin.qq.com`` on deployed stages, the simulator (``tools/wechatpay_sim.py``) on the local stack,
with the same requests either way (signed with the merchant key). Tests may install another provider
(``use_provider``).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

import urllib3
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.membership import wechatpay

TradeState = Literal["SUCCESS", "NOTPAY", "CLOSED", "PAYERROR", "REFUND", "USERPAYING", "REVOKED", "UNKNOWN"]


@dataclass(frozen=True)
class PaymentOrder:
    order_id: str  # out_trade_no
    customer_id: str  # attach: comes back in the notification
    description: str
    amount_fen: int
    pay_by: datetime  # time_expire
    openid: str | None = None


@dataclass(frozen=True)
class Payment:
    """What the provider says of one order (a query, or a notification's decrypted resource)."""

    order_id: str
    trade_state: str
    amount_fen: int | None = None
    transaction_id: str | None = None
    paid_at: str | None = None
    customer_id: str | None = None


class ProviderUnavailable(Exception):
    """The provider did not answer usefully now: try again later."""


class PaymentProvider(Protocol):
    def create(self, order: PaymentOrder) -> dict[str, Any]:
        """Place the order; the parameters the client passes to the payment sheet. Idempotent on ``order_id``."""
        ...

    def query(self, order_id: str) -> Payment:
        ...

    def close(self, order_id: str) -> Payment:
        """Close an unpaid order (after it, it cannot be paid); answers the order's state (``SUCCESS`` if it was
        paid meanwhile: then it is not closed)."""
        ...

    def refund(self, order_id: str, refund_id: str, amount_fen: int, total_fen: int) -> str:
        """Refund ``amount_fen`` of the order; idempotent on ``refund_id``; the provider's refund ID."""
        ...


def payment_of(transaction: dict[str, Any]) -> Payment:
    amount = transaction.get("amount") or {}
    total = amount.get("total")
    return Payment(order_id=str(transaction.get("out_trade_no", "")), trade_state=str(transaction.get("trade_state")),
                   amount_fen=int(total) if isinstance(total, int) else None,
                   transaction_id=transaction.get("transaction_id"), paid_at=transaction.get("success_time"),
                   customer_id=transaction.get("attach"))


class WeChatPayV3:
    """JSAPI orders, queries, closes and refunds over WeChat Pay API v3."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=False)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        k = wechatpay.keys()
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
        auth = wechatpay.authorization(k, method, path, text, int(time.time()), secrets.token_hex(16))
        try:
            response = self._http.request(method, k.api_base + path, body=text.encode() if text else None,
                                          headers={"Authorization": auth, "Content-Type": "application/json",
                                                   "Accept": "application/json"})
        except Urllib3HTTPError as exc:
            logger.warning("wechat pay unreachable", extra={"path": path.split("?")[0], "error": type(exc).__name__})
            raise ProviderUnavailable(type(exc).__name__) from None
        payload = json.loads(response.data) if response.data else {}
        if response.status >= 500:
            raise ProviderUnavailable(str(response.status))
        return response.status, payload

    def create(self, order: PaymentOrder) -> dict[str, Any]:
        k = wechatpay.keys()
        body: dict[str, Any] = {
            "appid": k.app_id, "mchid": k.mch_id, "description": order.description, "out_trade_no": order.order_id,
            "time_expire": order.pay_by.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "attach": order.customer_id, "notify_url": k.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        if order.openid:
            body["payer"] = {"openid": order.openid}
        status, out = self._call("POST", "/v3/pay/transactions/jsapi", body)
        if status != 200 or not out.get("prepay_id"):
            logger.warning("wechat pay refused an order", extra={"status": status, "code": out.get("code")})
            raise ProviderUnavailable(str(out.get("code") or status))
        return wechatpay.jsapi_params(k, str(out["prepay_id"]), int(time.time()))

    def query(self, order_id: str) -> Payment:
        k = wechatpay.keys()
        status, out = self._call("GET", f"/v3/pay/transactions/out-trade-no/{order_id}?mchid={k.mch_id}")
        if status == 404:
            return Payment(order_id=order_id, trade_state="NOTPAY")
        if status != 200:
            raise ProviderUnavailable(str(out.get("code") or status))
        return payment_of(out)

    def close(self, order_id: str) -> Payment:
        k = wechatpay.keys()
        status, out = self._call("POST", f"/v3/pay/transactions/out-trade-no/{order_id}/close", {"mchid": k.mch_id})
        if status in (200, 204):
            return Payment(order_id=order_id, trade_state="CLOSED")
        if out.get("code") == "ORDERPAID":
            return self.query(order_id)
        raise ProviderUnavailable(str(out.get("code") or status))

    def refund(self, order_id: str, refund_id: str, amount_fen: int, total_fen: int) -> str:
        status, out = self._call("POST", "/v3/refund/domestic/refunds", {
            "out_trade_no": order_id, "out_refund_no": refund_id,
            "amount": {"refund": amount_fen, "total": total_fen, "currency": "CNY"}})
        if status != 200 or out.get("status") not in ("SUCCESS", "PROCESSING"):
            raise ProviderUnavailable(str(out.get("code") or status))
        return str(out.get("refund_id") or refund_id)


_override: PaymentProvider | None = None


@lru_cache(maxsize=1)
def _default() -> PaymentProvider:
    return WeChatPayV3()


def provider() -> PaymentProvider:
    return _override or _default()


def use_provider(value: PaymentProvider | None) -> None:
    """Tests: install a provider (None: back to WeChat Pay)."""
    global _override
    _override = value


def unavailable() -> AppError:
    return AppError("upstream_unavailable", retry_after=5)
