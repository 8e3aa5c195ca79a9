"""Redemptions through the in-process API over DynamoDB Local: debits, stock, rules, idempotency, reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_redemptions_support import MallWorld, assert_consistent, new_key

pytestmark = pytest.mark.integration


@pytest.fixture
def mall(api: Any) -> MallWorld:
    return MallWorld.make(api)


def test_an_in_house_redemption_debits_takes_stock_and_issues_vouchers(mall: MallWorld):
    cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=300, stock=5)
    status, body, headers = mall.redeem(token, reward_id, quantity=2)
    assert status == 201, body
    assert body["status"] == "completed" and body["points_spent"] == 600 and body["balance_after"] == 400
    assert len(body["vouchers"]) == 2 and "Idempotent-Replayed" not in headers
    assert mall.balance(token) == 400
    assert mall.stock(reward_id) == 3
    ledger = mall.get("/v1/me/points/ledger", token)["items"]
    assert (ledger[0]["kind"], ledger[0]["delta"], ledger[0]["reference"]) == ("redemption", -600,
                                                                               body["redemption_id"])
    mine = mall.get("/v1/me/redemptions", token)
    assert [r["redemption_id"] for r in mine["items"]] == [body["redemption_id"]]
    one = mall.get(f"/v1/me/redemptions/{body['redemption_id']}", token)
    assert one["status"] == "completed" and one["vouchers"] == body["vouchers"]
    _other, other_token = mall.member()
    mall.get(f"/v1/me/redemptions/{body['redemption_id']}", other_token, expect=404)
    assert_consistent(cid)


def test_a_replay_returns_the_first_response_and_changes_nothing(mall: MallWorld):
    cid, token = mall.member(points_held=500)
    reward_id = mall.reward(points_cost=100, stock=5)
    key = new_key()
    first = mall.redeem(token, reward_id, key=key)
    assert first[0] == 201
    again = mall.redeem(token, reward_id, key=key)
    assert (again[0], again[1]) == (first[0], first[1])
    assert again[2]["Idempotent-Replayed"] == "true"
    assert mall.balance(token) == 400 and mall.stock(reward_id) == 4
    assert len(mall.get("/v1/me/redemptions", token)["items"]) == 1
    reused = mall.redeem(token, reward_id, quantity=2, key=key)
    assert reused[0] == 422 and reused[1]["error"]["code"] == "idempotency_key_reused"
    status, body, _ = mall.api.call("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1}, token=token)
    assert status == 400 and body["error"]["code"] == "idempotency_key_required"
    assert mall.balance(token) == 400
    assert_consistent(cid)
