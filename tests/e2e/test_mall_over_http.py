"""The points mall on the local stack over HTTP: the seeded catalogue, a redemption and its replay, a partner that
fails on demand (202, then completed by the queue workers once the fault is lifted), and a small flash sale."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.http import call_with_headers

pytestmark = pytest.mark.e2e

INTEGRATION_KEY = "local-integration-key"


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    """A plain client: one request, no resend on a reset (the stack's listener holds a burst)."""
    return call_with_headers(base, method, path, body, token, headers)


def member_with_points(base: str, points_wanted: int) -> str:
    tag = uuid.uuid4().hex[:12]
    status, tokens, _ = call(base, "POST", "/v1/auth/miniprogram/login", {"code": f"mock:mall-{tag}"})
    assert status == 200, tokens
    order = {"order_no": f"MALL-{tag}", "customer": {"customer_id": tokens["customer_id"]},
             "amount_fen": points_wanted * 100, "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
    status, body, _ = call(base, "POST", "/v1/integrations/orders", order, headers={"X-Api-Key": INTEGRATION_KEY})
    assert status == 201 and body["points_awarded"] == points_wanted, body
    return str(tokens["access_token"])


def admin_token(base: str) -> str:
    status, body, _ = call(base, "POST", "/v1/staff/login", {"username": "admin", "password": "admin-local-pass"})
    assert status == 200, body
    return str(body["access_token"])


def redeem(base: str, token: str, reward_id: str, key: str | None = None, quantity: int = 1):
    return call(base, "POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": quantity}, token=token,
                headers={"Idempotency-Key": key or uuid.uuid4().hex})


def ledger_total(base: str, token: str) -> int:
    status, page, _ = call(base, "GET", "/v1/me/points/ledger?limit=100", token=token)
    assert status == 200 and page["next_cursor"] is None, page
    return sum(e["delta"] for e in page["items"])


def test_the_catalogue_is_seeded_with_a_partner_reward(local_stack):
    status, page, _ = call(local_stack, "GET", "/v1/rewards?limit=100")
    assert status == 200, page
    by_id = {r["reward_id"]: r for r in page["items"]}
    assert by_id["rwd_local_video_vip"]["fulfillment"] == "partner"
    assert by_id["rwd_local_coffee"]["fulfillment"] == "in_house"
    assert by_id["rwd_local_gold_lounge"]["tiers"] == ["gold", "platinum"]


def test_redeem_replay_and_reuse(local_stack):
    token = member_with_points(local_stack, 1_000)
    key = uuid.uuid4().hex
    status, first, headers = redeem(local_stack, token, "rwd_local_coffee", key=key)
    assert status == 201 and first["status"] == "completed" and first["vouchers"], first
    assert "Idempotent-Replayed" not in headers
    status, again, headers = redeem(local_stack, token, "rwd_local_coffee", key=key)
    assert (status, again, headers.get("Idempotent-Replayed")) == (201, first, "true")
    status, reused, _ = redeem(local_stack, token, "rwd_local_coffee", key=key, quantity=2)
    assert status == 422 and reused["error"]["code"] == "idempotency_key_reused"
    status, points, _ = call(local_stack, "GET", "/v1/me/points", token=token)
    assert points["balance"] == 800 == ledger_total(local_stack, token)
    status, refused, _ = redeem(local_stack, token, "rwd_local_gold_lounge")
    assert (status, refused["error"]["code"]) == (403, "tier_not_eligible")


def test_a_failing_partner_is_accepted_for_retry_and_completed_by_the_workers(local_stack):
    token = member_with_points(local_stack, 1_000)
    assert call(local_stack, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 1.0})[0] == 200
    try:
        status, accepted, _ = redeem(local_stack, token, "rwd_local_video_vip")
        assert status == 202 and accepted["status"] == "retrying", accepted
        status, redemption, _ = call(local_stack, "GET", f"/v1/me/redemptions/{accepted['redemption_id']}",
                                     token=token)
        assert redemption["status"] == "pending_fulfillment"
        status, points, _ = call(local_stack, "GET", "/v1/me/points", token=token)
        assert points["balance"] == 200 == ledger_total(local_stack, token)
    finally:
        assert call(local_stack, "PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 0.0})[0] == 200
    deadline = time.monotonic() + 60
    txn: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status, txn, _ = call(local_stack, "GET", f"/v1/me/transactions/{accepted['transaction_id']}", token=token)
        assert status == 200, txn
        if txn["status"] != "retrying":
            break
        time.sleep(1)
    assert txn["status"] == "completed", txn
    status, redemption, _ = call(local_stack, "GET", f"/v1/me/redemptions/{accepted['redemption_id']}", token=token)
    assert redemption["status"] == "completed" and len(redemption["partner_codes"]) == 1
    assert call(local_stack, "GET", "/v1/me/points", token=token)[1]["balance"] == 200


def test_a_flash_sale_over_http_sells_exactly_the_stock(local_stack):
    admin = admin_token(local_stack)
    status, created, _ = call(local_stack, "POST", "/v1/admin/rewards",
                              {"name": "e2e 秒杀", "points_cost": 50, "stock": 10, "stock_shards": 4,
                               "fulfillment": "in_house"}, token=admin)
    assert status == 201 and created["stock_shards"] == 4, created
    reward_id = created["reward_id"]
    with ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(lambda _i: member_with_points(local_stack, 100), range(40)))
        results = list(pool.map(lambda t: redeem(local_stack, t, reward_id), tokens))
    statuses = Counter(status for status, _b, _h in results)
    assert statuses == {201: 10, 409: 30}, statuses
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"out_of_stock"}
    time.sleep(2.5)  # the catalogue's stock figure is cached for two seconds
    assert call(local_stack, "GET", f"/v1/rewards/{reward_id}")[1]["stock_remaining"] == 0
    for token, (status, _b, _h) in zip(tokens, results, strict=True):
        balance = call(local_stack, "GET", "/v1/me/points", token=token)[1]["balance"]
        assert balance == (50 if status == 201 else 100) == ledger_total(local_stack, token)
