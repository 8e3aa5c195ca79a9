"""Buying Plus on the local stack over HTTP, as each client would: a member signed in through the mini-program, the
official account and the app (by phone) orders with their channel's WeChat Pay product, the strict WeChat Pay
simulator settles the payment and sends its signed notification, and the membership starts; a channel that cannot
pay is a 409 saying why."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.support.http import call
from tests.support.phones import new_phone
from tests.support.sign_in import app_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ACTIVE_WITHIN_SECONDS = 20


def _sign_in(base: str, channel: str) -> str:
    tag = uuid.uuid4().hex[:10]
    if channel == "miniprogram":
        status, tokens = call(base, "POST", "/v1/auth/miniprogram/login", {"code": f"mock:plus-mp-{tag}"},
                              headers={"X-Channel": "miniprogram"})
    elif channel == "wechat_oa":
        status, issued = call(base, "GET",
                              "/v1/auth/wechat-oa/authorize-url?redirect_uri=https%3A%2F%2Fm.example.com%2Fcb")
        assert status == 200, issued
        status, tokens = call(base, "POST", "/v1/auth/wechat-oa/login",
                              {"code": f"mock:plus-oa-{tag}", "state": issued["state"]},
                              headers={"X-Channel": "wechat_oa"})
    else:
        status, tokens = 200, app_login(base, new_phone("187"), channel="app")
    assert status == 200, tokens
    return str(tokens["access_token"])


def _order(base: str, token: str, channel: str) -> tuple[int, Any]:
    return call(base, "POST", "/v1/membership/orders", {"plan_id": "plus_month"}, token=token,
                headers={"X-Channel": channel, "Idempotency-Key": uuid.uuid4().hex})


EXPECTED = {
    "miniprogram": ("jsapi", {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}),
    "wechat_oa": ("jsapi", {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}),
    "app": ("app", {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}),
}


@pytest.mark.parametrize("channel", ["miniprogram", "wechat_oa", "app"])
def test_a_member_of_each_channel_buys_plus_and_the_signed_notification_activates_it(local_stack, channel):
    base = str(local_stack)
    token = _sign_in(base, channel)
    status, order = _order(base, token, channel)
    assert status == 201, order
    kind, fields = EXPECTED[channel]
    assert order["payment"]["kind"] == kind and set(order["payment"]) == {"kind", *fields}, order["payment"]
    status, settled = call(base, "PUT", f"/v1/dev/payments/{order['order_id']}", {"result": "paid"})
    assert status == 202 and settled["notification"] == "sending", settled
    deadline = time.monotonic() + ACTIVE_WITHIN_SECONDS
    while True:
        status, mine = call(base, "GET", "/v1/me/membership", token=token)
        assert status == 200, mine
        if mine["status"] == "active":
            break
        assert time.monotonic() < deadline, f"not active within {ACTIVE_WITHIN_SECONDS} s: {mine}"
        time.sleep(0.3)
    assert mine["plan_id"] == "plus_month"


def test_a_channel_that_cannot_pay_is_a_409_that_says_why(local_stack):
    base = str(local_stack)
    token = _sign_in(base, "app")  # a phone member has no openid of the mini-program or the official account
    for channel in ("miniprogram", "wechat_oa"):
        status, out = _order(base, token, channel)
        assert status == 409 and out["error"]["code"] == "wechat_sign_in_required", out
    status, out = _order(base, token, "hotline")
    assert status == 409 and out["error"]["code"] == "payment_channel_unsupported", out
