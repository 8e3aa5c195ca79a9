"""The delivery's pure rules: channel choice, quiet hours, urgency, WeChat's field formats."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from chalicelib.core.calendar import SHANGHAI
from chalicelib.notifications import rules

NIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=SHANGHAI)
DAY = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)


def test_channels_in_order_subscription_needs_a_grant_and_settings_switch_them_off():
    everyone = rules.Recipient(mp_openid="o1", oa_openid="o2", phone="13800138000", grants=1)
    assert rules.channels_for(everyone) == ("wechat_subscribe", "wechat_template", "sms")
    assert rules.channels_for(rules.Recipient(mp_openid="o1", phone="13800138000")) == ("sms",)
    assert rules.channels_for(rules.Recipient(mp_openid="o1", oa_openid="o2", phone="1", grants=1,
                                              channels={"wechat": False})) == ("sms",)
    assert rules.channels_for(rules.Recipient(phone="1", channels={"sms": False})) == ()


def test_quiet_hours_wrap_midnight_and_hold_until_the_morning():
    start, end = rules.DEFAULT_QUIET
    assert rules.in_quiet_hours(NIGHT, start, end)
    assert rules.in_quiet_hours(NIGHT.replace(hour=7, minute=59), start, end)
    assert not rules.in_quiet_hours(NIGHT.replace(hour=8, minute=0), start, end)
    assert not rules.in_quiet_hours(DAY, time(12, 0), time(13, 0))
    assert rules.quiet_ends(NIGHT, end) == datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)
    member = rules.Recipient(phone="13800138000")
    held = rules.plan(member, category="service", urgent=False, local_now=NIGHT)
    assert held.hold_until == datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI) and held.channels == ("sms",)
    assert rules.plan(member, category="service", urgent=True, local_now=NIGHT).hold_until is None
    assert rules.plan(member, category="service", urgent=False, local_now=NIGHT, released=True).hold_until is None


def test_marketing_needs_consent_and_a_change_within_48_hours_is_urgent():
    member = rules.Recipient(phone="13800138000")
    assert rules.plan(member, category="marketing", urgent=False, local_now=DAY).skipped == "no_marketing_consent"
    consenting = rules.Recipient(phone="13800138000", marketing_consent=True)
    assert rules.plan(consenting, category="marketing", urgent=False, local_now=DAY).channels == ("sms",)
    soon = (DAY + timedelta(hours=30)).isoformat()
    later = (DAY + timedelta(hours=72)).isoformat()
    assert rules.is_urgent(False, 48, soon, DAY)
    assert not rules.is_urgent(False, 48, later, DAY)
    assert not rules.is_urgent(False, 0, soon, DAY)


def test_wechat_values_are_cut_to_what_wechat_accepts():
    long_thing = "您的请求未能完成，所扣积分已全部退回您的账户，感谢您的耐心等待"
    value = rules.wechat_value("thing2", long_thing)
    assert len(value) == 20 and value.endswith("…") and rules.valid_wechat_value("thing2", value)
    assert not rules.valid_wechat_value("thing2", long_thing)
    assert rules.wechat_value("phrase3", "已退回 ok 完成了吧") == "已退回完成"
    assert rules.valid_wechat_value("phrase3", "已退回完成")
    assert not rules.valid_wechat_value("phrase3", "已经退回完成了")
    assert rules.wechat_value("number1", "1,200 分") == "1200"
    assert rules.wechat_value("time3", "2026-12-01T15:01") == "2026年12月1日 15:01"
    assert rules.valid_wechat_value("time3", "2026年12月1日 15:01")
    assert rules.wechat_value("date2", "2026-12-31") == "2026年12月31日"
    data = rules.wechat_data((("thing1", "{title}"), ("number2", "{points}")), {"title": "积分即将过期", "points": 300})
    assert data == {"thing1": {"value": "积分即将过期"}, "number2": {"value": "300"}}


def test_the_issue_s_urgent_messages_go_out_in_quiet_hours_and_the_rest_wait():
    """Waitlist promotions and changes to an event or appointment within 48 hours are urgent; a reminder is not."""
    import chalicelib.areas  # noqa: F401  # the manifests' templates
    from chalicelib.core.notifications import TEMPLATES

    def urgent(template: str, starts_in: timedelta) -> bool:
        spec = TEMPLATES[template]
        starts = (NIGHT + starts_in).isoformat()
        return rules.is_urgent(spec.urgent, spec.urgent_within_hours, starts if spec.starts_field else None, NIGHT)

    assert urgent("event_promoted", timedelta(days=20))
    assert urgent("refunded", timedelta(days=20))
    for changed in ("event_changed", "event_cancelled", "appointment_moved", "appointment_cancelled"):
        assert urgent(changed, timedelta(hours=30)), changed
        assert not urgent(changed, timedelta(hours=60)), changed
    assert not urgent("event_reminder", timedelta(hours=20))
    assert not urgent("appointment_reminder", timedelta(hours=20))
