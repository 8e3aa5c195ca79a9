"""Notifications delivered from real DynamoDB Local stream records: the table's stream read the way Lambda's event
source reads it (``tools.lambda_emulation.stream_poller``), fed to ``app.notification_dispatcher``; WeChat is the
simulator, SMS the local outbox, the retry queue moto's."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from chalicelib.core import faults, notifications, sms
from chalicelib.core.config import settings
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.retry import outbox
from chalicelib.followups import retry_pipeline
from tests.support.sign_in import app_login
from tests.support.tables import dynamodb_client
from tools.lambda_emulation import stream_poller
from tools.lambda_emulation.sqs_poller import QueuePoller

pytestmark = pytest.mark.integration


def _streams(endpoint: str) -> Any:
    import boto3

    return boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name="ap-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class World:
    def __init__(self, api: Any, wechat: Any, sqs: Any, queues: Any) -> None:
        import app as application

        self.api, self.wechat, self.sqs = api, wechat, sqs
        self.app = application
        endpoint = settings().dynamodb_endpoint
        assert endpoint
        self.poller = stream_poller.for_app(dynamodb_client(endpoint), _streams(endpoint), application.app,
                                            settings().table_name)[0]
        self.poller.retry_pause = 0
        self.retry = QueuePoller(sqs, queues["RetryQueue"].url, application.retry_worker,
                                 function_name="member-portal-local-retry_worker", wait_seconds=0)

    def pump_stream(self) -> None:
        while self.poller.poll_once():
            pass

    def pump_retries(self, rounds: int = 20) -> None:
        for _ in range(rounds):
            self.retry.poll_once()

    def app_member(self) -> tuple[str, str, str]:
        phone = "139" + str(uuid.uuid4().int)[:8]
        tokens = app_login(self.api, phone)
        return tokens["customer_id"], tokens["access_token"], phone

    def mp_member(self, grants: int = 1) -> tuple[str, str, str]:
        openid = "o" + uuid.uuid4().hex[:20]
        status, tokens, _ = self.api.call("POST", "/v1/auth/miniprogram/login", {"code": f"mock:{openid}"})
        assert status == 200, tokens
        if grants:
            status, body, _ = self.api.call("POST", "/v1/me/wechat-subscriptions",
                                            {"accepted": ["tmpl_member_notice"] * grants},
                                            token=tokens["access_token"])
            assert status == 201, body
            assert body["grants"] == [{"template_id": "tmpl_member_notice", "remaining": grants}]
            with self.wechat.state.lock:  # and WeChat's own record of what the user accepted in the mini-program
                self.wechat.state.grants[(openid, "tmpl_member_notice")] += grants
        return tokens["customer_id"], tokens["access_token"], openid

    def notify(self, customer_id: str, template: str = "refunded") -> None:
        tx = Tx()
        notifications.put_in(tx, customer_id, template, {"transaction_id": f"txn_{uuid.uuid4().hex[:8]}",
                                                         "status": "refunded"})
        tx.commit()

    def wechat_messages(self, openid: str) -> list[dict[str, Any]]:
        with self.wechat.state.lock:
            return [m for m in self.wechat.state.messages if m["touser"] == openid]

    def inbox(self, token: str) -> list[dict[str, Any]]:
        status, body, _ = self.api.call("GET", "/v1/me/notifications", token=token)
        assert status == 200, body
        return list(body["items"])


@pytest.fixture
def world(api: Any, wechat_sim: Any, sqs_queues: Any, sqs_client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RETRY_BACKOFF_BASE_SECONDS", "0")
    retry_pipeline.queues.reset()
    outbox.set_retry_port(None)
    wechat_sim.state.reset()
    yield World(api, wechat_sim, sqs_client, sqs_queues)
    wechat_sim.state.reset()
    retry_pipeline.queues.reset()


@pytest.mark.slow
def test_an_urgent_message_reaches_an_app_member_by_sms_and_a_mini_program_member_by_subscription(world):
    app_cid, app_token, phone = world.app_member()
    mp_cid, mp_token, openid = world.mp_member(grants=1)
    world.notify(app_cid)
    world.notify(mp_cid)
    world.pump_stream()

    texts = [m.text for m in sms.OutboxSms.messages(phone)]
    assert len(texts) == 1 and texts[0].startswith("【会员中心】积分已退回")
    sent = world.wechat_messages(openid)
    assert len(sent) == 1 and sent[0]["template_id"] == "tmpl_member_notice"
    assert len(sent[0]["data"]["thing2"]["value"]) <= 20  # the body, cut the way WeChat accepts

    [app_note] = world.inbox(app_token)
    assert [(d["channel"], d["status"]) for d in app_note["deliveries"]] == [("in_app", "delivered"), ("sms", "sent")]
    [mp_note] = world.inbox(mp_token)
    assert [(d["channel"], d["status"]) for d in mp_note["deliveries"]] == [
        ("in_app", "delivered"), ("wechat_subscribe", "sent")]
    status, me, _ = world.api.call("GET", "/v1/me", token=mp_token)
    assert status == 200 and me["unread_notifications"] == 1
    status, read, _ = world.api.call("POST", f"/v1/me/notifications/{mp_note['notification_id']}/read", token=mp_token)
    assert status == 200 and read["unread"] == 0

    status, listed, _ = world.api.call("GET", f"/v1/dev/deliveries?customer_id={app_cid}")
    assert status == 200 and [(d["channel"], d["status"]) for d in listed["items"]] == [("sms", "sent")]

    # The same stream records again (a replayed batch): nothing is sent twice, nothing counted twice.
    again = stream_poller.for_app(dynamodb_client(settings().dynamodb_endpoint), _streams(settings().dynamodb_endpoint),
                                  world.app.app, settings().table_name)[0]
    while again.poll_once():
        pass
    assert len(sms.OutboxSms.messages(phone)) == 1
    assert len(world.wechat_messages(openid)) == 1
    status, me, _ = world.api.call("GET", "/v1/me", token=app_token)
    assert me["unread_notifications"] == 1


@pytest.mark.slow
def test_a_spent_grant_allows_no_second_message_and_a_busy_wechat_is_retried(world):
    mp_cid, _mp_token, openid = world.mp_member(grants=1)
    world.notify(mp_cid)
    world.notify(mp_cid)  # the second finds the grant spent: the member has no phone, so no channel is left
    world.pump_stream()
    assert len(world.wechat_messages(openid)) == 1

    busy_cid, busy_token, busy_openid = world.mp_member(grants=1)
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 1.0
    world.notify(busy_cid)
    world.pump_stream()
    [note] = world.inbox(busy_token)
    assert [d["status"] for d in note["deliveries"]] == ["delivered", "retrying"]
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 0.0
    world.pump_retries()
    [note] = world.inbox(busy_token)
    assert [d["status"] for d in note["deliveries"]] == ["delivered", "retrying", "sent"]
    assert len(world.wechat_messages(busy_openid)) == 1


@pytest.mark.slow
def test_an_expired_token_is_renewed_and_the_message_sent_once(world):
    mp_cid, _token, openid = world.mp_member(grants=1)
    world.api.call("GET", "/v1/health")
    from chalicelib.core import wechat

    wechat.mini_program_client().stable_access_token()  # a token cached, then invalidated by WeChat
    world.wechat.state.tokens.clear()
    world.notify(mp_cid)
    world.pump_stream()
    assert len(world.wechat_messages(openid)) == 1


@pytest.mark.slow
def test_settings_switch_sms_off_and_quiet_hours_are_kept(world):
    cid, token, phone = world.app_member()
    status, body, _ = world.api.call("PUT", "/v1/me/notification-settings",
                                     {"channels": {"sms": False}, "quiet_hours": {"start": "23:00", "end": "07:00"}},
                                     token=token)
    assert status == 200, body
    assert body == {"channels": {"sms": False, "wechat": True, "in_app": True},
                    "quiet_hours": {"start": "23:00", "end": "07:00"}}
    world.notify(cid)
    world.pump_stream()
    assert sms.OutboxSms.messages(phone) == []
    status, bad, _ = world.api.call("PUT", "/v1/me/notification-settings", {"quiet_hours": {"start": "25:00",
                                                                                            "end": "07:00"}},
                                    token=token)
    assert status == 400 and bad["error"]["code"] == "validation_error"
    assert json.dumps(bad)


@pytest.mark.slow
def test_faults_every_notification_ends_sent_or_failed_on_its_channels_and_nothing_goes_twice(world):
    import random
    from collections import Counter

    from chalicelib.notifications.models import DeliveryItem

    random.seed(7)
    members = []
    for i in range(6):
        if i % 2:
            cid, token, phone = world.app_member()
            members.append((cid, token, None, phone))
        else:
            cid, token, openid = world.mp_member(grants=2)
            phone = "137" + str(uuid.uuid4().int)[:8]
            status, _b, _ = world.api.call("POST", "/v1/auth/miniprogram/phone", {"code": f"mockphone:{phone}"},
                                           token=token)
            assert status == 200
            members.append((cid, token, openid, phone))
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 0.5
    faults.set_faults(sms_down=True)
    for cid, *_ in members:
        world.notify(cid)
        world.notify(cid)
    world.pump_stream()
    world.pump_retries(rounds=1)  # SMS still down: its retries fail again
    faults.set_faults(sms_down=False)
    with world.wechat.state.lock:
        world.wechat.state.message_failure_rate = 0.3
    for _ in range(10):
        world.pump_retries(rounds=5)
    # the whole stream again: a replayed batch sends nothing more
    again = stream_poller.for_app(dynamodb_client(settings().dynamodb_endpoint), _streams(settings().dynamodb_endpoint),
                                  world.app.app, settings().table_name)[0]
    while again.poll_once():
        pass

    with world.wechat.state.lock:
        wechat_sends = Counter(m["page"] for m in world.wechat.state.messages)
    assert wechat_sends and max(wechat_sends.values()) == 1
    for cid, token, openid, phone in members:
        sms_sends = Counter(m.ref for m in sms.OutboxSms.messages(phone))
        assert not sms_sends or max(sms_sends.values()) == 1, sms_sends
        notes = world.inbox(token)
        assert len(notes) == 2
        for note in notes:
            records = [d for d in DeliveryItem.query(f"CUST#{cid}") if d.notification_id == note["notification_id"]
                       and d.sk.startswith("ND#")]
            assert records and all(d.status in ("sent", "failed") for d in records), [d.status for d in records]
            sent = [d.channel for d in records if d.status == "sent"]
            assert len(sent) <= 1  # one channel reached the member, or every channel it should use failed
            if not sent:
                assert {d.channel for d in records} == ({"wechat_subscribe", "sms"} if openid else {"sms"})
            final = [(d["channel"], d["status"]) for d in note["deliveries"] if d["status"] in ("sent", "failed")]
            assert sorted(final) == sorted((d.channel, d.status) for d in records)
            page_sends = wechat_sends.get(f"pages/notifications/index?id={note['notification_id']}", 0)
            assert page_sends == (1 if "wechat_subscribe" in sent else 0)


def test_an_official_account_template_message_is_sent_and_data_over_its_limit_is_refused_like_wechat(world):
    from chalicelib.notifications import channels, rules

    good = channels.Message(ref="ntf_oa", template_id="tmpl_member_notice", oa_template_id="oa_tmpl_member_notice",
                            wechat_data={}, oa_data={"thing1": {"value": "积分已退回"}, "time3": {
                                "value": "2026年12月1日 15:01"}}, sms_text="", page="pages/notifications/index")
    member = rules.Recipient(oa_openid="oa_openid_1")
    with world.wechat.state.lock:  # a user of the official account who follows it
        world.wechat.state.add_user(world.wechat.state.oa_app_id, "oa_openid_1")
        world.wechat.state.followers.add("oa_openid_1")
    outcome = channels.send(rules.WECHAT_TEMPLATE, member, good)
    assert outcome.status == "sent"
    [sent] = world.wechat_messages("oa_openid_1")
    assert sent["path"] == "/cgi-bin/message/template/send" and sent["client_msg_id"] == "ntf_oa"

    too_long = channels.Message(**{**good.__dict__, "oa_data": {"thing1": {"value": "字" * 21}}})
    refused = channels.send(rules.WECHAT_TEMPLATE, member, too_long)
    assert (refused.status, refused.error) == ("failed", "wechat_47003")
    phrase = channels.Message(**{**good.__dict__, "oa_data": {"phrase2": {"value": "done"}}})
    assert channels.send(rules.WECHAT_TEMPLATE, member, phrase).error == "wechat_47003"
    assert len(world.wechat_messages("oa_openid_1")) == 1
