"""POST /v1/integrations/orders and refunds: idempotency on order_no, enrolment by phone, promotions, tier
multipliers, proportional refunds and the debt rule."""

from __future__ import annotations

import pytest

from tests.support.clock import at
from tests.support.phones import new_phone
from tests.support.points_world import API_KEY, PointsWorld, assert_consistent

pytestmark = pytest.mark.integration


@pytest.fixture
def world(points_world: PointsWorld) -> PointsWorld:
    return points_world


@pytest.mark.slow
def test_a_repeated_order_no_awards_nothing_more(world):
    cid, token = world.member()
    first = world.order("SO-1", {"customer_id": cid}, 19_900)
    assert (first["points_awarded"], first["balance_after"], first["duplicate"]) == (199, 199, False)
    again = world.order("SO-1", {"customer_id": cid}, 19_900, expect=200)
    assert (again["points_awarded"], again["duplicate"]) == (0, True)
    assert again["original"]["points_awarded"] == 199
    other, _ = world.member()
    world.order("SO-1", {"customer_id": other}, 50_000, expect=200)  # another customer, same order number
    assert world.balance(token) == 199
    assert len(world.ledger(token)) == 1


@pytest.mark.slow
def test_an_unknown_phone_enrols_a_store_member_whose_points_wait(world):
    phone = new_phone()
    out = world.order("SO-2", {"phone": phone}, 8_800)
    assert out["new_member"] is True and out["points_awarded"] == 88
    again = world.order("SO-3", {"phone": phone}, 1_200)
    assert again["customer_id"] == out["customer_id"] and again["new_member"] is False
    # the person signs in to the app with that phone later: same customer, the points are there
    tokens = world.api.app_login(phone)
    assert tokens["customer_id"] == out["customer_id"] and tokens["new_member"] is False
    me = world.get("/v1/me", tokens["access_token"])
    assert me["points"]["balance"] == 100 and set(me["channels"]) == {"store", "app"}


def test_orders_validate_their_input(world):
    headers = {"x-api-key": API_KEY}
    base = {"order_no": "V-1", "customer": {"phone": "13800138000"}, "amount_fen": 100, "channel": "store",
            "paid_at": "2026-11-23T10:00:00+08:00"}
    for bad in (
        {**base, "customer": {}},
        {**base, "customer": {"phone": "13800138000", "customer_id": "c_1"}},
        {**base, "amount_fen": -1},
        {**base, "paid_at": "2026-11-23T10:00:00"},  # no offset
        {**base, "order_no": "has space"},
        {**base, "paid_at": "2026-11-25T10:00:00+08:00"},  # in the future
    ):
        status, body, _ = world.api.call("POST", "/v1/integrations/orders", bad, headers=headers)
        assert (status, body["error"]["code"]) == (400, "validation_error"), bad
    status, body, _ = world.api.call("POST", "/v1/integrations/orders", base, headers={"x-api-key": "nope"})
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    status, body, _ = world.api.call("POST", "/v1/integrations/orders", {**base, "customer": {"customer_id": "c_x"}},
                                     headers=headers)
    assert (status, body["error"]["code"]) == (404, "not_found")


@pytest.mark.slow
def test_partial_refunds_add_up_to_exactly_the_points_awarded(world):
    cid, token = world.member()
    world.order("R-1", {"customer_id": cid}, 9_999)  # 99 points
    reversed_total = 0
    for part in (3_333, 3_333, 3_333):
        _, out, _ = world.refund("R-1", part)
        reversed_total += out["points_reversed"]
    assert reversed_total == 99
    assert world.balance(token) == 0
    status, out, _ = world.refund("R-1", 1, expect=None)
    assert (status, out["error"]["code"]) == (409, "refund_exceeds_order")
    status, out, _ = world.refund("NO-SUCH", 1, expect=None)
    assert (status, out["error"]["code"]) == (404, "order_not_found")
    assert_consistent(cid)


@pytest.mark.slow
def test_a_refund_of_spent_points_leaves_zero_and_a_debt_repaid_by_later_earnings(world):
    cid, token = world.member()
    world.order("D-1", {"customer_id": cid}, 10_000)  # 100 points
    status, body, _ = world.api.call("POST", "/v1/admin/points/adjustments",
                                     {"customer_id": cid, "delta": -80, "reason": "兑换"},
                                     headers={"authorization": f"Bearer {world.admin}"})
    assert status == 201, body
    _, out, _ = world.refund("D-1", 10_000)
    assert (out["points_reversed"], out["balance_after"], out["debt_after"]) == (100, 0, 80)
    view = world.get("/v1/me/points", token)
    assert (view["balance"], view["debt"], view["buckets"]) == (0, 80, [])
    world.order("D-2", {"customer_id": cid}, 5_000)  # 50 points, all to the debt
    assert world.get("/v1/me/points", token)["debt"] == 30
    world.order("D-3", {"customer_id": cid}, 5_000)  # 30 repay the rest, 20 reach a bucket
    view = world.get("/v1/me/points", token)
    assert (view["balance"], view["debt"]) == (20, 0)
    entries = world.ledger(token)
    assert [(e["kind"], e["delta"], e.get("debt_after", 0)) for e in entries] == [
        ("purchase", 20, 0), ("purchase", 0, 30), ("refund_reversal", -20, 80), ("adjustment", -80, 0),
        ("purchase", 100, 0),
    ]
    assert_consistent(cid)


@pytest.mark.slow
def test_a_refund_number_makes_a_repeated_refund_change_nothing(world):
    cid, token = world.member()
    world.order("I-1", {"customer_id": cid}, 10_000)
    first = world.refund("I-1", 2_500, refund_no="RF-1")
    again = world.refund("I-1", 2_500, refund_no="RF-1")
    assert first[1]["points_reversed"] == again[1]["points_reversed"] == 25
    assert again[2].get("Idempotent-Replayed") == "true"
    assert world.balance(token) == 75
    status, body, _ = world.refund("I-1", 3_000, refund_no="RF-1", expect=None)
    assert (status, body["error"]["code"]) == (422, "idempotency_key_reused")
    # the Idempotency-Key header works the same way
    for _ in range(2):
        status, _, _ = world.api.call("POST", "/v1/integrations/orders/I-1/refunds", {"amount_fen": 1_000},
                                      headers={"x-api-key": API_KEY, "idempotency-key": "k-77"})
        assert status == 201
    assert world.balance(token) == 65


@pytest.mark.slow
def test_a_promotion_multiplies_orders_paid_in_its_window(world):
    cid, _ = world.member()
    admin = {"authorization": f"Bearer {world.admin}"}
    promo = {"name": "周末双倍", "multiplier": "2", "starts_at": "2026-11-21T00:00:00+08:00",
             "ends_at": "2026-11-23T00:00:00+08:00", "channels": ["store"]}
    status, body, _ = world.api.call("POST", "/v1/admin/promotions", promo, headers=admin)
    assert status == 201, body
    promo_id = body["promotion_id"]
    inside = world.order("P-1", {"customer_id": cid}, 10_000, paid_at=at(2026, 11, 22, 20, 0))
    online = world.order("P-2", {"customer_id": cid}, 10_000, paid_at=at(2026, 11, 22, 20, 0), channel="app")
    after = world.order("P-3", {"customer_id": cid}, 10_000, paid_at=at(2026, 11, 23, 0, 0))
    assert (inside["points_awarded"], inside["promotion_id"]) == (200, promo_id)
    assert (online["points_awarded"], after["points_awarded"]) == (100, 100)
    listed = world.get("/v1/admin/promotions", world.admin)["items"]
    assert [p["promotion_id"] for p in listed] == [promo_id]
    status, _, _ = world.api.call("DELETE", f"/v1/admin/promotions/{promo_id}", headers=admin)
    assert status == 204
    assert world.order("P-4", {"customer_id": cid}, 10_000, paid_at=at(2026, 11, 22, 21, 0))["points_awarded"] == 100
    bad = {**promo, "ends_at": "2026-11-20T00:00:00+08:00"}
    status, body, _ = world.api.call("POST", "/v1/admin/promotions", bad, headers=admin)
    assert (status, body["error"]["code"]) == (400, "validation_error")


@pytest.mark.slow
def test_crossing_a_threshold_upgrades_at_once_and_the_next_order_earns_the_new_multiplier(world):
    cid, token = world.member()
    first = world.order("T-1", {"customer_id": cid}, 150_000)
    assert (first["points_awarded"], first["tier"]) == (1500, "base")
    me = world.get("/v1/me", token)
    assert me["tier"]["code"] == "base"
    assert me["tier_progress"] == {"next_tier": "silver", "metric": "spend_12m_fen", "current": 150_000,
                                   "required": 200_000}
    crossing = world.order("T-2", {"customer_id": cid}, 60_000)
    assert (crossing["points_awarded"], crossing["tier"]) == (600, "silver")  # earned at base, then upgraded
    me = world.get("/v1/me", token)
    assert (me["tier"]["code"], me["tier"]["name"]) == ("silver", "银卡会员")
    assert me["tier_progress"] == {"next_tier": "gold", "metric": "spend_12m_fen", "current": 210_000,
                                   "required": 800_000}
    assert world.order("T-3", {"customer_id": cid}, 10_000)["points_awarded"] == 120  # 1.2x
