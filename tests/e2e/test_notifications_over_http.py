"""On the running local stack over HTTP: a service message (an appointment booked), an agent's refund (the follow-up
refund path writes ``refunded``) and a points-expiry reminder (the reminders job) each reach an app member by SMS and
a mini-program member by a subscription message (granted), within seconds, visible in ``/v1/dev/deliveries`` and in
the notification's ``deliveries``. The stack's stream poller feeds DynamoDB Local's stream to the dispatcher.

Each member switches quiet hours off (start = end) so the test does not depend on the time of day it runs at."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, REPO_ROOT
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WITHIN_SECONDS = 15


def ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


class Member:
    def __init__(self, stack: Any, kind: str) -> None:
        base = str(stack)
        self.base, self.kind, self.wechat_url = base, kind, stack.wechat_url
        self.openid = f"ntf-{uuid.uuid4().hex[:12]}"
        if kind == "app":
            self.phone = new_phone("135")
            tokens = app_login(base, self.phone)
        else:
            tokens = ok(call(base, "POST", "/v1/auth/miniprogram/login", {"code": f"mock:{self.openid}"}))
        self.customer_id, self.token = tokens["customer_id"], tokens["access_token"]
        ok(call(base, "PUT", "/v1/me/notification-settings", {"quiet_hours": {"start": "00:00", "end": "00:00"}},
                token=self.token))
        self.channel = "sms" if kind == "app" else "wechat_subscribe"

    def grant(self, count: int = 1) -> None:
        """The member accepts the subscriptions in the mini-program: WeChat records them, the client tells us."""
        accepted = ["tmpl_member_notice", "tmpl_points_expiring"] * count
        ok(call(self.wechat_url, "POST", "/__sim/subscriptions", {"openid": self.openid, "template_ids": accepted}))
        ok(call(self.base, "POST", "/v1/me/wechat-subscriptions", {"accepted": accepted}, token=self.token), 201)

    def reached(self, kind: str) -> dict[str, Any]:
        """Waits for the newest notification of ``kind`` to be sent on the member's channel; returns it."""
        deadline = time.monotonic() + WITHIN_SECONDS
        note: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            items = ok(call(self.base, "GET", "/v1/me/notifications", token=self.token))["items"]
            note = next((n for n in items if n["kind"] == kind), None)
            if note and any(d["channel"] == self.channel and d["status"] == "sent" for d in note["deliveries"]):
                sent = ok(call(self.base, "GET", f"/v1/dev/deliveries?customer_id={self.customer_id}"))["items"]
                mine = [d for d in sent if d["notification_id"] == note["notification_id"]]
                assert [(d["channel"], d["status"]) for d in mine] == [(self.channel, "sent")], mine
                return note
            time.sleep(0.3)
        raise AssertionError(f"{kind} not sent by {self.channel} within {WITHIN_SECONDS} s: {note}")


def test_a_service_message_reaches_both_members(local_stack):
    base = str(local_stack)
    members = [Member(local_stack, "app"), Member(local_stack, "mp")]
    members[1].grant()
    store = ok(call(base, "GET", "/v1/stores"))["items"][0]
    service_id = store["services"][0]
    day = (datetime.now(UTC) + timedelta(days=2)).astimezone().date().isoformat()
    for member in members:
        slots = ok(call(base, "GET", f"/v1/stores/{store['store_id']}/slots?service_id={service_id}&date={day}",
                        token=member.token))["items"]
        slot = next(s for s in slots if s["bookable"])
        ok(call(base, "POST", "/v1/appointments", {"store_id": store["store_id"], "service_id": service_id,
                                                    "slot_start": slot["slot_start"]},
                token=member.token, headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    for member in members:
        note = member.reached("transaction_appointment_booked")
        assert note["deliveries"][0] == {"channel": "in_app", "status": "delivered", "at": note["deliveries"][0]["at"],
                                         "error": None}
    with_sim = ok(call(local_stack.wechat_url, "GET", "/__sim/messages"))["items"]
    assert [m for m in with_sim if m["template_id"] == "tmpl_member_notice"
            and m["page"].endswith(members[1].reached("transaction_appointment_booked")["notification_id"])]


def _points_for(base: str, member: Member, amount_fen: int = 100_000) -> None:
    order = {"order_no": f"E2E-NT-{uuid.uuid4().hex[:10]}", "customer": {"customer_id": member.customer_id},
             "amount_fen": amount_fen, "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
    ok(call(base, "POST", "/v1/integrations/orders", order, headers=LOCAL_KEY), 201)


def test_an_agent_refund_reaches_both_members(local_stack):
    base = str(local_stack)
    admin = staff_login(base, "admin", "admin-local-pass")["access_token"]
    agent = staff_login(base, "agent", "agent-local-pass")["access_token"]
    reward_id = ok(call(base, "POST", "/v1/admin/rewards",
                        {"name": f"视频会员 NT {uuid.uuid4().hex[:6]}", "points_cost": 300, "stock": 5,
                         "fulfillment": "partner"}, token=admin), 201)["reward_id"]
    members = [Member(local_stack, "app"), Member(local_stack, "mp")]
    members[1].grant(2)  # the follow-up notice and the refund each spend one
    cases = []
    ok(call(base, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 1.0}))
    try:
        for member in members:
            _points_for(base, member)
            accepted = ok(call(base, "POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1},
                               token=member.token, headers={"Idempotency-Key": uuid.uuid4().hex}), 202)
            cases.append(f"fu.{member.customer_id}.{accepted['transaction_id']}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            queue = ok(call(base, "GET", "/v1/agent/follow-ups?status=open&limit=100", token=agent))["items"]
            if {c["case_id"] for c in queue} >= set(cases):
                break
            time.sleep(0.5)
    finally:
        ok(call(base, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 0.0}))
    for case_id in cases:
        ok(call(base, "POST", f"/v1/agent/follow-ups/{case_id}/claim", token=agent))
        ok(call(base, "POST", f"/v1/agent/follow-ups/{case_id}/resolve", {"resolution": "refunded", "note": "退回"},
                token=agent))
    for member in members:
        note = member.reached("transaction_refunded")
        assert note["data"]["status"] == "refunded"


def test_a_points_expiry_reminder_reaches_both_members(local_stack):
    base = str(local_stack)
    members = [Member(local_stack, "app"), Member(local_stack, "mp")]
    members[1].grant()
    expiring: set[str] = set()
    for member in members:
        _points_for(base, member)
        expiring.add(ok(call(base, "GET", "/v1/me/points", token=member.token))["buckets"][0]["expires_on"])
    assert len(expiring) == 1
    on = date.fromisoformat(expiring.pop()) - timedelta(days=30)
    for _ in range(2):  # a second run reminds nobody again
        result = subprocess.run(
            [sys.executable, "-m", "tools.stack.run_job", "notifications_reminders", "--env", f"REMINDERS_ON={on}",
             "--dynamodb-endpoint", local_stack.dynamodb_endpoint, "--sqs-endpoint", local_stack.sqs_endpoint],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
    for member in members:
        note = member.reached("points_expiring")
        assert note["data"]["points"] > 0 and note["data"]["days_left"] == 30
        items = ok(call(base, "GET", "/v1/me/notifications", token=member.token))["items"]
        assert [n["kind"] for n in items].count("points_expiring") == 1
