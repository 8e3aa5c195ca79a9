"""The membership area's error codes: HTTP status and messages (zh-CN, en)."""

from __future__ import annotations

from chalicelib.core.error_spec import ErrorSpec

ERRORS: dict[str, ErrorSpec] = {
    "trial_already_used": ErrorSpec(409, "您已体验过 Plus 会员，试用每人仅限一次",
                                    "You have already used your Plus trial (one per person)"),
    "already_member": ErrorSpec(409, "您当前已是 Plus 会员", "You already hold Plus membership"),
    "plan_not_found": ErrorSpec(404, "该会员方案不存在", "This membership plan does not exist"),
    "plan_not_on_sale": ErrorSpec(409, "该会员方案已停售，请选择其他方案",
                                  "This membership plan is no longer on sale; choose another plan"),
    "plan_exists": ErrorSpec(409, "已存在相同 ID 的会员方案", "A membership plan with this ID already exists"),
    "membership_not_active": ErrorSpec(409, "该会员当前不是有效的付费 Plus 会员",
                                       "This member holds no active paid Plus membership"),
    "refund_window_passed": ErrorSpec(409, "购买已超过 7 天，无法退款",
                                      "The membership was bought more than 7 days ago and cannot be refunded"),
    "benefit_already_used": ErrorSpec(409, "会员权益已使用，无法退款",
                                      "A Plus benefit was already used: the membership cannot be refunded"),
    "payment_signature_invalid": ErrorSpec(401, "支付通知签名验证失败",
                                           "The payment notification's signature does not verify"),
    "payment_notification_stale": ErrorSpec(401, "支付通知时间戳已过期",
                                            "The payment notification's timestamp is too old"),
    "payment_notification_invalid": ErrorSpec(400, "支付通知内容无法解析或解密",
                                              "The payment notification cannot be parsed or decrypted"),
    "payment_mismatch": ErrorSpec(422, "支付通知与订单不符（金额或订单号）",
                                  "The payment notification does not match the order (amount or order number)"),
    "wechat_sign_in_required": ErrorSpec(409, "请先在当前小程序或公众号内使用微信登录，再进行支付",
                                         "Sign in with WeChat in this mini-program or official account before "
                                         "paying: WeChat Pay needs your openid of it"),
    "payment_channel_unsupported": ErrorSpec(409, "当前渠道无法使用微信支付，请在 App、小程序或公众号内购买",
                                             "WeChat Pay is not available in this channel; buy in the app, the "
                                             "mini-program or the official account"),
    "payment_refused": ErrorSpec(409, "微信支付拒绝了该订单，请稍后重新下单或联系客服",
                                 "WeChat Pay refused this order; place a new order or contact customer service"),
    "payments_not_configured": ErrorSpec(503, "支付暂不可用，请稍后再试",
                                         "Payments are not available right now; try again later"),
}
