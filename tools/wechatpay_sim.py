"""A local simulator of WeChat Pay API v3 (JSAPI), speaking its shapes: it takes orders, answers queries, closes and
refunds, and when told to settle an order it sends WeChat Pay's signed, encrypted notification to the order's
``notify_url``.

Run alone: ``python -m tools.wechatpay_sim --port 8103`` (prints the app's WECHATPAY_* environment for its fresh
keys); in-process: ``server, thread = start(port=0)`` then ``server.app_env(notify_url)``. The local stack does that.

WeChat Pay endpoints (as ``https://api.mch.weixin.qq.com`` serves them; failures are 4xx with ``{code, message}``):

- ``POST /v3/pay/transactions/jsapi`` -> ``{prepay_id}`` (the same ``out_trade_no`` again: the same prepay_id)
- ``GET  /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`` -> the transaction (404 ORDER_NOT_EXIST)
- ``POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close`` -> 204 (400 ORDERPAID once paid)
- ``POST /v3/refund/domestic/refunds`` -> ``{refund_id, status: SUCCESS}``; one refund per ``out_refund_no``

Notifications: headers ``Wechatpay-Timestamp``, ``Wechatpay-Nonce``, ``Wechatpay-Signature`` (SHA256withRSA over
``timestamp\\nnonce\\nbody\\n`` with the platform private key) and ``Wechatpay-Serial``; the body's ``resource`` is
the transaction encrypted with AEAD_AES_256_GCM under the API v3 key (``associated_data`` "transaction").

Control endpoints for tests and the app's dev route, not WeChat (prefix ``/__sim/``):

- ``POST /__sim/settle`` ``{"out_trade_no", "result": "paid" | "failed", "times": 1}``: pay (or fail) the order and,
  when paid, send the notification ``times`` times from another thread, again until the app accepts it (as WeChat
  retries); answers ``{attach, trade_state, notification: "sending" | "none"}`` at once.
- ``GET /__sim/stats``: ``{"orders", "refunds", "refund_calls", "notifications"}``.

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
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8103
MCH_ID = "1900000109"
APP_ID = "wx-local-miniprogram"
SHANGHAI = timezone(timedelta(hours=8))
NOTIFY_PATH = "/v1/integrations/payments/wechat/notify"


def _pem_private(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_public(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass
class SimKeys:
    """A merchant key pair, a platform key pair and an API v3 key, made fresh."""

    merchant: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    platform: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    api_v3_key: str = field(default_factory=lambda: secrets.token_hex(16))
    merchant_serial: str = field(default_factory=lambda: secrets.token_hex(20).upper())
    platform_serial: str = field(default_factory=lambda: "PUB_KEY_ID_" + secrets.token_hex(12).upper())

    def app_env(self, api_base: str, notify_url: str) -> dict[str, str]:
        """The app's WECHATPAY_* environment for these keys (the local stage's stand-in for the stage's secret)."""
        return {
            "WECHATPAY_API_BASE": api_base, "WECHATPAY_MCH_ID": MCH_ID, "WECHATPAY_APP_ID": APP_ID,
            "WECHATPAY_MCH_SERIAL": self.merchant_serial, "WECHATPAY_MCH_PRIVATE_KEY": _pem_private(self.merchant),
            "WECHATPAY_PLATFORM_SERIAL": self.platform_serial,
            "WECHATPAY_PLATFORM_PUBLIC_KEY": _pem_public(self.platform.public_key()),
            "WECHATPAY_API_V3_KEY": self.api_v3_key, "WECHATPAY_NOTIFY_URL": notify_url,
        }


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def encrypt_resource(api_v3_key: str, plaintext: dict[str, Any], associated_data: str = "transaction",
                     nonce: str | None = None) -> dict[str, str]:
    nonce = nonce or secrets.token_hex(6)
    data = AESGCM(api_v3_key.encode()).encrypt(nonce.encode(), json.dumps(plaintext).encode(),
                                               associated_data.encode())
    return {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(data).decode(), "associated_data": associated_data, "nonce": nonce}


def notification(keys: SimKeys, transaction: dict[str, Any], *, event_type: str = "TRANSACTION.SUCCESS",
                 timestamp: int | None = None, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """WeChat Pay's notification of ``transaction``: the headers and the exact body bytes."""
    body = json.dumps({
        "id": f"EV-{secrets.token_hex(10)}", "create_time": datetime.now(SHANGHAI).isoformat(timespec="seconds"),
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
        "resource": encrypt_resource(keys.api_v3_key, transaction),
    }, ensure_ascii=False).encode()
    return sign_headers(keys, body, timestamp=timestamp, nonce=nonce), body


def sign_headers(keys: SimKeys, body: bytes, *, timestamp: int | None = None,
                 nonce: str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    signature = rsa_sign(keys.platform, ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n")
    return {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
            "Wechatpay-Serial": keys.platform_serial, "Content-Type": "application/json"}


@dataclass
class SimOrder:
    request: dict[str, Any]
    prepay_id: str
    trade_state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: str | None = None

    def transaction(self) -> dict[str, Any]:
        total = int(self.request["amount"]["total"])
        out: dict[str, Any] = {
            "appid": self.request["appid"], "mchid": self.request["mchid"],
            "out_trade_no": self.request["out_trade_no"], "trade_state": self.trade_state,
            "trade_type": "JSAPI", "attach": self.request.get("attach", ""),
            "amount": {"total": total, "payer_total": total, "currency": "CNY", "payer_currency": "CNY"},
            "payer": self.request.get("payer") or {"openid": "o-local-payer"},
        }
        if self.transaction_id:
            out.update(transaction_id=self.transaction_id, success_time=self.success_time, bank_type="OTHERS")
        return out


@dataclass
class SimState:
    keys: SimKeys
    orders: dict[str, SimOrder] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    refund_calls: int = 0
    notifications: int = 0
    notify_url_override: str | None = None
    deliveries: list[int] = field(default_factory=list)  # the app's HTTP status for each notification sent
    lock: threading.Lock = field(default_factory=threading.Lock)


ORDER_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([A-Za-z0-9_\-|*]{6,32})(/close)?$")


class Handler(BaseHTTPRequestHandler):
    server: SimServer

    def log_message(self, *_args: Any) -> None:
        pass

    def _send(self, status: int, body: Any = None) -> None:
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else b""
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"code": code, "message": message})

    def _body(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return json.loads(raw) if raw else {}

    def do_GET(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        if path == "/__sim/stats":
            return self._send(200, {"orders": len(state.orders), "refunds": len(state.refunds),
                                    "refund_calls": state.refund_calls, "notifications": state.notifications,
                                    "deliveries": state.deliveries})
        match = ORDER_PATH.match(path)
        if match and not match.group(2):
            order = state.orders.get(match.group(1))
            if order is None:
                return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
            return self._send(200, order.transaction())
        return self._error(404, "NOT_FOUND", "no such path")

    def do_POST(self) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        body = self._body()
        if not self.headers.get("Authorization", "").startswith("WECHATPAY2-SHA256-RSA2048 ") and \
                not path.startswith("/__sim/"):
            return self._error(401, "SIGN_ERROR", "签名错误")
        if path == "/v3/pay/transactions/jsapi":
            trade_no = str(body.get("out_trade_no", ""))
            if not trade_no or not body.get("notify_url") or not (body.get("amount") or {}).get("total"):
                return self._error(400, "PARAM_ERROR", "参数错误")
            with state.lock:
                order = state.orders.get(trade_no)
                if order is None:
                    order = SimOrder(body, f"wx{secrets.token_hex(16)}")
                    state.orders[trade_no] = order
            return self._send(200, {"prepay_id": order.prepay_id})
        if path == "/v3/refund/domestic/refunds":
            with state.lock:
                state.refund_calls += 1
                refund_no = str(body.get("out_refund_no", ""))
                order = state.orders.get(str(body.get("out_trade_no", "")))
                if order is None or order.trade_state not in ("SUCCESS", "REFUND"):
                    return self._error(400, "INVALID_REQUEST", "订单状态不允许退款")
                refund = state.refunds.get(refund_no)
                if refund is None:
                    refund = {"refund_id": f"50{secrets.token_hex(14)}", "out_refund_no": refund_no,
                              "out_trade_no": order.request["out_trade_no"], "status": "SUCCESS",
                              "amount": body.get("amount")}
                    state.refunds[refund_no] = refund
                    order.trade_state = "REFUND"
            return self._send(200, refund)
        match = ORDER_PATH.match(path)
        if match and match.group(2):
            with state.lock:
                order = state.orders.get(match.group(1))
                if order is None:
                    return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
                if order.trade_state in ("SUCCESS", "REFUND"):
                    return self._error(400, "ORDERPAID", "订单已支付")
                order.trade_state = "CLOSED"
            return self._send(204)
        if path == "/__sim/settle":
            return self._settle(body)
        return self._error(404, "NOT_FOUND", "no such path")

    def _settle(self, body: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            order = state.orders.get(str(body.get("out_trade_no", "")))
            if order is None:
                return self._error(404, "ORDER_NOT_EXIST", "订单不存在")
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


class SimServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: SimState) -> None:
        super().__init__(address, Handler)
        self.state = state

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def app_env(self, notify_url: str) -> dict[str, str]:
        return self.state.keys.app_env(self.base_url, notify_url)

    def notify(self, url: str, transaction: dict[str, Any]) -> int:
        """Send the notification as WeChat does; the app's HTTP status (0 if it could not be reached)."""
        headers, body = notification(self.state.keys, transaction)
        self.state.notifications += 1
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)
        except OSError:
            return 0

    def deliver(self, url: str, transaction: dict[str, Any], times: int = 1, attempts: int = 5) -> None:
        """Send the notification ``times`` times; like WeChat, again (a second later here) until it is accepted."""
        for _ in range(times):
            for attempt in range(attempts):
                status = self.notify(url, transaction)
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
    parser = argparse.ArgumentParser(prog="python -m tools.wechatpay_sim", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--app", default=os.environ.get("APP_BASE_URL", "http://127.0.0.1:8000"))
    args = parser.parse_args(argv)
    server = SimServer((args.host, args.port), SimState(SimKeys()))
    print(f"WeChat Pay simulator on {server.base_url}; the app's environment (export it):", flush=True)
    for name, value in server.app_env(args.app + NOTIFY_PATH).items():
        print(f"{name}={json.dumps(value)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
