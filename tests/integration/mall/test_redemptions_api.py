"""Redemptions through the in-process API over DynamoDB Local: debits, stock, rules, idempotency, reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.mall_world import MallWorld, new_key
from tests.support.points_world import assert_consistent

pytestmark = pytest.mark.integration


@pytest.fixture
def mall(api: Any) -> MallWorld:
    return MallWorld.make(api)


@pytest.mark.slow
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


@pytest.mark.slow
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


def test_points_go_soonest_expiring_first(mall: MallWorld):
    from datetime import timedelta

    from chalicelib.core import clock
    from chalicelib.points import earn_and_spend

    cid, token = mall.member()
    now = clock.now()
    clock.set_now(now - timedelta(days=200))
    earn_and_spend.earn(cid, 300, kind="adjustment", reference="old")
    clock.set_now(now)
    earn_and_spend.earn(cid, 300, kind="adjustment", reference="new")
    buckets = mall.get("/v1/me/points", token)["buckets"]
    assert len(buckets) == 2
    reward_id = mall.reward(points_cost=400, stock=1)
    assert mall.redeem(token, reward_id)[0] == 201
    after = mall.get("/v1/me/points", token)["buckets"]
    assert after == [{"points": 200, "expires_on": buckets[1]["expires_on"]}]
    assert_consistent(cid)


@pytest.mark.parametrize(
    ("held", "reward", "quantity", "status", "code"),
    [
        (50, {"points_cost": 100}, 1, 409, "insufficient_points"),
        (500, {"points_cost": 100, "stock": 1}, 2, 409, "out_of_stock"),
        (500, {"points_cost": 100, "stock": 0}, 1, 409, "out_of_stock"),
        (500, {"points_cost": 100, "tiers": ["gold", "platinum"]}, 1, 403, "tier_not_eligible"),
        (500, {"points_cost": 100, "per_member_limit": 1}, 2, 409, "redemption_limit_reached"),
        (500, {"points_cost": 100, "starts_at": "2099-01-01T00:00:00+08:00"}, 1, 409, "reward_not_available"),
        (500, {"points_cost": 100, "ends_at": "2001-01-01T00:00:00+08:00"}, 1, 409, "reward_not_available"),
    ],
)
def test_refusals_change_nothing(mall: MallWorld, held, reward, quantity, status, code):
    cid, token = mall.member(points_held=held)
    reward_id = mall.reward(**{"stock": 10, **reward})
    stock = mall.stock(reward_id)
    got = mall.redeem(token, reward_id, quantity=quantity)
    assert (got[0], got[1]["error"]["code"]) == (status, code)
    assert mall.balance(token) == held and mall.stock(reward_id) == stock
    assert mall.get("/v1/me/redemptions", token)["items"] == []
    assert_consistent(cid)


@pytest.mark.slow
def test_the_per_member_limit_counts_across_redemptions(mall: MallWorld):
    _cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=100, per_member_limit=3)
    assert mall.redeem(token, reward_id, quantity=2)[0] == 201
    refused = mall.redeem(token, reward_id, quantity=2)
    assert refused[0] == 409 and refused[1]["error"]["code"] == "redemption_limit_reached"
    assert mall.redeem(token, reward_id, quantity=1)[0] == 201
    assert mall.redeem(token, reward_id)[1]["error"]["code"] == "redemption_limit_reached"
    _other, other_token = mall.member(points_held=1_000)
    assert mall.redeem(other_token, reward_id, quantity=3)[0] == 201  # the limit is per member


def test_a_tier_listed_reward_admits_that_tier(mall: MallWorld):
    _cid, token = mall.member(points_held=500, tier="gold")
    reward_id = mall.reward(points_cost=100, tiers=["gold"])
    assert mall.redeem(token, reward_id)[0] == 201


def test_an_unknown_reward_is_404(mall: MallWorld):
    _cid, token = mall.member(points_held=500)
    got = mall.redeem(token, "rwd_nope")
    assert (got[0], got[1]["error"]["code"]) == (404, "not_found")


def test_the_catalogue_lists_rewards_with_stock_and_pages(mall: MallWorld):
    ids = [mall.reward(name=f"礼品{i}", stock=7 + i, tiers=["gold"] if i == 0 else None) for i in range(3)]
    page = mall.get("/v1/rewards?limit=2")
    assert [r["reward_id"] for r in page["items"]] == ids[::-1][:2] and page["next_cursor"]
    rest = mall.get(f"/v1/rewards?limit=2&cursor={page['next_cursor']}")
    assert [r["reward_id"] for r in rest["items"]] == [ids[0]] and rest["next_cursor"] is None
    first = rest["items"][0]
    assert (first["stock_remaining"], first["tiers"], first["fulfillment"], first["available"]) == (
        7, ["gold"], "in_house", True)
    assert mall.get("/v1/rewards/rwd_missing", expect=404)["error"]["code"] == "not_found"


def test_admin_validation(mall: MallWorld):
    mall.reward(expect=400, tiers=["diamond"])
    mall.reward(expect=400, fulfillment="drone")
    mall.reward(expect=400, starts_at="2026-11-11T00:00:00")  # no offset
    mall.reward(expect=400, starts_at="2026-11-12T00:00:00+08:00", ends_at="2026-11-11T00:00:00+08:00")
    _cid, token = mall.member()
    status, _body, _ = mall.api.call("POST", "/v1/admin/rewards", {"name": "x", "points_cost": 1, "stock": 1,
                                                                  "fulfillment": "in_house"}, token=token)
    assert status == 403


@pytest.mark.slow
def test_redemption_pages_are_newest_first(mall: MallWorld):
    _cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=10)
    ids = [mall.redeem(token, reward_id)[1]["redemption_id"] for _ in range(3)]
    page = mall.get("/v1/me/redemptions?limit=2", token)
    assert [r["redemption_id"] for r in page["items"]] == ids[::-1][:2]
    rest = mall.get(f"/v1/me/redemptions?limit=2&cursor={page['next_cursor']}", token)
    assert [r["redemption_id"] for r in rest["items"]] == ids[:1] and rest["next_cursor"] is None
    bad = mall.api.call("GET", "/v1/me/redemptions?cursor=xyz", token=token)
    assert bad[0] == 400


@pytest.mark.slow
def test_a_redemption_is_three_dynamodb_calls_and_a_replay_one(mall: MallWorld):
    """The idempotency record and the member's count of a limited reward are outside the bounded member read (they
    grow with the member's history): one BatchGetItem reads both first, so a replay is still one call."""
    from tests.support.points_world import DynamoCalls

    _cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=100, per_member_limit=5)
    key = new_key()
    with DynamoCalls().counting() as calls:
        assert mall.redeem(token, reward_id, key=key)[0] == 201
    assert calls.log == ["BatchGetItem", "Query", "TransactWriteItems"], calls.log
    with DynamoCalls().counting() as calls:
        assert mall.redeem(token, reward_id, key=key)[0] == 201
    assert calls.log == ["BatchGetItem"], calls.log


@pytest.mark.slow
def test_throttling_and_a_lost_answer_are_retried_without_a_second_charge(mall: MallWorld, monkeypatch):
    from botocore.exceptions import ReadTimeoutError
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.core.dynamo import tx as txmod

    cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=100, stock=5)
    original = txmod.Tx.commit
    faults = ["throttle", "lost"]

    def flaky(self):  # first throttled (nothing written), then written but the answer lost on the way back
        fault = faults.pop(0) if faults else None
        if fault == "throttle":
            raise TransactWriteError("throttled", cause=type("E", (Exception,), {})("ThrottlingException"))
        original(self)
        if fault == "lost":
            raise ReadTimeoutError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(txmod.Tx, "commit", flaky)
    monkeypatch.setattr("chalicelib.core.dynamo.retry.is_transient", lambda exc: True)
    status, body, _ = mall.redeem(token, reward_id)
    assert status == 201, body
    assert mall.balance(token) == 900 and mall.stock(reward_id) == 4
    assert [r["redemption_id"] for r in mall.get("/v1/me/redemptions", token)["items"]] == [body["redemption_id"]]
    assert_consistent(cid)


@pytest.mark.slow
def test_a_change_that_won_the_race_with_the_same_ledger_key_makes_the_redemption_plan_again(
        mall: MallWorld, monkeypatch):
    """Two plans from one read, in the same millisecond, write the same ledger key ``L#<at>#<seq>``: the loser's
    transaction fails on the points state and on the entry. That is a lost race (plan again), never a 500."""
    from chalicelib.core import clock
    from chalicelib.core.dynamo import tx as txmod
    from chalicelib.points import earn_and_spend

    cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=100, stock=5)
    monkeypatch.setattr(clock, "_fixed", clock.now())  # time stands still: both plans stamp the same millisecond
    original = txmod.Tx.commit
    raced: list[bool] = []

    def racing(self):
        if not raced:  # the member's other change commits first, from the same read and at the same instant
            raced.append(True)
            earn_and_spend.earn(cid, 5, kind="adjustment", reference="race")
        original(self)

    monkeypatch.setattr(txmod.Tx, "commit", racing)
    status, body, _ = mall.redeem(token, reward_id)
    assert status == 201, body
    assert mall.balance(token) == 1_000 + 5 - 100 and mall.stock(reward_id) == 4
    assert_consistent(cid)
