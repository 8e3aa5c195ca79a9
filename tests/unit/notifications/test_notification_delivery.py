"""The delivery's flow on moto (fast, single-threaded): fall-back, retries through the retry port, the grant spent
once, a replay sending nothing. The channels are replaced by a script of outcomes; the rules decide the rest."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.core import clock, notifications
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.retry import outbox
from chalicelib.identity.models import PROFILE_SK, CustomerItem
from chalicelib.notifications import channels, delivery
from chalicelib.notifications.models import GRANT_PREFIX, DeliveryItem, GrantItem
from tests.support.clock import at, frozen_clock


class Port:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def record_in(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the delivery never writes an outbox entry")

    def enqueue(self, txn: Any, *, clear_outbox: bool = True) -> bool:
        self.sent.append(txn.message())
        return True


@pytest.fixture
def world(moto_table: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    port = Port()
    outbox.set_retry_port(port)
    script: dict[str, list[str]] = {}
    calls: list[str] = []

    def send(channel: str, recipient: Any, message: Any) -> channels.Outcome:
        calls.append(channel)
        status = script.get(channel, ["sent"]).pop(0) if script.get(channel) else "sent"
        return channels.Outcome(status, None if status == "sent" else f"{channel}_{status}")  # type: ignore[arg-type]

    monkeypatch.setattr(channels, "send", send)
    with frozen_clock(at(2026, 12, 1, 12, 0)):
        yield {"port": port, "script": script, "calls": calls}
    outbox.set_retry_port(None)


def _member(grants: int = 1) -> str:
    cid = f"c_unit{uuid.uuid4().hex[:12]}"
    CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK, customer_id=cid, created_at=clock.iso(), phone="13800138000",
                 identities=["wechat_mp#wx-local-miniprogram#o_unit"]).save(add_version_condition=False)
    if grants:
        GrantItem(pk=f"CUST#{cid}", sk=f"{GRANT_PREFIX}tmpl_member_notice", template_id="tmpl_member_notice",
                  remaining=grants).save(add_version_condition=False)
    return cid


def _note(cid: str) -> notifications.NotificationItem:
    item = notifications.notification_item(cid, "refunded", {"transaction_id": "txn_u", "status": "refunded"})
    tx = Tx()
    tx.put("n", item)
    tx.commit()
    return item


def _statuses(item: notifications.NotificationItem) -> list[tuple[str, str]]:
    fresh = notifications.NotificationItem.get(item.pk, item.sk)
    return [(d["channel"], d["status"]) for d in fresh.deliveries or []]


@pytest.mark.slow
def test_a_refused_subscription_falls_back_to_sms_and_the_grant_is_given_back(world):
    cid = _member()
    world["script"]["wechat_subscribe"] = ["failed"]
    item = _note(cid)
    assert delivery.deliver(item) == "sent"
    assert world["calls"] == ["wechat_subscribe", "sms"]
    assert _statuses(item) == [("in_app", "delivered"), ("wechat_subscribe", "failed"), ("sms", "sent")]
    assert GrantItem.get(f"CUST#{cid}", f"{GRANT_PREFIX}tmpl_member_notice").remaining == 1
    assert delivery.deliver(item) == "taken" and world["calls"] == ["wechat_subscribe", "sms"]  # a replay


def test_a_busy_channel_goes_to_the_retry_pipeline_then_succeeds_once(world):
    cid = _member()
    world["script"]["wechat_subscribe"] = ["retry", "retry"]
    item = _note(cid)
    assert delivery.deliver(item) == "retrying"
    [message] = world["port"].sent
    assert message["kind"] == "notification_delivery" and message["channel"] == "wechat_subscribe"
    assert message["rest"] == ["sms"]
    with pytest.raises(delivery.RetryLater):
        delivery.redo(message)
    delivery.redo(message)  # the third attempt sends
    delivery.redo(message)  # a duplicate message: the delivery is no longer retrying, nothing is sent
    assert world["calls"] == ["wechat_subscribe"] * 3
    assert DeliveryItem.get(f"CUST#{cid}", f"ND#{item.notification_id}#wechat_subscribe").attempts == 3
    assert _statuses(item)[-1] == ("wechat_subscribe", "sent")
    assert GrantItem.get(f"CUST#{cid}", f"{GRANT_PREFIX}tmpl_member_notice").remaining == 0


@pytest.mark.slow
def test_a_channel_that_keeps_failing_is_marked_failed_after_its_attempts_and_the_next_one_goes(world):
    cid = _member()
    world["script"]["wechat_subscribe"] = ["retry", "retry", "retry"]
    item = _note(cid)
    delivery.deliver(item)
    [message] = world["port"].sent
    with pytest.raises(delivery.RetryLater):
        delivery.redo(message)
    delivery.redo(message)
    assert world["calls"] == ["wechat_subscribe"] * 3 + ["sms"]
    assert [s for c, s in _statuses(item) if c == "wechat_subscribe"] == ["retrying", "retrying", "failed"]
    assert _statuses(item)[-1] == ("sms", "sent")


def test_without_a_grant_the_subscription_is_not_tried(world):
    cid = _member(grants=0)
    item = _note(cid)
    assert delivery.deliver(item) == "sent"
    assert world["calls"] == ["sms"]
