"""The member's points over HTTP: balance and buckets, the ledger's pages and cursors, adjustments, merges,
and the DynamoDB calls each endpoint makes."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.identity import directory, merges
from chalicelib.points import earn_and_spend
from tests.support.clock import at
from tests.support.points_world import DynamoCalls, PointsWorld, assert_consistent

pytestmark = pytest.mark.integration


@pytest.fixture
def world(points_world: PointsWorld) -> PointsWorld:
    return points_world


@pytest.mark.slow
def test_points_view_shows_buckets_soonest_first_and_what_expires_within_30_days(world):
    cid, token = world.member()
    empty = world.get("/v1/me/points", token)
    assert empty == {"balance": 0, "debt": 0, "buckets": [], "expiring": {"points": 0, "on": None}}
    clock.set_now(at(2025, 12, 5, 12, 0))
    world.order("A-1", {"customer_id": cid}, 30_000)  # expires 2026-12-31
    clock.set_now(at(2026, 12, 5, 10, 0))
    world.order("A-2", {"customer_id": cid}, 12_345)  # expires 2027-12-31
    view = world.get("/v1/me/points", token)
    assert view["balance"] == 300 + 123
    assert view["buckets"] == [{"points": 300, "expires_on": "2026-12-31"}, {"points": 123, "expires_on": "2027-12-31"}]
    assert view["expiring"] == {"points": 300, "on": "2026-12-31"}
    me = world.get("/v1/me", token)
    assert me["points"] == {"balance": 423, "expiring": {"points": 300, "on": "2026-12-31"}}
    assert_consistent(cid)


@pytest.mark.slow
def test_ledger_pages_newest_first_with_opaque_cursors(world):
    cid, token = world.member()
    for i in range(7):
        world.order(f"L-{i}", {"customer_id": cid}, 1000 * (i + 1))
    seen = []
    cursor = None
    while True:
        path = "/v1/me/points/ledger?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = world.get(path, token)
        assert len(page["items"]) <= 3
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [e["reference"] for e in seen] == [f"L-{i}" for i in reversed(range(7))]
    assert [e["balance_after"] for e in seen] == [280, 210, 150, 100, 60, 30, 10]
    assert {e["kind"] for e in seen} == {"purchase"}
    assert all(e["expires_on"] == "2027-11-30" and e["created_at"].endswith("+00:00") for e in seen)
    assert len({e["entry_id"] for e in seen}) == 7
    # exactly 3 on the last full page: no empty page after it
    assert world.get("/v1/me/points/ledger?limit=7", token)["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64-%%%",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"sk": "M#PROFILE"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"pk": "CUST#someone-else", "sk": 5}).encode()).decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        "A" * 600,
    ],
)
def test_a_forged_cursor_is_a_validation_error(world, cursor):
    _, token = world.member()
    status, body, _ = world.api.call("GET", f"/v1/me/points/ledger?cursor={cursor}", token=token)
    assert status == 400, body
    assert body["error"]["code"] == "validation_error"
    assert body["error"]["details"][0]["field"] == "cursor"


@pytest.mark.slow
def test_a_cursor_cannot_reach_another_members_ledger(world):
    a, a_token = world.member()
    _, b_token = world.member()
    for i in range(3):
        world.order(f"X-{i}", {"customer_id": a}, 1000)
    cursor = world.get("/v1/me/points/ledger?limit=1", a_token)["next_cursor"]
    page = world.get(f"/v1/me/points/ledger?limit=5&cursor={cursor}", b_token)
    assert page == {"items": [], "next_cursor": None}


@pytest.mark.slow
def test_adjustments_need_a_reason_and_keep_who_and_when(world):
    cid, token = world.member()
    headers = {"authorization": f"Bearer {world.admin}"}
    status, body, _ = world.api.call("POST", "/v1/admin/points/adjustments", {"customer_id": cid, "delta": 50},
                                     headers=headers)
    assert (status, body["error"]["code"]) == (400, "validation_error")
    status, body, _ = world.api.call("POST", "/v1/admin/points/adjustments",
                                     {"customer_id": cid, "delta": 50, "reason": "活动补偿"}, headers=headers)
    assert status == 201, body
    assert (body["delta"], body["balance_after"], body["reason"]) == (50, 50, "活动补偿")
    assert body["created_by"].startswith("s_") and body["created_at"].startswith("2026-11-23T02:00")
    status, body, _ = world.api.call("POST", "/v1/admin/points/adjustments",
                                     {"customer_id": cid, "delta": -80, "reason": "纠错"}, headers=headers)
    assert (status, body["error"]["code"]) == (409, "insufficient_points")
    # an agent may not adjust
    status, body, _ = world.api.call("POST", "/v1/admin/points/adjustments",
                                     {"customer_id": cid, "delta": 5, "reason": "x"},
                                     headers={"authorization": f"Bearer {world.agent}"})
    assert (status, body["error"]["code"]) == (403, "forbidden")
    entry = world.ledger(token)[0]
    assert (entry["kind"], entry["delta"], entry["reason"]) == ("adjustment", 50, "活动补偿")
    audit = world.get("/v1/admin/points/adjustments", world.admin)["items"]
    assert [(a["customer_id"], a["delta"]) for a in audit] == [(cid, 50)]


@pytest.mark.slow
def test_an_adjustment_with_an_idempotency_key_applies_once(world):
    cid, token = world.member()
    headers = {"authorization": f"Bearer {world.admin}", "idempotency-key": "adj-1"}
    body = {"customer_id": cid, "delta": 30, "reason": "补偿"}
    first = world.api.call("POST", "/v1/admin/points/adjustments", body, headers=headers)
    again = world.api.call("POST", "/v1/admin/points/adjustments", body, headers=headers)
    assert first[0] == again[0] == 201
    assert first[1] == again[1] and again[2].get("Idempotent-Replayed") == "true"
    assert world.balance(token) == 30
    status, out, _ = world.api.call("POST", "/v1/admin/points/adjustments", {**body, "delta": 31}, headers=headers)
    assert (status, out["error"]["code"]) == (422, "idempotency_key_reused")
    unknown = world.api.call("POST", "/v1/admin/points/adjustments", {**body, "customer_id": "c_nobody"},
                             headers={"authorization": f"Bearer {world.admin}"})
    assert (unknown[0], unknown[1]["error"]["code"]) == (404, "not_found")


@pytest.mark.slow
def test_a_merge_moves_points_with_entries_on_both_ledgers(world):
    phone = "13912345678"
    survivor_id, survivor_token = world.member(phone)
    other = directory.create_customer(directory.Identity("wechat_mp", "wx-app", "openid-1"), channel="miniprogram")
    world.order("M-1", {"customer_id": survivor_id}, 10_000)
    world.order("M-2", {"customer_id": other.customer_id}, 25_000)
    earn_and_spend.spend(other.customer_id, 50, reference="R-1")
    merged, was_merged = merges.bind_verified_phone(other, phone)
    assert was_merged and merged.customer_id == survivor_id
    assert world.balance(survivor_token) == 100 + 200
    ledger = world.ledger(survivor_token)
    assert (ledger[0]["kind"], ledger[0]["delta"], ledger[0]["balance_after"]) == ("merge_in", 200, 300)
    assert_consistent(survivor_id)
    assert_consistent(other.customer_id)
    absorbed_state = directory.load_customer(other.customer_id, follow_merges=False)
    assert absorbed_state.merged_into == survivor_id
    # the absorbed account's orders still refund against the survivor
    _, out, _ = world.refund("M-2", 25_000)
    assert out["points_reversed"] == 250
    assert world.balance(survivor_token) == 50
    assert_consistent(survivor_id)


def _count(world, method, path, token=None, headers=None, body=None):
    with DynamoCalls().counting() as calls:
        status, out, _ = world.api.call(method, path, body, token=token, headers=headers)
    assert status < 300, out
    return calls


@pytest.mark.slow
def test_dynamodb_calls_per_endpoint(world):
    cid, token = world.member()
    key = {"x-api-key": "points-test-key-0123456789"}
    world.order("warm-1", {"customer_id": cid}, 100)  # config and API-key caches warm, as in a busy Lambda
    order = {"order_no": "C-1", "customer": {"customer_id": cid}, "amount_fen": 5000, "channel": "store",
             "paid_at": clock.now().isoformat()}
    calls = _count(world, "POST", "/v1/integrations/orders", headers=key, body=order)
    assert calls.log == ["Query", "TransactWriteItems"]
    phone = "13811112222"
    world.member(phone)
    calls = _count(world, "POST", "/v1/integrations/orders", headers=key,
                   body={**order, "order_no": "C-2", "customer": {"phone": phone}})
    assert calls.log == ["GetItem", "Query", "TransactWriteItems"]  # PHONE# key, state, transaction
    calls = _count(world, "POST", "/v1/integrations/orders", headers=key,
                   body={**order, "order_no": "C-3", "customer": {"phone": phone}})
    assert calls.log == ["Query", "TransactWriteItems"]  # the phone was seen a moment ago
    assert _count(world, "GET", "/v1/me/points", token=token).log == ["Query"]
    assert _count(world, "GET", "/v1/me/points/ledger?limit=20", token=token).log == ["Query"]
    world.get("/v1/me", token)  # the privacy policy in force is cached too (5 s), as in a busy Lambda
    assert _count(world, "GET", "/v1/me", token=token).log == ["Query"]
    assert _count(world, "POST", "/v1/me/check-ins", token=token).log == ["Query", "TransactWriteItems"]


def _bulk_ledger(customer_id: str, count: int) -> None:
    """Write ``count`` ledger entries straight to the table (the page cost test needs many, not a real history)."""
    client = shared_connection().client
    table = settings().table_name
    batch = []
    for i in range(count):
        sk = f"L#2020-01-01T00:00:00.000+00:00#{i:010d}"
        batch.append({"PutRequest": {"Item": {
            "pk": {"S": f"CUST#{customer_id}"}, "sk": {"S": sk}, "customer_id": {"S": customer_id},
            "entry_id": {"S": f"B{i:010d}"}, "seq": {"N": str(i)}, "kind": {"S": "event"}, "delta": {"N": "1"},
            "balance_after": {"N": str(i + 1)}, "debt_delta": {"N": "0"}, "debt_after": {"N": "0"},
            "reference": {"S": f"bulk-{uuid.uuid4().hex[:6]}"}, "created_at": {"S": "2020-01-01T00:00:00.000+00:00"},
        }}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def _page_capacity(customer_id: str) -> float:
    client = shared_connection().client
    page = client.query(
        TableName=settings().table_name, KeyConditionExpression="pk = :pk AND begins_with(sk, :l)",
        ExpressionAttributeValues={":pk": {"S": f"CUST#{customer_id}"}, ":l": {"S": "L#"}},
        ScanIndexForward=False, Limit=21, ReturnConsumedCapacity="TOTAL",
    )
    return float(page["ConsumedCapacity"]["CapacityUnits"])


@pytest.mark.slow
def test_a_ledger_page_costs_the_same_at_100_and_10000_entries(world):
    small, small_token = world.member()
    big, big_token = world.member()
    _bulk_ledger(small, 100)
    _bulk_ledger(big, 10_000)
    assert _page_capacity(small) == _page_capacity(big)
    for token in (small_token, big_token):
        calls = _count(world, "GET", "/v1/me/points/ledger?limit=20", token=token)
        assert calls.log == ["Query"]
    first = world.get("/v1/me/points/ledger?limit=20", big_token)
    assert len(first["items"]) == 20 and first["next_cursor"]
    second = world.get(f"/v1/me/points/ledger?limit=20&cursor={first['next_cursor']}", big_token)
    assert [e["entry_id"] for e in second["items"]] == [f"B{i:010d}" for i in range(9979, 9959, -1)]


@pytest.mark.slow
def test_an_adjustment_key_names_one_adjustment_whichever_member_it_was_for(world):
    """The admin's Idempotency-Key record is the admin's own: the same key sent for another member is a reused key,
    not a second adjustment."""
    first_cid, first_token = world.member()
    other_cid, other_token = world.member()
    headers = {"authorization": f"Bearer {world.admin}", "idempotency-key": "adj-same-key"}
    status, _, _ = world.api.call("POST", "/v1/admin/points/adjustments",
                                  {"customer_id": first_cid, "delta": 10, "reason": "补偿"}, headers=headers)
    assert status == 201
    status, out, _ = world.api.call("POST", "/v1/admin/points/adjustments",
                                    {"customer_id": other_cid, "delta": 10, "reason": "补偿"}, headers=headers)
    assert (status, out["error"]["code"]) == (422, "idempotency_key_reused")
    assert (world.balance(first_token), world.balance(other_token)) == (10, 0)
