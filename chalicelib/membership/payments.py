"""The payment-provider port and its WeChat Pay v3 adapter.

The use cases speak to ``PaymentProvider`` only. ``WeChatPayV3`` calls WeChat Pay's API at ``WECHATPAY_API_BASE``:
``https://api.mch.weixin.qq.com`` on deployed stages, the simulator (``tools/simulators/``) on the local stack,
with the same requests either way (signed with the merchant key). Tests may install another provider
(``use_provider``).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal, Protocol

import urllib3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import rsa
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.membership import wechatpay

TradeState = Literal["SUCCESS", "NOTPAY", "CLOSED", "PAYERROR", "REFUND", "USERPAYING", "REVOKED", "UNKNOWN"]
PaymentKind = Literal["jsapi", "app", "h5", "native"]
#: WeChat Pay's product endpoint per kind.
ORDER_PATHS: dict[str, str] = {"jsapi": "/v3/pay/transactions/jsapi", "app": "/v3/pay/transactions/app",
                               "h5": "/v3/pay/transactions/h5", "native": "/v3/pay/transactions/native"}
CERTIFICATES_PATH = "/v3/certificates"
CERTIFICATES_REFRESH_SECONDS = 60  # an unknown serial asks /v3/certificates at most this often (forged serials)


@dataclass(frozen=True)
class PaymentOrder:
    order_id: str  # out_trade_no
    customer_id: str  # attach: comes back in the notification
    description: str
    amount_fen: int
    pay_by: datetime  # time_expire
    openid: str | None = None  # payer.openid (JSAPI only)
    kind: str = "jsapi"
    app_id: str | None = None  # the app the payment is made in (default: the mini-program's)
    client_ip: str | None = None  # scene_info.payer_client_ip (H5)


@dataclass(frozen=True)
class Payment:
    """What the provider says of one order (a query, or a notification's decrypted resource)."""

    order_id: str
    trade_state: str
    amount_fen: int | None = None
    transaction_id: str | None = None
    paid_at: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class Refund:
    """What the provider says of one refund: ``SUCCESS``, ``PROCESSING`` (money on its way: ask again or wait for
    the refund notification), ``ABNORMAL`` (the payer's account cannot take it: a person must arrange it) or
    ``CLOSED``."""

    refund_id: str
    status: str


class ProviderUnavailable(Exception):
    """The provider did not answer usefully now: try again later."""


class PaymentRefused(Exception):
    """The provider refused the order for good (a 4xx such as PARAM_ERROR): retrying the same request cannot help."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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

    def refund(self, order_id: str, refund_id: str, amount_fen: int, total_fen: int) -> Refund:
        """Refund ``amount_fen`` of the order; idempotent on ``refund_id``."""
        ...

    def query_refund(self, refund_id: str) -> Refund:
        ...


def payment_of(transaction: dict[str, Any]) -> Payment:
    amount = transaction.get("amount") or {}
    total = amount.get("total")
    return Payment(order_id=str(transaction.get("out_trade_no", "")), trade_state=str(transaction.get("trade_state")),
                   amount_fen=int(total) if isinstance(total, int) else None,
                   transaction_id=transaction.get("transaction_id"), paid_at=transaction.get("success_time"),
                   customer_id=transaction.get("attach"))


def refund_of(answer: dict[str, Any], fallback_id: str) -> Refund:
    status = answer.get("status") or answer.get("refund_status")
    return Refund(refund_id=str(answer.get("refund_id") or fallback_id), status=str(status or "UNKNOWN"))


class _Certificates:
    """Platform certificates downloaded from ``/v3/certificates`` (decrypted with the API v3 key, so authentic), kept
    per process: a serial neither configured nor the public key's ID is looked up here, refreshed at most once a
    minute."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPublicKey] = {}
        self.fetched_at: float | None = None  # time.monotonic() of the last download
        self.lock = threading.Lock()


class WeChatPayV3:
    """Orders (JSAPI, APP, H5, Native), queries, closes and refunds over WeChat Pay API v3. Every 2xx answer is
    verified (WeChat Pay's signature under a key we hold) before it is believed."""

    def __init__(self, timeout: float = 5.0) -> None:
        self._http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=False)
        self._certificates = _Certificates()

    def key_for(self, serial: str) -> rsa.RSAPublicKey | None:
        """The platform key of ``serial``: configured (the public key, current and next certificates), else a
        downloaded certificate (``/v3/certificates``, when the merchant still uses certificates)."""
        k = wechatpay.keys()
        key = k.verifiers.get(serial) or self._certificates.keys.get(serial)
        if key is not None or serial.startswith(wechatpay.PUBLIC_KEY_ID_PREFIX) or not serial:
            return key
        with self._certificates.lock:
            last = self._certificates.fetched_at
            if last is None or time.monotonic() - last >= CERTIFICATES_REFRESH_SECONDS:
                self._certificates.fetched_at = time.monotonic()
                self._refresh_certificates(k)
        return self._certificates.keys.get(serial)

    def _refresh_certificates(self, k: wechatpay.Keys) -> None:
        try:
            status, headers, raw = self._exchange(k, "GET", CERTIFICATES_PATH, "")
            out = json.loads(raw) if status == 200 else {}
            downloaded = {}
            for item in out.get("data") or []:
                sealed = item["encrypt_certificate"]
                pem = wechatpay.decrypt(k.api_v3_key, sealed["nonce"], sealed.get("associated_data", ""),
                                        sealed["ciphertext"]).decode()
                downloaded[str(item["serial_no"])] = wechatpay.public_key_of(pem)
        except (ProviderUnavailable, ValueError, KeyError, TypeError, InvalidTag):
            logger.warning("wechat pay certificates not refreshed")
            return
        known = {**k.verifiers, **downloaded}
        if downloaded and wechatpay.signed_by_wechat_pay(headers, raw, known.get):
            self._certificates.keys = downloaded
            logger.info("wechat pay certificates refreshed", extra={"serials": sorted(downloaded)})

    def _exchange(self, k: wechatpay.Keys, method: str, path: str, text: str) -> tuple[int, dict[str, str], bytes]:
        auth = wechatpay.authorization(k, method, path, text, int(time.time()), secrets.token_hex(16))
        headers = {"Authorization": auth, "Content-Type": "application/json", "Accept": "application/json"}
        if k.public_key_id:
            headers["Wechatpay-Serial"] = k.public_key_id  # public-key mode: WeChat Pay asks for it on requests
        try:
            response = self._http.request(method, k.api_base + path, body=text.encode() if text else None,
                                          headers=headers)
        except Urllib3HTTPError as exc:
            logger.warning("wechat pay unreachable", extra={"path": path.split("?")[0], "error": type(exc).__name__})
            raise ProviderUnavailable(type(exc).__name__) from None
        return response.status, {name.lower(): value for name, value in response.headers.items()}, response.data

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """One request; ``(status, answer)``. A 2xx whose signature does not verify, a 5xx, or an answer that is not
        a JSON object (a gateway's HTML page) is ``ProviderUnavailable``: never believed, never a crash."""
        k = wechatpay.keys()
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
        status, headers, raw = self._exchange(k, method, path, text)
        where = path.split("?")[0]
        if 200 <= status < 300 and not wechatpay.signed_by_wechat_pay(headers, raw, self.key_for):
            logger.warning("wechat pay answer not signed by wechat pay; not believed",
                           extra={"path": where, "status": status})
            raise ProviderUnavailable("unverified answer")
        if status >= 500:
            logger.warning("wechat pay failed", extra={"path": where, "status": status})
            raise ProviderUnavailable(str(status))
        try:
            payload = json.loads(raw) if raw else {}
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            logger.warning("wechat pay answered something not JSON", extra={"path": where, "status": status})
            raise ProviderUnavailable(f"{status} not json")
        return status, payload

    def create(self, order: PaymentOrder) -> dict[str, Any]:
        k = wechatpay.keys()
        app_id = order.app_id or k.app_id
        body: dict[str, Any] = {
            "appid": app_id, "mchid": k.mch_id, "description": order.description, "out_trade_no": order.order_id,
            "time_expire": order.pay_by.astimezone(SHANGHAI).isoformat(timespec="seconds"),
            "attach": order.customer_id, "notify_url": k.notify_url,
            "amount": {"total": order.amount_fen, "currency": "CNY"},
        }
        if order.kind == "jsapi" and order.openid:
            body["payer"] = {"openid": order.openid}
        if order.kind == "h5":
            body["scene_info"] = {"payer_client_ip": order.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
        status, out = self._call("POST", ORDER_PATHS[order.kind], body)
        if status != 200:
            logger.warning("wechat pay refused an order", extra={"status": status, "code": out.get("code"),
                                                                 "kind": order.kind})
            if 400 <= status < 500 and status != 429 and out.get("code") not in ("SYSTEM_ERROR", "FREQUENCY_LIMITED"):
                raise PaymentRefused(str(out.get("code") or status))
            raise ProviderUnavailable(str(out.get("code") or status))
        now = int(time.time())
        if order.kind == "jsapi" and out.get("prepay_id"):
            return {"kind": "jsapi", **wechatpay.jsapi_params(k, app_id, str(out["prepay_id"]), now)}
        if order.kind == "app" and out.get("prepay_id"):
            return {"kind": "app", **wechatpay.app_params(k, app_id, str(out["prepay_id"]), now)}
        if order.kind == "h5" and out.get("h5_url"):
            return {"kind": "h5", "h5_url": str(out["h5_url"])}
        if order.kind == "native" and out.get("code_url"):
            return {"kind": "native", "code_url": str(out["code_url"])}
        raise ProviderUnavailable("no payment parameters")

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

    def refund(self, order_id: str, refund_id: str, amount_fen: int, total_fen: int) -> Refund:
        k = wechatpay.keys()
        status, out = self._call("POST", "/v3/refund/domestic/refunds", {
            "out_trade_no": order_id, "out_refund_no": refund_id, "notify_url": k.notify_url,
            "amount": {"refund": amount_fen, "total": total_fen, "currency": "CNY"}})
        if status != 200 or not out.get("status"):
            raise ProviderUnavailable(str(out.get("code") or status))
        return refund_of(out, refund_id)

    def query_refund(self, refund_id: str) -> Refund:
        status, out = self._call("GET", f"/v3/refund/domestic/refunds/{refund_id}")
        if status != 200 or not out.get("status"):
            raise ProviderUnavailable(str(out.get("code") or status))
        return refund_of(out, refund_id)


_override: PaymentProvider | None = None


@lru_cache(maxsize=1)
def _default() -> PaymentProvider:
    return WeChatPayV3()


def provider() -> PaymentProvider:
    return _override or _default()


def reset() -> None:
    """Tests: forget the process's WeChat Pay client (its downloaded certificates with it)."""
    _default.cache_clear()


def use_provider(value: PaymentProvider | None) -> None:
    """Tests: install a provider (None: back to WeChat Pay)."""
    global _override
    _override = value


def unavailable() -> AppError:
    return AppError("upstream_unavailable", retry_after=5)


def key_for(serial: str) -> rsa.RSAPublicKey | None:
    """The platform key of a notification's serial: the configured set, then the provider's downloaded
    certificates (a provider other than WeChat Pay V3 has none)."""
    lookup = getattr(provider(), "key_for", None)
    return lookup(serial) if lookup is not None else wechatpay.keys().verifiers.get(serial)
