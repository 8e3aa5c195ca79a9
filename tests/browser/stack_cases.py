"""Real failed partner redemptions on a running local stack, for the console's browser tests and screenshots.

With the simulated partner failing every call (``PUT /v1/dev/faults``), each member's redemption of a
partner-fulfilled reward is accepted for retry (202), the stack's retry worker gives up and the redrive policy hands
it to the agents' queue (within 60 s on the local stage). Nothing is written to the tables directly.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, SEEDED_STAFF
from tests.support.phones import new_phone
from tests.support.sign_in import app_login, staff_login

CASE_WITHIN_SECONDS = 90


def ok(result: tuple[int, Any], status: int = 200) -> Any:
    assert result[0] == status, result
    return result[1]


def staff_token(base: str, username: str) -> str:
    return str(staff_login(base, username, SEEDED_STAFF[username])["access_token"])


@dataclass
class FailedRedemption:
    case_id: str
    customer_id: str
    member_token: str
    reward_id: str
    balance_before: int  # before the redemption
    redemption_id: str
    transaction_id: str


def member_with_points(base: str, amount_fen: int) -> tuple[str, str]:
    phone = new_phone("135")
    order = {"order_no": f"UI-{uuid.uuid4().hex[:12]}", "customer": {"phone": phone}, "amount_fen": amount_fen,
             "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
    awarded = ok(call(base, "POST", "/v1/integrations/orders", order, headers=LOCAL_KEY), 201)
    tokens = app_login(base, phone)
    assert tokens["customer_id"] == awarded["customer_id"]
    return str(tokens["customer_id"]), str(tokens["access_token"])


def partner_reward(base: str, admin: str, name: str, points_cost: int = 300, stock: int = 5) -> str:
    reward = ok(call(base, "POST", "/v1/admin/rewards",
                     {"name": name, "points_cost": points_cost, "stock": stock, "fulfillment": "partner"},
                     token=admin), 201)
    return str(reward["reward_id"])


def stock_of(base: str, reward_id: str, expect: int, timeout: float = 15.0) -> int:
    """The catalogue caches stock for a couple of seconds: wait (a little) for it to show ``expect``."""
    deadline = time.monotonic() + timeout
    while True:
        stock = int(ok(call(base, "GET", f"/v1/rewards/{reward_id}"))["stock_remaining"])
        if stock == expect or time.monotonic() > deadline:
            return stock
        time.sleep(0.5)


def balance_of(base: str, member_token: str) -> int:
    return int(ok(call(base, "GET", "/v1/me/points", token=member_token))["balance"])


def failed_redemptions(base: str, reward_ids: list[str], amount_fen: int = 100_000) -> list[FailedRedemption]:
    """One new member per reward ID, each redeeming it while the partner fails; returns once every case is open."""
    agent = staff_token(base, "agent")
    made: list[FailedRedemption] = []
    ok(call(base, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 1.0}))
    try:
        for reward_id in reward_ids:
            customer_id, member = member_with_points(base, amount_fen)
            before = balance_of(base, member)
            accepted = ok(call(base, "POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1},
                               token=member, headers={"Idempotency-Key": uuid.uuid4().hex}), 202)
            made.append(FailedRedemption(f"fu.{customer_id}.{accepted['transaction_id']}", customer_id, member,
                                         reward_id, before, accepted["redemption_id"], accepted["transaction_id"]))
        waiting = {m.case_id for m in made}
        deadline = time.monotonic() + CASE_WITHIN_SECONDS
        while waiting and time.monotonic() < deadline:
            queue = ok(call(base, "GET", "/v1/agent/follow-ups?status=open&limit=100", token=agent))["items"]
            waiting -= {c["case_id"] for c in queue}
            if waiting:
                time.sleep(0.5)
        assert not waiting, f"no case in the agents' queue {CASE_WITHIN_SECONDS} s after the failure: {waiting}"
    finally:
        ok(call(base, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 0.0}))
    return made
