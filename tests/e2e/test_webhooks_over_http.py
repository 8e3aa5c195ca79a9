"""Webhooks on the running local stack over HTTP: an operator registers the local receiver
(``tools/simulators/webhook_sim.py``, started by the stack), a member enrols through an order and checks in, and the
receiver gets the member's events in sequence order, each verified with the secret, with no phone in them; the receiver
down, then up again."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, SEEDED_STAFF
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = pytest.mark.e2e


def _mine(receiver: str, customer_id: str) -> list[dict[str, Any]]:
    items = call(receiver, "GET", "/__sim/deliveries")[1]["items"]
    return [d for d in items if (d.get("body") or {}).get("customer_id") == customer_id]


def test_a_member_s_events_reach_the_local_receiver_signed_and_in_order(local_stack):
    receiver = local_stack.webhook_url
    admin = staff_login(local_stack, "admin", SEEDED_STAFF["admin"])["access_token"]
    status, hook = call(local_stack, "POST", "/v1/admin/webhooks", {
        "url": f"{receiver}/hooks/e2e-{uuid.uuid4().hex[:6]}", "events": ["member.enrolled", "points.changed"]},
        token=admin)
    assert status == 201, hook
    try:
        assert call(receiver, "PUT", "/__sim/secrets", {"secrets": [hook["secret"]]})[0] == 200
        time.sleep(6)  # the stream consumer's endpoint cache (5 s)
        assert call(receiver, "POST", "/__sim/down", {"down": True})[0] == 200
        phone = new_phone("136")
        order = {"order_no": f"E2E-WH-{uuid.uuid4().hex[:8]}", "customer": {"phone": phone}, "amount_fen": 8_800,
                 "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
        status, earned = call(local_stack, "POST", "/v1/integrations/orders", order, headers=LOCAL_KEY)
        assert status == 201 and earned["new_member"] is True, earned
        token = app_login(local_stack, phone)["access_token"]
        assert call(local_stack, "POST", "/v1/me/check-ins", token=token)[0] == 201
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not call(receiver, "GET", "/__sim/deliveries")[1]["refused"]:
            time.sleep(0.5)
        assert call(receiver, "GET", "/__sim/deliveries")[1]["refused"] > 0  # the first attempts met the outage
        assert call(receiver, "POST", "/__sim/down", {"down": False})[0] == 200
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(_mine(receiver, earned["customer_id"])) < 3:
            time.sleep(0.5)
        mine = _mine(receiver, earned["customer_id"])
        assert [d["sequence"] for d in mine] == [1, 2, 3], mine  # in order, each once
        assert sorted(d["body"]["type"] for d in mine) == ["member.enrolled", "points.changed", "points.changed"]
        assert mine[-1]["body"]["data"]["kind"] == "check_in"
        assert all(d["verified"] is True and phone not in d["raw"] for d in mine)
    finally:
        call(receiver, "POST", "/__sim/down", {"down": False})
        call(local_stack, "DELETE", f"/v1/admin/webhooks/{hook['webhook_id']}", token=admin)
