"""The WeChat Pay simulator checked against the maintained SDK (``wechatpayv3``) acting as the merchant: what the SDK
signs is accepted and what it verifies passes (answers, /v3/certificates, notifications through ``callback()``);
a wrong signature, another merchant or app, a stale timestamp and a re-sent order with other parameters are refused
as WeChat Pay refuses them; refunds answer PROCESSING and end later."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import build_authorization

from tools.simulators import wechatpay_sim

pytestmark = pytest.mark.integration


@pytest.fixture
def sim() -> Iterator[Any]:
    server, _thread = wechatpay_sim.start(port=0)
    yield server
    server.stop()


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def merchant(sim: Any, *, private_key: rsa.RSAPrivateKey | None = None, mchid: str = wechatpay_sim.MCH_ID,
             appid: str = wechatpay_sim.APP_ID, public_key_mode: bool = True,
             kind: WeChatPayType = WeChatPayType.MINIPROG) -> WeChatPay:
    """The SDK configured as the local stack configures the app (public-key mode unless told otherwise)."""
    keys = sim.state.keys
    public = keys.platform.public_key().public_bytes(serialization.Encoding.PEM,
                                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    pay = WeChatPay(wechatpay_type=kind, mchid=mchid, private_key=_pem(private_key or keys.merchant),
                    cert_serial_no=keys.merchant_serial, appid=appid, apiv3_key=keys.api_v3_key,
                    notify_url="https://example.invalid/notify", cert_dir=None, public_key=public,
                    public_key_id=keys.platform_serial)
    pay._core._gate_way = sim.base_url
    if not public_key_mode:  # certificate mode (built in public-key mode first: its constructor calls the real host)
        pay._core._public_key = pay._core._public_key_id = None
        pay._core._update_certificates()
    return pay


def _trade_no() -> str:
    return "sdk" + secrets.token_hex(8)


@pytest.mark.slow
def test_the_sdks_signed_order_is_accepted_and_the_signed_answer_verifies(sim: Any) -> None:
    pay = merchant(sim)
    trade_no = _trade_no()
    code, message = pay.pay(description="Plus 月卡", out_trade_no=trade_no, amount={"total": 1500},
                            payer={"openid": "o-sdk-payer"})  # the SDK raises if the answer's signature fails
    assert code == 200 and json.loads(message)["prepay_id"].startswith("wx")
    code, message = pay.query(out_trade_no=trade_no)
    assert code == 200 and json.loads(message)["trade_state"] == "NOTPAY"
    code, _message = pay.close(out_trade_no=trade_no)
    assert code == 204  # an empty 204 is signed too (the SDK verifies every 2xx)
    for kind, extra, field in ((WeChatPayType.APP, {}, "prepay_id"), (WeChatPayType.NATIVE, {}, "code_url"),
                               (WeChatPayType.H5, {"scene_info": {"payer_client_ip": "1.2.3.4",
                                                                  "h5_info": {"type": "Wap"}}}, "h5_url")):
        code, message = merchant(sim, kind=kind, appid=wechatpay_sim.OPEN_APP_ID).pay(
            description="Plus", out_trade_no=_trade_no(), amount={"total": 1500}, **extra)
        assert code == 200 and field in json.loads(message), kind


@pytest.mark.slow
def test_a_wrong_signature_another_merchant_or_app_and_a_stale_timestamp_are_refused(sim: Any) -> None:
    order = {"description": "Plus", "amount": {"total": 1500}, "payer": {"openid": "o-x"}}
    stranger = rsa.generate_private_key(65537, 2048)
    code, message = merchant(sim, private_key=stranger).pay(out_trade_no=_trade_no(), **order)
    assert (code, json.loads(message)["code"]) == (401, "SIGN_ERROR")
    code, message = merchant(sim, mchid="1900000999").pay(out_trade_no=_trade_no(), **order)
    assert (code, json.loads(message)["code"]) == (401, "SIGN_ERROR")
    code, message = merchant(sim, appid="wx-not-bound").pay(out_trade_no=_trade_no(), **order)
    assert (code, json.loads(message)["code"]) == (400, "APPID_MCHID_NOT_MATCH")
    code, message = merchant(sim).pay(out_trade_no=_trade_no(), description="Plus", amount={"total": 1500},
                                      pay_type=WeChatPayType.APP, payer=None, appid=wechatpay_sim.APP_ID)
    assert code == 200  # APP pay needs no payer
    # JSAPI without a payer: the SDK refuses it itself, so send it as a careless client would
    keys = sim.state.keys
    body = json.dumps({"appid": wechatpay_sim.APP_ID, "mchid": wechatpay_sim.MCH_ID, "description": "Plus",
                       "out_trade_no": _trade_no(), "notify_url": "https://example.invalid/n",
                       "amount": {"total": 1500}})
    status, answer = _raw(sim, "POST", "/v3/pay/transactions/jsapi", body, keys.merchant, keys.merchant_serial)
    assert (status, answer["code"]) == (400, "PARAM_ERROR")
    # a GET is signed too: none, or one from ten minutes ago, is refused
    path = f"/v3/pay/transactions/out-trade-no/{_trade_no()}?mchid={wechatpay_sim.MCH_ID}"
    status, answer = _raw(sim, "GET", path, "", None, "")
    assert (status, answer["code"]) == (401, "SIGN_ERROR")
    status, answer = _raw(sim, "GET", path, "", keys.merchant, keys.merchant_serial, skew=-600)
    assert (status, answer["code"]) == (401, "SIGN_ERROR")
    assert len(sim.state.orders) == 1  # only the APP order was taken; nothing refused was kept


def _raw(sim: Any, method: str, path: str, body: str, key: rsa.RSAPrivateKey | None, serial: str,
         skew: int = 0) -> tuple[int, Any]:
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if key is not None:
        nonce, ts = secrets.token_hex(8), str(int(time.time()) + skew)
        from tools.simulators.wechatpay_sim import rsa_sign

        signature = rsa_sign(key, f"{method}\n{path}\n{ts}\n{nonce}\n{body}\n".encode())
        headers["Authorization"] = (f'WECHATPAY2-SHA256-RSA2048 mchid="{wechatpay_sim.MCH_ID}",nonce_str="{nonce}",'
                                    f'signature="{signature}",timestamp="{ts}",serial_no="{serial}"')
    request = urllib.request.Request(sim.base_url + path, data=body.encode() or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.mark.slow
def test_a_resent_order_is_answered_the_same_unless_its_parameters_differ(sim: Any) -> None:
    pay = merchant(sim)
    trade_no = _trade_no()
    order = {"description": "Plus", "out_trade_no": trade_no, "payer": {"openid": "o-x"}}
    first = pay.pay(amount={"total": 1500}, **order)
    again = pay.pay(amount={"total": 1500}, **order)
    assert first[0] == again[0] == 200 and json.loads(first[1]) == json.loads(again[1])
    code, message = pay.pay(amount={"total": 1}, **order)
    assert (code, json.loads(message)["code"]) == (400, "OUT_TRADE_NO_USED")


@pytest.mark.slow
def test_an_unsigned_answer_fails_the_sdks_own_verification(sim: Any) -> None:
    sim.state.unsigned = True
    with pytest.raises(Exception, match=r"failed to verify the signature|does not support this algorithm"):
        merchant(sim).pay(description="Plus", out_trade_no=_trade_no(), amount={"total": 1500},
                          payer={"openid": "o-x"})


@pytest.mark.slow
def test_in_certificate_mode_the_sdk_downloads_the_certificate_and_verifies_with_it(sim: Any) -> None:
    sim.state.sign_with = "certificate"
    pay = merchant(sim, public_key_mode=False)  # the SDK fetches /v3/certificates
    assert [f"{c.serial_number:X}" for c in pay._core._certificates] == [sim.state.keys.certificate_serial]
    code, message = pay.pay(description="Plus", out_trade_no=_trade_no(), amount={"total": 1500},
                            payer={"openid": "o-x"})
    assert code == 200 and "prepay_id" in json.loads(message)


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]]

    def log_message(self, *_args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).received.append(({k: v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/notify", received
    server.shutdown()
    server.server_close()


def _wait(predicate: Any, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("sign_with", ["public_key", "certificate"])
def test_the_simulators_notifications_pass_the_sdks_callback(sim: Any, receiver: Any, sign_with: str) -> None:
    url, received = receiver
    sim.state.sign_with = sign_with
    pay = merchant(sim)
    if sign_with == "certificate":
        pay._core._update_certificates()  # the SDK keeps certificates beside the public key, as during a switch
    trade_no = _trade_no()
    assert pay.pay(description="Plus", out_trade_no=trade_no, amount={"total": 1500}, payer={"openid": "o-x"},
                   notify_url=url, attach="c_123")[0] == 200
    status, _ = _raw(sim, "POST", "/__sim/settle", json.dumps({"out_trade_no": trade_no, "result": "paid"}), None, "")
    assert status == 200
    _wait(lambda: len(received) == 1)
    headers, body = received[0]
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    opened = pay.callback(headers, body)
    assert opened is not None and opened["event_type"] == "TRANSACTION.SUCCESS"
    assert (opened["resource"]["out_trade_no"], opened["resource"]["trade_state"], opened["resource"]["attach"]) == (
        trade_no, "SUCCESS", "c_123")
    tampered = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCES2")
    assert pay.callback(headers, tampered) is None

    # the refund: PROCESSING at once, its end later, with its own notification
    code, message = pay.refund(out_refund_no="rf" + trade_no, out_trade_no=trade_no, notify_url=url,
                               amount={"refund": 1500, "total": 1500, "currency": "CNY"})
    assert code == 200 and json.loads(message)["status"] == "PROCESSING"
    status, _ = _raw(sim, "POST", "/__sim/settle-refund", json.dumps({"out_refund_no": "rf" + trade_no,
                                                                      "result": "SUCCESS"}), None, "")
    assert status == 200
    _wait(lambda: len(received) == 2)
    refund_note = pay.callback(*received[1])
    assert refund_note is not None and refund_note["event_type"] == "REFUND.SUCCESS"
    assert refund_note["resource"]["refund_status"] == "SUCCESS"
    code, message = pay.query_refund(out_refund_no="rf" + trade_no)
    assert code == 200 and json.loads(message)["status"] == "SUCCESS"


@pytest.mark.slow
def test_build_authorization_of_the_sdk_is_what_the_simulator_checks(sim: Any) -> None:
    keys = sim.state.keys
    body = {"mchid": wechatpay_sim.MCH_ID}
    header = build_authorization("/v3/pay/transactions/out-trade-no/abcdef/close", "POST", wechatpay_sim.MCH_ID,
                                 keys.merchant_serial, keys.merchant, data=body)
    wechatpay_sim.check_authorization(keys, header, "POST", "/v3/pay/transactions/out-trade-no/abcdef/close",
                                      json.dumps(body).encode())
    with pytest.raises(wechatpay_sim.Refused):
        wechatpay_sim.check_authorization(keys, header, "POST", "/v3/pay/transactions/out-trade-no/abcdef/close",
                                          json.dumps({"mchid": "other"}).encode())
