"""On the running local stack over HTTP: with the simulated partner failing every call, a partner-fulfilled
redemption is accepted for retry (202), the local stack's retry worker backs off and gives up, the redrive policy
moves the message to the follow-up queue, and the case reaches the agents' queue within 60 seconds. An agent
claims it (and sees the member's phone), refunds it, and the member's balance and the reward's stock are back."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CASE_WITHIN_SECONDS = 60


def ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


def staff_token(base: str, username: str, password: str) -> str:
    return str(staff_login(base, username, password)["access_token"])


def member_with_points(base: str, amount_fen: int) -> tuple[str, str]:
    phone = new_phone("136")
    order = {"order_no": f"E2E-FU-{uuid.uuid4().hex[:10]}", "customer": {"phone": phone}, "amount_fen": amount_fen,
             "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
    awarded = ok(call(base, "POST", "/v1/integrations/orders", order, headers=LOCAL_KEY), 201)
    tokens = app_login(base, phone)
    assert tokens["customer_id"] == awarded["customer_id"]
    return tokens["customer_id"], tokens["access_token"]


def stock_of(base: str, reward_id: str, expect: int, timeout: float = 10.0) -> int:
    """The catalogue caches stock for a couple of seconds: wait for it to show ``expect``."""
    deadline = time.monotonic() + timeout
    while True:
        stock = ok(call(base, "GET", f"/v1/rewards/{reward_id}"))["stock_remaining"]
        if stock == expect or time.monotonic() > deadline:
            return int(stock)
        time.sleep(0.5)


def test_a_failed_partner_redemption_reaches_the_agents_and_is_refunded(local_stack):
    base = str(local_stack)
    admin = staff_token(base, "admin", "admin-local-pass")
    agent = staff_token(base, "agent", "agent-local-pass")
    reward = ok(call(base, "POST", "/v1/admin/rewards",
                     {"name": f"视频会员月卡 E2E {uuid.uuid4().hex[:6]}", "points_cost": 300, "stock": 5,
                      "fulfillment": "partner"}, token=admin), 201)
    reward_id = reward["reward_id"]
    customer_id, member = member_with_points(base, 100_000)  # 1,000 points at the base tier
    balance = ok(call(base, "GET", "/v1/me/points", token=member))["balance"]
    assert balance >= 300
    assert stock_of(base, reward_id, 5) == 5

    ok(call(base, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 1.0}))
    try:
        failed_at = time.monotonic()
        accepted = ok(call(base, "POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1}, token=member,
                           headers={"Idempotency-Key": uuid.uuid4().hex}), 202)
        assert accepted["status"] == "retrying"
        transaction_id = accepted["transaction_id"]
        assert ok(call(base, "GET", f"/v1/me/transactions/{transaction_id}", token=member))["status"] == "retrying"
        assert ok(call(base, "GET", "/v1/me/points", token=member))["balance"] == balance - 300

        case_id = f"fu.{customer_id}.{transaction_id}"
        found = None
        while time.monotonic() - failed_at < CASE_WITHIN_SECONDS:
            queue = ok(call(base, "GET", "/v1/agent/follow-ups?status=open&limit=100", token=agent))["items"]
            found = next((c for c in queue if c["case_id"] == case_id), None)
            if found:
                break
            time.sleep(0.5)
        elapsed = time.monotonic() - failed_at
        assert found is not None, f"no case in the agents' queue {CASE_WITHIN_SECONDS} s after the failure"
        print(f"\ntime from failure to case on the local stack: {elapsed:.1f} s")
    finally:
        ok(call(base, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 0.0}))

    case = ok(call(base, "GET", f"/v1/agent/follow-ups/{case_id}", token=agent))
    assert case["transaction"]["status"] == "needs_follow_up"
    wheres = [a["where"] for a in case["attempts"]]
    assert wheres[0] == "request" and wheres[-1] == "follow_up_queue" and wheres.count("retry_worker") >= 2, wheres
    assert all("simulated partner failure" in a["error"] for a in case["attempts"][:-1])
    assert ok(call(base, "GET", f"/v1/me/transactions/{transaction_id}", token=member))["status"] == "needs_follow_up"

    claimed = ok(call(base, "POST", f"/v1/agent/follow-ups/{case_id}/claim", token=agent))
    assert claimed["member"]["contact_revealed"] and claimed["member"]["phone"]
    resolved = ok(call(base, "POST", f"/v1/agent/follow-ups/{case_id}/resolve",
                       {"resolution": "refunded", "note": "合作方持续失败，已退回积分"}, token=agent))
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "refunded")
    assert resolved["compensation"]["points_returned"] == 300

    assert ok(call(base, "GET", "/v1/me/points", token=member))["balance"] == balance
    assert stock_of(base, reward_id, 5) == 5
    assert ok(call(base, "GET", f"/v1/me/transactions/{transaction_id}", token=member))["status"] == "refunded"
    redemption = ok(call(base, "GET", f"/v1/me/redemptions/{accepted['redemption_id']}", token=member))
    assert redemption["status"] == "refunded"
    kinds = [n["kind"] for n in ok(call(base, "GET", "/v1/me/notifications", token=member))["items"]]
    # the resolution is also a service received: one survey invitation, in the same transaction (same millisecond)
    assert kinds.count("service_survey") == 1, kinds
    assert [k for k in kinds if k != "service_survey"][:2] == ["transaction_refunded", "transaction_needs_follow_up"]
    view = ok(call(base, "GET", f"/v1/agent/members/{customer_id}", token=agent))
    assert view["points"]["balance"] == balance and view["open_cases"] == []
    assert ok(call(base, "POST", f"/v1/agent/follow-ups/{case_id}/resolve", {"resolution": "refunded"},
                   token=agent), 409)["error"]["code"] == "case_already_resolved"
    assert ok(call(base, "GET", "/v1/me/points", token=member))["balance"] == balance
