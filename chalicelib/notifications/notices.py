"""The reminders' templates (the points, voucher and birthday reminders are sent by this area's jobs)."""

from chalicelib.core.notice_spec import NoticeSpec

NOTICES: dict[str, NoticeSpec] = {
    "points_expiring": NoticeSpec(
        "积分即将过期", "您有{points}积分将于{expires_on}过期，请尽快使用。",
        "Points expiring", "{points} of your points expire on {expires_on}; use them before then.",
        kind="points_expiring", wechat_template="tmpl_points_expiring",
        wechat_fields=(("number1", "{points}"), ("date2", "{expires_on}"), ("thing3", "{body}")),
        sms="【会员中心】您有{points}积分将于{expires_on}过期，请尽快使用。",
    ),
    "voucher_expiring": NoticeSpec(
        "优惠券即将过期", "您的{name}将于{expires_on}过期，请尽快使用。",
        "Voucher expiring", "Your {name} expires on {expires_on}; use it before then.",
        kind="voucher_expiring", wechat_template="tmpl_voucher_expiring",
        wechat_fields=(("thing1", "{name}"), ("date2", "{expires_on}"), ("thing3", "{body}")),
    ),
    "member_day_preview": NoticeSpec(  # marketing: only with consents.marketing, at most one a day
        "会员日特权抢先看", "{day}会员日：{offer}，会员专享。",
        "Member day preview", "Member day on {day}: {offer}, for members only.",
        kind="member_day_preview", category="marketing",
    ),
    "birthday_greeting": NoticeSpec(
        "生日快乐", "祝您生日快乐！生日礼遇已放入您的账户（{vouchers}张券），本月内有效。",
        "Happy birthday", "Happy birthday! Your birthday treat is in your account ({vouchers} vouchers) this month.",
        kind="birthday_greeting", wechat_template="tmpl_birthday",
    ),
}
