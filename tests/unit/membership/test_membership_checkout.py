"""Which WeChat Pay product each channel pays with (``membership/checkout.py``), and the signature check of what
WeChat Pay signs (``wechatpay.signed_by_wechat_pay``): pure, no network."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import AppError
from chalicelib.membership import checkout, wechatpay
from tools.simulators import wechatpay_sim

KEYS = wechatpay_sim.SimKeys()
ENV = KEYS.app_env("http://127.0.0.1:9", "http://127.0.0.1:9/notify")


def _keys(**drop: bool) -> wechatpay.Keys:
    env = {k: ("" if drop.get(k) else v) for k, v in ENV.items()}
    return wechatpay._parse(tuple(env[n] for n in wechatpay.ENV.values()),
                            tuple(env.get(n, "") for n in wechatpay.OPTIONAL_ENV.values()))


MP = f"wechat_mp#{wechatpay_sim.APP_ID}#o-mp"
OA = f"wechat_oa#{wechatpay_sim.OA_APP_ID}#o-oa"


@pytest.mark.parametrize(("channel", "identities", "asked", "expected"), [
    ("miniprogram", [MP, OA], None, ("jsapi", wechatpay_sim.APP_ID, "o-mp")),
    ("wechat_oa", [MP, OA], None, ("jsapi", wechatpay_sim.OA_APP_ID, "o-oa")),
    ("app", ["app#app#13800138000"], None, ("app", wechatpay_sim.OPEN_APP_ID, None)),
    (None, [], None, ("native", wechatpay_sim.OA_APP_ID, None)),
    ("store", [MP], "h5", ("h5", wechatpay_sim.OA_APP_ID, None)),
    ("app", [MP], "h5", ("app", wechatpay_sim.OPEN_APP_ID, None)),  # the app's own product wins
])
def test_each_channel_pays_with_its_product(channel, identities, asked, expected):
    assert tuple(checkout.route(_keys(), channel, identities, asked)) == expected


def test_an_openid_of_another_app_does_not_pay_in_this_one():
    other = "wechat_mp#wx-another-miniprogram#o-x"
    with pytest.raises(AppError) as refused:
        checkout.route(_keys(), "miniprogram", [other, OA], None)
    assert refused.value.code == "wechat_sign_in_required"


@pytest.mark.parametrize(("channel", "missing"), [("wechat_oa", "WECHATPAY_OA_APP_ID"),
                                                  ("app", "WECHATPAY_OPEN_APP_ID"), ("hotline", None)])
def test_a_channel_this_stage_cannot_serve_is_unsupported(channel, missing):
    keys = _keys(**({missing: True} if missing else {}))
    with pytest.raises(AppError) as refused:
        checkout.route(keys, channel, [MP, OA], None)
    assert refused.value.code == "payment_channel_unsupported"
    assert refused.value.details[0]["field"] == "X-Channel"


def test_what_wechat_pay_signs_is_checked_under_the_key_of_its_serial():
    keys = _keys()
    body = b'{"prepay_id":"wx1"}'
    for signer in ("public_key", "certificate"):  # both configured: the primary and WECHATPAY_PLATFORM_KEYS
        headers = {k.lower(): v for k, v in wechatpay_sim.sign_headers(KEYS, body, sign_with=signer).items()}
        assert wechatpay.signed_by_wechat_pay(headers, body, keys.verifiers.get)
        assert not wechatpay.signed_by_wechat_pay(headers, body + b" ", keys.verifiers.get)
        assert not wechatpay.signed_by_wechat_pay({**headers, "wechatpay-signature-type": "SM2-WITH-SM3"}, body,
                                                  keys.verifiers.get)
    unknown = {k.lower(): v for k, v in wechatpay_sim.sign_headers(wechatpay_sim.SimKeys(), body).items()}
    assert not wechatpay.signed_by_wechat_pay(unknown, body, keys.verifiers.get)
    assert not wechatpay.signed_by_wechat_pay({}, body, keys.verifiers.get)
    assert keys.public_key_id == KEYS.platform_serial
