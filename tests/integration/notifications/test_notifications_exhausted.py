"""A notification retry that runs out of retries (its redo fails on DynamoDB every time) reaches the follow-up
worker, as every retry message does: there the channel is marked failed and the next channel goes; no agent's case
is opened for a message, and nothing waits in a dead-letter queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.core import sms
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.notifications.models import GRANT_PREFIX, DeliveryItem, GrantItem
from tests.integration.notifications.test_notifications_delivery import World
from tests.integration.notifications.test_notifications_delivery import world as world
from tests.support.sqs import drain
from tools.lambda_emulation.sqs_poller import QueuePoller

pytestmark = pytest.mark.integration


@contextmanager
def dynamodb_down() -> Iterator[list[str]]:
    """Every DynamoDB call of the app's shared client fails as throttled (after the SDK's own retries)."""
    failed: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        failed.append(model.name)
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "injected"}},
                          model.name)

    events = shared_connection().client.meta.events
    events.register("before-call.dynamodb", hook)
    try:
        yield failed
    finally:
        events.unregister("before-call.dynamodb", hook)


def _member_with_two_channels(world: World) -> tuple[str, str, str, str]:
    """A mini-program member holding one grant, with a verified phone: the subscription message, then SMS."""
    cid, token, openid = world.mp_member(grants=1)
    phone = "137" + str(uuid.uuid4().int)[:8]
    status, body, _ = world.api.call("POST", "/v1/auth/miniprogram/phone", {"code": f"mockphone:{phone}"}, token=token)
    assert status == 200, body
    return cid, token, openid, phone


def _followup_poller(world: World) -> QueuePoller:
    return QueuePoller(world.sqs, world.queues_by_name["FollowUpQueue"].url, world.app.followup_worker,
                       function_name="member-portal-local-followup_worker", wait_seconds=0)


def _cases(cid: str) -> list[Any]:
    from chalicelib.followups.models import CASE_PREFIX, FollowUpCaseItem

    return list(FollowUpCaseItem.query(f"CUST#{cid}", FollowUpCaseItem.sk.startswith(CASE_PREFIX)))


@pytest.fixture
def queued(world: World, sqs_queues: dict[str, Any]) -> World:
    world.queues_by_name = sqs_queues  # type: ignore[attr-defined]
    return world


@pytest.mark.slow
def test_a_channel_whose_retries_ran_out_on_dynamodb_is_failed_and_the_next_channel_goes(queued: World):
    world = queued
    cid, token, openid, phone = _member_with_two_channels(world)
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 1.0  # WeChat busy: the subscription message is retried
    world.notify(cid)
    world.pump_stream()
    [note] = world.inbox(token)
    assert [(d["channel"], d["status"]) for d in note["deliveries"]] == [
        ("in_app", "delivered"), ("wechat_subscribe", "retrying")]
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 0.0

    with dynamodb_down() as failed:  # every receive of the retry fails before it sends: the queue gives up
        world.pump_retries(rounds=6)
    assert failed
    assert drain(world.sqs, world.queues_by_name["RetryQueue"].url) == []
    assert world.wechat_messages(openid) == [] and sms.OutboxSms.messages(phone) == []

    followups = _followup_poller(world)
    for _ in range(3):
        followups.poll_once()

    [note] = world.inbox(token)
    assert [(d["channel"], d["status"]) for d in note["deliveries"]] == [
        ("in_app", "delivered"), ("wechat_subscribe", "retrying"), ("wechat_subscribe", "failed"), ("sms", "sent")]
    assert note["deliveries"][2]["error"] == "retries_exhausted"
    assert len(sms.OutboxSms.messages(phone)) == 1 and world.wechat_messages(openid) == []
    records = {d.channel: d.status for d in DeliveryItem.query(f"CUST#{cid}", DeliveryItem.sk.startswith("ND#"))}
    assert records == {"wechat_subscribe": "failed", "sms": "sent"}
    grant = GrantItem.get(f"CUST#{cid}", f"{GRANT_PREFIX}tmpl_member_notice")
    assert grant.remaining == 1  # nothing went on the subscription: the member's grant is theirs again
    assert _cases(cid) == []  # a message is no agent's case
    assert drain(world.sqs, world.queues_by_name["FollowUpQueue"].url) == []


@pytest.mark.slow
def test_the_same_exhausted_message_again_changes_nothing(queued: World):
    from chalicelib.notifications import delivery

    world = queued
    cid, token, _openid, phone = _member_with_two_channels(world)
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 1.0
    world.notify(cid)
    world.pump_stream()
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 0.0
    [message] = [m["body"] for m in drain(world.sqs, world.queues_by_name["RetryQueue"].url)]
    assert message["kind"] == "notification_delivery"
    delivery.exhausted(message)
    delivery.exhausted(message)  # a duplicate follow-up delivery, or the dead-letter sweeper
    [note] = world.inbox(token)
    assert [(d["channel"], d["status"]) for d in note["deliveries"]] == [
        ("in_app", "delivered"), ("wechat_subscribe", "retrying"), ("wechat_subscribe", "failed"), ("sms", "sent")]
    assert len(sms.OutboxSms.messages(phone)) == 1
    assert GrantItem.get(f"CUST#{cid}", f"{GRANT_PREFIX}tmpl_member_notice").remaining == 1


@pytest.mark.slow
def test_a_channel_left_mid_send_is_failed_as_unknown_and_no_other_channel_goes(queued: World):
    """The last attempt claimed the channel (``sending``) and then failed: the member may have the message, so the
    channel ends ``failed`` (``outcome_unknown``), no grant comes back and SMS does not repeat it."""
    from chalicelib.notifications import delivery

    world = queued
    cid, token, _openid, phone = _member_with_two_channels(world)
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 1.0
    world.notify(cid)
    world.pump_stream()
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 0.0
    [message] = [m["body"] for m in drain(world.sqs, world.queues_by_name["RetryQueue"].url)]
    [claim] = DeliveryItem.query(f"CUST#{cid}", DeliveryItem.sk.startswith("ND#"))
    claim.update(actions=[DeliveryItem.status.set("sending")], add_version_condition=False)  # the mid-send crash
    grants_before = GrantItem.get(f"CUST#{cid}", f"{GRANT_PREFIX}tmpl_member_notice").remaining
    delivery.exhausted(message)
    [note] = world.inbox(token)
    assert [(d["channel"], d["status"], d["error"]) for d in note["deliveries"]][2:] == [
        ("wechat_subscribe", "failed", "outcome_unknown")]
    assert sms.OutboxSms.messages(phone) == []
    assert GrantItem.get(f"CUST#{cid}", f"{GRANT_PREFIX}tmpl_member_notice").remaining == grants_before
