"""What members read about their Plus membership: ``{...}`` are filled from the notification's data."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "plus_trial_started": NoticeSpec(
        "Plus 会员体验已开通", "您的 7 天 Plus 会员体验已开通，有效期至 {expires_on}。",
        "Your Plus trial has started", "Your 7-day Plus trial is on until {expires_on}.",
        kind="plus_trial_started",
    ),
    "plus_activated": NoticeSpec(
        "Plus 会员已开通", "支付成功，您的 Plus 会员（{plan_name}）有效期至 {expires_on}。",
        "Plus membership active", "Payment received: your Plus membership ({plan_name}) runs until {expires_on}.",
        kind="transaction_plus_activated", urgent=True,  # who just paid hears of it at once, quiet hours or not
    ),
    "plus_refunded": NoticeSpec(
        "Plus 会员已退款", "您的 Plus 会员已退款 {amount_yuan} 元，会员即时终止。",
        "Plus membership refunded", "Your Plus membership was refunded ({amount_yuan} yuan) and has ended.",
        kind="transaction_plus_refunded", urgent=True,  # a refund is urgent, like every refund
    ),
    "plus_renewal_reminder": NoticeSpec(
        "Plus 会员即将到期",
        "您的 Plus 会员将于 {expires_on} 到期（还剩 {days_left} 天）。本会员年您已节省 {saved_yuan} 元，"
        "{services_text}。续费专享券已放入您的卡包。",
        "Your Plus membership ends soon",
        "Your Plus membership ends on {expires_on} ({days_left} days left). This membership year you saved "
        "{saved_yuan} yuan; {services_text_en}. A renewal voucher is in your wallet.",
        kind="plus_renewal_reminder",
    ),
}
