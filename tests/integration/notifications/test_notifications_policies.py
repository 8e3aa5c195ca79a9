"""Quiet hours, marketing consent and the daily cap, and the reminders, over DynamoDB Local's real stream records."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest

from chalicelib.benefits import vouchers
from chalicelib.core import clock, notifications, sms
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import api_keys
from chalicelib.notifications import jobs, reminders
from tests.integration.notifications.test_notifications_delivery import World
from tests.integration.notifications.test_notifications_delivery import world as world
from tests.support.clock import at, frozen_clock

pytestmark = pytest.mark.integration


def _notify(cid: str, template: str, data: dict[str, Any]) -> None:
    tx = Tx()
    notifications.put_in(tx, cid, template, data)
    tx.commit()


@pytest.mark.slow
def test_quiet_hours_hold_a_non_urgent_message_until_the_morning_and_release_it_once(world: World):
    cid, token, phone = world.app_member()
    with frozen_clock(at(2026, 12, 1, 23, 0)):
        _notify(cid, "needs_follow_up", {"transaction_id": "txn_q", "status": "needs_follow_up"})
        _notify(cid, "refunded", {"transaction_id": "txn_r", "status": "refunded"})  # urgent: goes at once
        world.pump_stream()
        texts = [m.text for m in sms.OutboxSms.messages(phone)]
        assert len(texts) == 1 and "积分已退回" in texts[0]
        held = next(n for n in world.inbox(token) if n["kind"] == "transaction_needs_follow_up")
        assert [(d["channel"], d["status"]) for d in held["deliveries"]] == [("in_app", "delivered"), ("sms", "held")]
        clock.set_now(at(2026, 12, 2, 7, 59))
        assert jobs.release_held() == {"released": 0, "failed": 0}
        clock.set_now(at(2026, 12, 2, 8, 0, 30))
        assert jobs.release_held() == {"released": 1, "failed": 0}
        assert jobs.release_held() == {"released": 0, "failed": 0}
    assert len(sms.OutboxSms.messages(phone)) == 2
    held = next(n for n in world.inbox(token) if n["kind"] == "transaction_needs_follow_up")
    assert [d["status"] for d in held["deliveries"]] == ["delivered", "held", "sent"]


@pytest.mark.slow
def test_a_held_message_is_released_on_time_when_the_clock_reads_utc_as_it_does_deployed(world: World):
    """Deployed, the clock is UTC and the release time is the member's +08:00 wall clock: instants are compared."""
    cid, token, phone = world.app_member()
    with frozen_clock(at(2026, 12, 1, 23, 0).astimezone(UTC)):
        _notify(cid, "needs_follow_up", {"transaction_id": "txn_u", "status": "needs_follow_up"})
        world.pump_stream()
        assert sms.OutboxSms.messages(phone) == []
        clock.set_now(at(2026, 12, 2, 7, 59, 59).astimezone(UTC))
        assert jobs.release_held() == {"released": 0, "failed": 0}
        clock.set_now(at(2026, 12, 2, 8, 0, 1).astimezone(UTC))  # 00:00:01 UTC: text "00:00" sorts before "08:00"
        assert jobs.release_held() == {"released": 1, "failed": 0}
        assert jobs.release_held() == {"released": 0, "failed": 0}
    assert len(sms.OutboxSms.messages(phone)) == 1
    held = next(n for n in world.inbox(token) if n["kind"] == "transaction_needs_follow_up")
    assert [d["status"] for d in held["deliveries"]] == ["delivered", "held", "sent"]


@pytest.mark.slow
def test_marketing_needs_consent_and_goes_once_a_day(world: World):
    cid, token, phone = world.app_member()
    offer = {"day": "12月8日", "offer": "双倍积分"}
    with frozen_clock(at(2026, 12, 1, 10, 0)):
        _notify(cid, "member_day_preview", offer)
        world.pump_stream()
        assert sms.OutboxSms.messages(phone) == []
        status, _body, _ = world.api.call("PATCH", "/v1/me", {"consents": {"marketing": True}}, token=token)
        assert status == 200
        _notify(cid, "member_day_preview", offer)
        _notify(cid, "member_day_preview", offer)
        world.pump_stream()
        assert len(sms.OutboxSms.messages(phone)) == 1
        clock.set_now(at(2026, 12, 2, 10, 0))
        _notify(cid, "member_day_preview", offer)
        world.pump_stream()
    assert len(sms.OutboxSms.messages(phone)) == 2
    statuses = sorted([d["status"] for d in n["deliveries"]] for n in world.inbox(token))
    assert statuses == [["delivered"], ["delivered", "sent"], ["delivered", "sent"], ["delivered", "skipped"]]


@pytest.mark.slow
def test_points_and_voucher_reminders_reach_members_through_their_indexes_once(world: World):
    cid, token, phone = world.app_member()
    api_keys.create_api_key("notifications-tests", "nt-integration-key")
    status, body, _ = world.api.call("POST", "/v1/integrations/orders", {
        "order_no": f"NT-{cid}", "customer": {"customer_id": cid}, "amount_fen": 50_000, "channel": "store",
        "paid_at": clock.iso()}, headers={"X-Api-Key": "nt-integration-key"})
    assert status == 201, body
    status, points, _ = world.api.call("GET", "/v1/me/points", token=token)
    expires_on = points["buckets"][0]["expires_on"]
    voucher = vouchers.new_voucher(cid, benefit_id="bn_nt", name="满100减10券", kind="coupon", source="claim",
                                   valid_days=3)
    tx = Tx()
    vouchers.put_in(tx, voucher)
    tx.commit()
    from datetime import date

    seven_before = date.fromisoformat(expires_on) - timedelta(days=7)
    assert reminders.points_expiring(seven_before) == {"points_reminders": 1, "points_already": 0}
    assert reminders.points_expiring(seven_before) == {"points_reminders": 0, "points_already": 1}
    voucher_day = date.fromisoformat(voucher.expires_at[:10]) - timedelta(days=3)
    assert reminders.vouchers_expiring(voucher_day) == {"voucher_reminders": 1, "vouchers_already": 0}
    assert reminders.vouchers_expiring(voucher_day) == {"voucher_reminders": 0, "vouchers_already": 1}
    with frozen_clock(at(2026, 12, 1, 12, 0)):  # daytime: no quiet hours in the way
        world.pump_stream()
    texts = sorted(m.text for m in sms.OutboxSms.messages(phone))
    assert len(texts) == 2
    assert any(f"{points['balance']}积分将于{expires_on}过期" in t for t in texts)
    assert any("满100减10券" in t for t in texts)
    kinds = sorted(n["kind"] for n in world.inbox(token))
    assert kinds == ["points_expiring", "voucher_expiring"]
