"""A local simulator of WeChat Pay API v3, as strict as WeChat Pay where a mistake of ours would otherwise pass: it
takes orders (JSAPI, APP, H5, Native), answers queries, closes and refunds, and when told to settle an order or a
refund it sends WeChat Pay's signed, encrypted notification to its ``notify_url``.

Run alone: ``python -m tools.simulators.wechatpay_sim --port 8103`` (prints the app's WECHATPAY_* environment for its
fresh keys); in-process: ``server, thread = start(port=0)`` then ``server.app_env(notify_url)``. The local stack does
that.

What it checks, as WeChat Pay does (failures are 4xx ``{code, message}``):

- every request (GET included) carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=,nonce_str=,signature=,
  timestamp=,serial_no=``: the merchant's SHA256withRSA signature over ``method\npath?query\ntimestamp\nnonce\nbody\n``
  under the merchant key pair it made (401 SIGN_ERROR for a wrong signature, another mchid or serial, a timestamp
  more than 5 minutes off);
- an order names this merchant (``mchid``) and an app ID bound to it (400 APPID_MCHID_NOT_MATCH); JSAPI needs
  ``payer.openid`` and H5 ``scene_info.payer_client_ip`` + ``h5_info`` (400 PARAM_ERROR);
- the same ``out_trade_no`` again: the same answer if every parameter is the same, 400 OUT_TRADE_NO_USED if not.

WeChat Pay endpoints (as ``https://api.mch.weixin.qq.com`` serves them):

- ``POST /v3/pay/transactions/{jsapi,app}`` -> ``{prepay_id}``; ``/h5`` -> ``{h5_url}``; ``/native`` -> ``{code_url}``
- ``GET  /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`` -> the transaction (404 ORDER_NOT_EXIST)
- ``POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close`` -> 204 (400 ORDERPAID once paid)
- ``POST /v3/refund/domestic/refunds`` -> ``{refund_id, status: PROCESSING}`` (one refund per ``out_refund_no``); it
  ends when told (``/__sim/settle-refund``); ``GET /v3/refund/domestic/refunds/{out_refund_no}``
- ``GET  /v3/certificates`` -> the platform certificate, encrypted under the API v3 key

Every answer is signed as WeChat Pay signs them: ``Wechatpay-Timestamp``, ``-Nonce``, ``-Signature`` (SHA256withRSA
over ``timestamp\nnonce\nbody\n``), ``-Serial``, ``-Signature-Type: WECHATPAY2-SHA256-RSA2048``, ``Request-ID``.
The signer is the WeChat Pay public key (``PUB_KEY_ID_...``, the default) or the platform certificate (a hex
serial): the two WeChat uses side by side while a merchant moves to the public key. Notifications carry the same
headers; their ``resource`` is AEAD_AES_256_GCM under the API v3 key.

Control endpoints for tests and the app's dev route, not WeChat (prefix ``/__sim/``):

- ``POST /__sim/settle`` ``{"out_trade_no", "result": "paid" | "failed", "times": 1}``: pay (or fail) the order and,
  when paid, send the notification ``times`` times from another thread, again until the app accepts it (as WeChat
  retries); answers ``{attach, trade_state, notification: "sending" | "none"}`` at once.
- ``POST /__sim/settle-refund`` ``{"out_refund_no", "result": "SUCCESS" | "ABNORMAL" | "CLOSED", "notify": true}``:
  end a refund and (unless ``notify`` is false) send its ``REFUND.*`` notification.
- ``POST /__sim/faults`` ``{"unsigned": bool, "sign_with": "public_key" | "certificate", "gateway_html": n}``:
  answer unsigned; sign with the other key; the next ``n`` API requests get a gateway's 502 HTML page.
- ``GET /__sim/stats``: ``{"orders", "refunds", "refund_calls", "notifications", "deliveries", "refused",
  "request_serials"}`` (the ``Wechatpay-Serial`` each API request carried).

The keys are generated when the simulator starts and live only in its process (and the app environment it hands to
the local stack): test keys, never used anywhere else.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from tools import procs

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8103
MCH_ID = "1900000109"
APP_ID = "wx-local-miniprogram"  # the mini-program (the WeChat simulator's default)
OA_APP_ID = "wx-local-official-account"  # the official account
OPEN_APP_ID = "wx-local-app"  # the native app's open-platform app ID
APP_IDS = (APP_ID, OA_APP_ID, OPEN_APP_ID)  # the app IDs bound to this merchant
SHANGHAI = timezone(timedelta(hours=8))
NOTIFY_PATH = "/v1/integrations/payments/wechat/notify"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW = 300  # seconds between the merchant's timestamp and now that WeChat Pay accepts
TRADE_TYPES = {"jsapi": "JSAPI", "app": "APP", "h5": "MWEB", "native": "NATIVE"}


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def _certificate(key: rsa.RSAPrivateKey, serial: int) -> str:
    """A self-signed stand-in for a WeChat Pay platform certificate (PEM), valid from a day ago for a year."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (simulated)")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class SimKeys:
    """The merchant's key pair, WeChat Pay's public key (``PUB_KEY_ID_...``) and a platform certificate's key (a
    hex serial), and an API v3 key, made fresh."""

    merchant: rsa.RSAPrivateKey = field(default_factory=_new_key)
    platform: rsa.RSAPrivateKey = field(default_factory=_new_key)
    api_v3_key: str = field(default_factory=lambda: secrets.token_hex(16))
    merchant_serial: str = field(default_factory=lambda: secrets.token_hex(20).upper())
    platform_serial: str = field(default_factory=lambda: "PUB_KEY_ID_" + secrets.token_hex(12).upper())
    certificate_key: rsa.RSAPrivateKey = field(default_factory=_new_key)
    certificate_serial_int: int = field(default_factory=lambda: secrets.randbits(159) | (1 << 152))
    _certificate_pem: str | None = None

    @property
    def certificate_serial(self) -> str:
        return f"{self.certificate_serial_int:X}"

    @property
    def certificate_pem(self) -> str:
        if self._certificate_pem is None:
            self._certificate_pem = _certificate(self.certificate_key, self.certificate_serial_int)
        return self._certificate_pem

    def signer(self, which: str = "public_key") -> tuple[rsa.RSAPrivateKey, str]:
        if which == "certificate":
            return self.certificate_key, self.certificate_serial
        return self.platform, self.platform_serial

    def app_env(self, api_base: str, notify_url: str, *, with_certificate: bool = True) -> dict[str, str]:
        """The app's WECHATPAY_* environment for these keys (the local stage's stand-in for the stage's secret): the
        public key as the primary key and, unless told not to, the platform certificate as a second configured
        one (``with_certificate=False``: the app must download it from ``/v3/certificates``)."""
        return {
            "WECHATPAY_API_BASE": api_base, "WECHATPAY_MCH_ID": MCH_ID, "WECHATPAY_APP_ID": APP_ID,
            "WECHATPAY_OA_APP_ID": OA_APP_ID, "WECHATPAY_OPEN_APP_ID": OPEN_APP_ID,
            "WECHATPAY_MCH_SERIAL": self.merchant_serial, "WECHATPAY_MCH_PRIVATE_KEY": _pem_private(self.merchant),
            "WECHATPAY_PLATFORM_SERIAL": self.platform_serial,
            "WECHATPAY_PLATFORM_PUBLIC_KEY": _pem_public(self.platform.public_key()),
            "WECHATPAY_PLATFORM_KEYS": json.dumps({self.certificate_serial: self.certificate_pem})
            if with_certificate else "",
            "WECHATPAY_API_V3_KEY": self.api_v3_key, "WECHATPAY_NOTIFY_URL": notify_url,
        }


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def encrypt_resource(api_v3_key: str, plaintext: dict[str, Any], associated_data: str = "transaction",
                     nonce: str | None = None, original_type: str = "transaction") -> dict[str, str]:
    nonce = nonce or secrets.token_hex(6)
    data = AESGCM(api_v3_key.encode()).encrypt(nonce.encode(), json.dumps(plaintext).encode(),
                                               associated_data.encode())
    return {"original_type": original_type, "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(data).decode(), "associated_data": associated_data, "nonce": nonce}


SUMMARIES = {"TRANSACTION.SUCCESS": "支付成功", "REFUND.SUCCESS": "退款成功", "REFUND.ABNORMAL": "退款异常",
             "REFUND.CLOSED": "退款关闭"}


def notification(keys: SimKeys, transaction: dict[str, Any], *, event_type: str = "TRANSACTION.SUCCESS",
                 timestamp: int | None = None, nonce: str | None = None,
                 sign_with: str = "public_key") -> tuple[dict[str, str], bytes]:
    """WeChat Pay's notification of ``transaction`` (or of a refund: ``event_type="REFUND.SUCCESS"``...): the
    headers and the exact body bytes."""
    kind = "refund" if event_type.startswith("REFUND.") else "transaction"
    body = json.dumps({
        "id": f"EV-{secrets.token_hex(10)}", "create_time": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": SUMMARIES.get(event_type, ""),
        "resource": encrypt_resource(keys.api_v3_key, transaction, associated_data=kind, original_type=kind),
    }, ensure_ascii=False).encode()
    return sign_headers(keys, body, timestamp=timestamp, nonce=nonce, sign_with=sign_with), body


def sign_headers(keys: SimKeys, body: bytes, *, timestamp: int | None = None, nonce: str | None = None,
                 sign_with: str = "public_key") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    key, serial = keys.signer(sign_with)
    signature = rsa_sign(key, ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n")
    return {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial, "Wechatpay-Signature-Type": SIGNATURE_TYPE,
            "Content-Type": "application/json"}


@dataclass
class SimOrder:
    request: dict[str, Any]
    prepay_id: str
    kind: str = "jsapi"
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None

    def answer(self) -> dict[str, str]:
        if self.kind == "h5":
            return {"h5_url": f"https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id={self.prepay_id}"}
        if self.kind == "native":
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={self.prepay_id[-12:]}"}
        return {"prepay_id": self.prepay_id}

    def transaction(self) -> dict[str, Any]:
        total = int(self.request["amount"]["total"])
        out: dict[str, Any] = {
            "appid": self.request["appid"], "mchid": self.request["mchid"],
            "out_trade_no": self.request["out_trade_no"], "trade_state": self.trade_state,
            "trade_type": TRADE_TYPES[self.kind], "attach": self.request.get("attach", ""),
            "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
        }
        if self.transaction_id:  # who paid is known once someone has (JSAPI: the payer the order named)
            out.update(transaction_id=self.transaction_id, success_time=self.success_time, bank_type="OTHERS",
                       payer=self.request.get("payer") or {"openid": "o-sim-payer"})
        return out


@dataclass
class SimState:
    keys: SimKeys
    orders: dict[str, SimOrder] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    refund_calls: int = 0
    notifications: int = 0
    refused: list[str] = field(default_factory=list)  # the code of every request refused (SIGN_ERROR...)
    request_serials: list[str | None] = field(default_factory=list)  # each API request's Wechatpay-Serial header
    notify_url_override: str | None = None
    deliveries: list[int] = field(default_factory=list)  # the app's HTTP status for each notification sent
    unsigned: bool = False  # fault: answers carry no signature
    sign_with: str = "public_key"  # or "certificate"
    gateway_html: int = 0  # fault: the next n API requests get a gateway's HTML 502
    lock: threading.Lock = field(default_factory=threading.Lock)


ORDER_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([A-Za-z0-9_\-|*]{6,32})(/close)?$")
PRODUCT_PATH = re.compile(r"^/v3/pay/transactions/(jsapi|app|h5|native)$")
REFUND_PATH = re.compile(r"^/v3/refund/domestic/refunds/([A-Za-z0-9_\-|*@]{1,64})$")
AUTH = re.compile(r'^WECHATPAY2-SHA256-RSA2048 (.+)$')


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


def check_authorization(keys: SimKeys, header: str, method: str, target: str, body: bytes,
                        now: float | None = None) -> None:
    """WeChat Pay's check of a merchant's request; raises ``Refused`` (401 SIGN_ERROR) as WeChat Pay would."""
    match = AUTH.match(header or "")
    if not match:
        raise Refused(401, "SIGN_ERROR", "Authorization 缺失或格式错误")
    fields = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
    if fields.get("mchid") != MCH_ID:
        raise Refused(401, "SIGN_ERROR", "商户号与证书不匹配")
    if fields.get("serial_no") != keys.merchant_serial:
        raise Refused(401, "SIGN_ERROR", "商户证书序列号有误")
    timestamp = fields.get("timestamp", "")
    if not timestamp.isdigit() or abs((time.time() if now is None else now) - int(timestamp)) > MAX_SKEW:
        raise Refused(401, "SIGN_ERROR", "请求时间戳超出有效期")
    message = f"{method}\n{target}\n{timestamp}\n{fields.get('nonce_str', '')}\n".encode() + body + b"\n"
    try:
        keys.merchant.public_key().verify(base64.b64decode(fields.get("signature", ""), validate=True), message,
                                          padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        raise Refused(401, "SIGN_ERROR", "签名错误") from None


def _check_order(body: dict[str, Any], kind: str) -> None:
    if body.get("mchid") != MCH_ID:
        raise Refused(400, "MCH_NOT_EXISTS", "商户号不存在")
    if body.get("appid") not in APP_IDS:
        raise Refused(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
    total = (body.get("amount") or {}).get("total")
    if not body.get("out_trade_no") or not body.get("notify_url") or not body.get("description") \
            or not isinstance(total, int) or total <= 0:
        raise Refused(400, "PARAM_ERROR", "参数错误")
    if kind == "jsapi" and not (body.get("payer") or {}).get("openid"):
        raise Refused(400, "PARAM_ERROR", "JSAPI 下单缺少参数 payer.openid")
    if kind != "jsapi" and body.get("payer"):
        raise Refused(400, "PARAM_ERROR", "该支付方式不接受 payer")
    if kind == "h5":
        scene = body.get("scene_info") or {}
        if not scene.get("payer_client_ip") or not (scene.get("h5_info") or {}).get("type"):
            raise Refused(400, "PARAM_ERROR", "H5 下单缺少 scene_info.payer_client_ip 或 h5_info")


class Handler(BaseHTTPRequestHandler):
    server: SimServer

    def log_message(self, *_args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None) -> None:
        state = self.server.state
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        if not state.unsigned and not urlsplit(self.path).path.startswith("/__sim/"):
            for name, value in sign_headers(state.keys, data, sign_with=state.sign_with).items():
                if name != "Content-Type":
                    self.send_header(name, value)
        self.send_header("Request-ID", secrets.token_hex(16))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self.server.state.refused.append(code)
        self._send(status, {"code": code, "message": message})

    def _raw(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _api(self, method: str, raw: bytes) -> bool:
        """The gateway's faults and WeChat Pay's signature check of an API request; False when answered here."""
        state = self.server.state
        with state.lock:
            state.request_serials.append(self.headers.get("Wechatpay-Serial"))
            html = state.gateway_html > 0
            state.gateway_html -= 1 if html else 0
        if html:
            page = b"<html><head><title>502 Bad Gateway</title></head><body>stgw</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return False
        try:
            check_authorization(state.keys, self.headers.get("Authorization", ""), method, self.path, raw)
        except Refused as refused:
            self._error(refused.status, refused.code, refused.message)
            return False
        return True

    def do_GET(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        if path == "/__sim/stats":
            return self._send(200, {"orders": len(state.orders), "refunds": len(state.refunds),
                                    "refund_calls": state.refund_calls, "notifications": state.notifications,
                                    "deliveries": state.deliveries, "refused": state.refused,
                                    "request_serials": state.request_serials})
        if not self._api("GET", b""):
            return None
        if path == "/v3/certificates":
            nonce = secrets.token_hex(6)
            data = AESGCM(state.keys.api_v3_key.encode()).encrypt(
                nonce.encode(), state.keys.certificate_pem.encode(), b"certificate")
            sealed = {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": "certificate",
                      "ciphertext": base64.b64encode(data).decode()}
            now = datetime.now(SHANGHAI)
            return self._send(200, {"data": [{
                "serial_no": state.keys.certificate_serial, "encrypt_certificate": sealed,
                "effective_time": (now - timedelta(days=1)).isoformat(timespec="seconds"),
                "expire_time": (now + timedelta(days=365)).isoformat(timespec="seconds")}]})
        match = ORDER_PATH.match(path)
        if match and not match.group(2):
            if parse_qs(urlsplit(self.path).query).get("mchid") != [MCH_ID]:
                return self._error(400, "PARAM_ERROR", "mchid 缺失或不匹配")
            order = state.orders.get(match.group(1))
            if order is None:
                return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
            return self._send(200, order.transaction())
        refund_match = REFUND_PATH.match(path)
        if refund_match:
            refund = state.refunds.get(refund_match.group(1))
            if refund is None:
                return self._error(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            return self._send(200, _refund_view(refund))
        return self._error(404, "NOT_FOUND", "no such path")

    def do_POST(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        raw = self._raw()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self._error(400, "PARAM_ERROR", "请求体不是 JSON")
        if path.startswith("/__sim/"):
            return self._control(path, body)
        if not self._api("POST", raw):
            return None
        product = PRODUCT_PATH.match(path)
        if product:
            kind = product.group(1)
            try:
                _check_order(body, kind)
            except Refused as refused:
                return self._error(refused.status, refused.code, refused.message)
            with state.lock:
                order = state.orders.get(str(body["out_trade_no"]))
                if order is None:
                    order = SimOrder(body, f"wx{secrets.token_hex(16)}", kind)
                    state.orders[str(body["out_trade_no"])] = order
                elif order.request != body or order.kind != kind:
                    return self._error(400, "OUT_TRADE_NO_USED", "商户订单号重复")
            return self._send(200, order.answer())
        if path == "/v3/refund/domestic/refunds":
            return self._refund(body)
        match = ORDER_PATH.match(path)
        if match and match.group(2):
            if body.get("mchid") != MCH_ID:
                return self._error(400, "PARAM_ERROR", "mchid 缺失或不匹配")
            with state.lock:
                order = state.orders.get(match.group(1))
                if order is None:
                    return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
                if order.trade_state in ("SUCCESS", "REFUND"):
                    return self._error(400, "ORDERPAID", "订单已支付")
                order.trade_state = "CLOSED"
            return self._send(204)
        return self._error(404, "NOT_FOUND", "no such path")

    def _refund(self, body: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            state.refund_calls += 1
            refund_no = str(body.get("out_refund_no", ""))
            order = state.orders.get(str(body.get("out_trade_no", "")))
            if order is None or order.trade_state not in ("SUCCESS", "REFUND"):
                return self._error(400, "INVALID_REQUEST", "订单状态不允许退款")
            amount = body.get("amount") or {}
            if amount.get("total") != order.request["amount"]["total"] or not 0 < int(amount.get("refund") or 0) \
                    <= int(amount.get("total") or 0):
                return self._error(400, "PARAM_ERROR", "退款金额或订单金额有误")
            refund = state.refunds.get(refund_no)
            if refund is None:
                refund = {"refund_id": f"50{secrets.token_hex(14)}", "out_refund_no": refund_no,
                          "out_trade_no": order.request["out_trade_no"],
                          "transaction_id": order.transaction_id, "status": "PROCESSING",
                          "amount": amount, "notify_url": body.get("notify_url"),
                          "create_time": datetime.now(SHANGHAI).isoformat(timespec="seconds")}
                state.refunds[refund_no] = refund
                order.trade_state = "REFUND"
            elif refund["amount"] != amount:
                return self._error(400, "INVALID_REQUEST", "退款单号重复但参数不同")
        return self._send(200, _refund_view(refund))

    def _control(self, path: str, body: dict[str, Any]) -> None:
        state = self.server.state
        if path == "/__sim/settle":
            return self._settle(body)
        if path == "/__sim/settle-refund":
            result = str(body.get("result") or "SUCCESS")
            if result not in ("SUCCESS", "ABNORMAL", "CLOSED"):
                return self._send(400, {"error": "result is SUCCESS, ABNORMAL or CLOSED"})
            refund = self.server.end_refund(str(body.get("out_refund_no", "")), result,
                                            notify=body.get("notify", True) is not False)
            if refund is None:
                return self._send(404, {"error": "no such refund"})
            return self._send(200, _refund_view(refund))
        if path == "/__sim/faults":
            with state.lock:
                if "unsigned" in body:
                    state.unsigned = bool(body["unsigned"])
                if body.get("sign_with") in ("public_key", "certificate"):
                    state.sign_with = str(body["sign_with"])
                if "gateway_html" in body:
                    state.gateway_html = int(body["gateway_html"] or 0)
            return self._send(200, {"unsigned": state.unsigned, "sign_with": state.sign_with,
                                    "gateway_html": state.gateway_html})
        return self._send(404, {"error": "no such control endpoint"})

    def _settle(self, body: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            order = state.orders.get(str(body.get("out_trade_no", "")))
            if order is None:
                return self._send(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            if body.get("result") == "failed":
                if order.trade_state == "NOTPAY":
                    order.trade_state = "PAYERROR"
                return self._send(200, {"attach": order.request.get("attach"), "trade_state": order.trade_state})
            if order.trade_state == "NOTPAY":
                order.trade_state = "SUCCESS"
                order.transaction_id = f"42{secrets.token_hex(13)}"
                order.success_time = datetime.now(SHANGHAI).isoformat(timespec="seconds")
            transaction = order.transaction()
        sending = transaction["trade_state"] == "SUCCESS"
        if sending:  # like WeChat, from elsewhere and later: the caller may be a worker the app needs to answer it
            url = state.notify_url_override or order.request["notify_url"]
            threading.Thread(target=self.server.deliver, args=(url, transaction, int(body.get("times") or 1)),
                             name="wechatpay-notify", daemon=True).start()
        return self._send(200, {"attach": order.request.get("attach"), "trade_state": transaction["trade_state"],
                                "notification": "sending" if sending else "none"})


def refund_resource(refund: dict[str, Any]) -> dict[str, Any]:
    """The decrypted ``resource`` of a refund's notification."""
    return {"mchid": MCH_ID, "out_trade_no": refund["out_trade_no"], "out_refund_no": refund["out_refund_no"],
            "refund_id": refund["refund_id"], "transaction_id": refund.get("transaction_id"),
            "refund_status": refund["status"], "amount": refund["amount"],
            "user_received_account": "招商银行信用借记卡0403"}


def _refund_view(refund: dict[str, Any]) -> dict[str, Any]:
    """A refund as WeChat Pay answers it (its ``notify_url`` is ours, not part of the answer)."""
    return {k: v for k, v in refund.items() if k != "notify_url"}


class SimServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        super().__init__(address, Handler)
        self.state = state

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def app_env(self, notify_url: str, *, with_certificate: bool = True) -> dict[str, str]:
        return self.state.keys.app_env(self.base_url, notify_url, with_certificate=with_certificate)

    def end_refund(self, refund_no: str, result: str, notify: bool = True) -> dict[str, Any] | None:
        """End a refund (``SUCCESS`` / ``ABNORMAL`` / ``CLOSED``) and send its notification from another thread."""
        state = self.state
        with state.lock:
            refund = state.refunds.get(refund_no)
            if refund is None:
                return None
            refund["status"] = result
            if result == "SUCCESS":
                refund["success_time"] = datetime.now(SHANGHAI).isoformat(timespec="seconds")
            resource = refund_resource(refund)
            url = state.notify_url_override or refund.get("notify_url")
        if notify and url:
            threading.Thread(target=self.deliver, args=(url, resource, 1, 5, f"REFUND.{result}"),
                             name="wechatpay-refund-notify", daemon=True).start()
        return dict(refund)

    def notify(self, url: str, transaction: dict[str, Any], event_type: str = "TRANSACTION.SUCCESS") -> int:
        """Send the notification as WeChat does; the app's HTTP status (0 if it could not be reached)."""
        headers, body = notification(self.state.keys, transaction, event_type=event_type,
                                     sign_with=self.state.sign_with)
        self.state.notifications += 1
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)
        except OSError:
            return 0

    def deliver(self, url: str, transaction: dict[str, Any], times: int = 1, attempts: int = 5,
                event_type: str = "TRANSACTION.SUCCESS") -> None:
        """Send the notification ``times`` times; like WeChat, again (a second later here) until it is accepted."""
        for _ in range(times):
            for attempt in range(attempts):
                status = self.notify(url, transaction, event_type)
                self.state.deliveries.append(status)
                if 200 <= status < 300:
                    break
                time.sleep(1.0 + attempt)

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


def start(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          keys: SimKeys | None = None) -> tuple[SimServer, threading.Thread]:
    """Serve the simulator from a daemon thread; ``port=0`` picks a free port. Stop it with ``server.stop()``."""
    server = SimServer((host, port), SimState(keys or SimKeys()))
    thread = threading.Thread(target=server.serve_forever, name="wechatpay-sim", daemon=True)
    thread.start()
    return server, thread


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.simulators.wechatpay_sim",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--app", default=os.environ.get("APP_BASE_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args(argv)
    server = SimServer((args.host, args.port), SimState(SimKeys()))
    print(f"WeChat Pay simulator on {server.base_url}; the app's environment (export it):", flush=True)
    for name, value in server.app_env(args.app + NOTIFY_PATH).items():
        print(f"{name}={json.dumps(value)}", flush=True)
    procs.serve_until_interrupted(server)


if __name__ == "__main__":
    main()
