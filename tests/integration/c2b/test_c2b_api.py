"""C2B product requests over the in-process API and DynamoDB Local: proposing (limits, the daily cap), the page and
the listings, supports (201, repeats 200, quantity updates, withdrawal), the threshold (once, the proposer told, the
fan-out telling each early supporter once), operators' moves and the launch vouchers, polls and moving votes,
bad inputs (400 in the envelope, zh and en, nothing changed) and the DynamoDB calls of each."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.c2b import fanout
from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from tests.support.contract import assert_envelope
from tests.support.points_world import DynamoCalls, PointsWorld

pytestmark = pytest.mark.integration

PROPOSAL = {"title": "无糖桂花乌龙冷泡茶", "description": "希望推出无糖的桂花乌龙冷泡茶包，一盒 20 包。",
            "category": "茶饮"}


class World(PointsWorld):
    def call(self, method: str, path: str, token: str, body: Any = None, expect: int | None = 200,
             english: bool = False) -> Any:
        status, out, _ = self.api.call(method, path, body, token=token,
                                       headers={"accept-language": "en"} if english else None)
        if expect is not None:
            assert status == expect, (status, out)
        return out

    def err(self, method: str, path: str, token: str, body: Any = None, *, code: str, english: bool = False
            ) -> None:
        status, out, headers = self.api.call(method, path, body, token=token,
                                             headers={"accept-language": "en"} if english else None)
        assert_envelope(status, out, headers, code, english=english)

    def propose(self, token: str, threshold: int | None = None) -> str:
        rid = str(self.call("POST", "/v1/product-requests", token, PROPOSAL, expect=201)["request_id"])
        if threshold is not None:
            self.call("PATCH", f"/v1/admin/product-requests/{rid}", self.admin, {"threshold": threshold})
        return rid


def notices(customer_id: str, kind: str) -> list[dict[str, Any]]:
    out = shared_connection().client.query(
        TableName=settings().table_name, KeyConditionExpression="pk = :p AND begins_with(sk, :n)",
        ExpressionAttributeValues={":p": {"S": f"CUST#{customer_id}"}, ":n": {"S": "N#"}}, ConsistentRead=True)
    return [i for i in out["Items"] if i["kind"]["S"] == kind]


@pytest.fixture
def world(api: Any) -> World:
    clock.set_now(None)
    return World.make(api)  # type: ignore[return-value]


def test_a_proposal_is_open_at_once_and_listed_newest_first(world: World):
    _, token = world.member()
    first, second = world.propose(token), world.propose(token)
    page = world.call("GET", f"/v1/product-requests/{first}", token)
    assert page["status"] == "open" and page["support_count"] == 0 and page["demand_quantity"] == 0
    assert page["threshold"] == 100 and page["my_support"] is None and page["polls"] == []
    listed = world.call("GET", "/v1/product-requests?sort=new", token)["items"]
    assert [i["request_id"] for i in listed][:2] == [second, first]
    assert [i["request_id"] for i in world.call("GET", "/v1/product-requests?status=open&limit=1", token)["items"]]


@pytest.mark.slow
def test_the_daily_limit_is_429_with_retry_after(world: World):
    _, token = world.member()
    for _ in range(5):
        world.propose(token)
    status, body, headers = world.api.call("POST", "/v1/product-requests", PROPOSAL, token=token)
    assert status == 429 and body["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) > 0


@pytest.mark.parametrize("body", [
    {**PROPOSAL, "title": "x"}, {**PROPOSAL, "title": "t" * 61}, {**PROPOSAL, "description": "短"},
    {**PROPOSAL, "category": ""}, {**PROPOSAL, "target_price_fen": 0}, {**PROPOSAL, "surprise": 1},
    {**PROPOSAL, "title": "bad\u202etitle"}, {"title": "只有标题"}, {**PROPOSAL, "specs": "s" * 1001},
])
def test_bad_proposals_are_400_in_the_envelope_and_change_nothing(world: World, body: dict[str, Any]):
    _, token = world.member()
    for english in (False, True):
        world.err("POST", "/v1/product-requests", token, body, code="validation_error", english=english)
    assert world.call("GET", "/v1/product-requests", token)["items"] == []


@pytest.mark.slow
def test_supports_count_once_per_member_and_follow_quantity_and_withdrawal(world: World):
    _, proposer = world.member()
    rid = world.propose(proposer)
    _, a = world.member()
    _, b = world.member()
    assert world.call("POST", f"/v1/product-requests/{rid}/supports", a, {}, expect=201)["support_count"] == 1
    again = world.call("POST", f"/v1/product-requests/{rid}/supports", a, {}, expect=200)
    assert (again["support_count"], again["demand_quantity"], again["my_support"]) == (1, 1, {"quantity": 1})
    assert world.call("POST", f"/v1/product-requests/{rid}/supports", a, {"quantity": 4})["demand_quantity"] == 4
    world.call("POST", f"/v1/product-requests/{rid}/supports", b, {"quantity": 3}, expect=201)
    page = world.call("GET", f"/v1/product-requests/{rid}", a)
    assert (page["support_count"], page["demand_quantity"], page["my_support"]["quantity"]) == (2, 7, 4)
    out = world.call("POST", f"/v1/product-requests/{rid}/supports/withdraw", a)
    assert (out["support_count"], out["demand_quantity"], out["my_support"]) == (1, 3, None)
    world.call("POST", f"/v1/product-requests/{rid}/supports/withdraw", a)  # a second tap: the same answer
    assert world.call("GET", f"/v1/product-requests/{rid}", b)["demand_quantity"] == 3
    mine = world.call("GET", "/v1/me/product-requests/supports", b)["items"]
    assert [(i["request_id"], i["quantity"]) for i in mine] == [(rid, 3)]
    for bad in ({"quantity": 0}, {"quantity": 11}, {"quantity": "2"}, {"qty": 1}):
        world.err("POST", f"/v1/product-requests/{rid}/supports", b, bad, code="validation_error")
    assert world.call("GET", f"/v1/product-requests/{rid}", b)["demand_quantity"] == 3
    world.err("POST", "/v1/product-requests/pr_0000000000000000/supports", b, {}, code="not_found")


@pytest.mark.slow
def test_the_threshold_is_reached_once_and_each_early_supporter_is_told_once(world: World):
    proposer_id, proposer = world.member()
    rid = world.propose(proposer, threshold=20)
    supporters = [world.member() for _ in range(5)]
    for _, token in supporters[:4]:
        world.call("POST", f"/v1/product-requests/{rid}/supports", token, {"quantity": 4}, expect=201)
    assert world.call("GET", f"/v1/product-requests/{rid}", proposer)["status"] == "open"
    crossing = world.call("POST", f"/v1/product-requests/{rid}/supports", supporters[4][1], {"quantity": 5},
                          expect=201)
    assert crossing["status"] == "threshold_reached" and crossing["demand_quantity"] == 21
    late_id, late = world.member()
    world.call("POST", f"/v1/product-requests/{rid}/supports", late, {}, expect=201)
    assert len(notices(proposer_id, "c2b_threshold_reached")) == 1
    fanout.run()
    fanout.run()  # again: nobody is told twice
    for cid, _ in supporters:
        assert len(notices(cid, "c2b_threshold_reached")) == 1
    assert notices(late_id, "c2b_threshold_reached") == []
    page = world.call("GET", f"/v1/product-requests/{rid}", proposer)
    assert page["status"] == "threshold_reached" and page["demand_quantity"] == 22


@pytest.mark.slow
def test_lowering_the_threshold_below_demand_reaches_it(world: World):
    _, proposer = world.member()
    rid = world.propose(proposer)
    _, a = world.member()
    world.call("POST", f"/v1/product-requests/{rid}/supports", a, {"quantity": 6}, expect=201)
    out = world.call("PATCH", f"/v1/admin/product-requests/{rid}", world.admin, {"threshold": 5})
    assert out["status"] == "threshold_reached"
    assert world.call("GET", f"/v1/product-requests/{rid}", a)["status"] == "threshold_reached"


@pytest.mark.slow
def test_operators_move_it_through_to_launch_and_supporters_get_one_voucher(world: World):
    proposer_id, proposer = world.member()
    rid = world.propose(proposer, threshold=2)
    fans = [world.member() for _ in range(3)]
    for _, token in fans:
        world.call("POST", f"/v1/product-requests/{rid}/supports", token, {}, expect=201)
    world.err("POST", f"/v1/admin/product-requests/{rid}/status", world.admin,
                               {"status": "launched", "note": "跳步"}, code="status_move_not_allowed")
    for status in ("under_review", "accepted", "in_production", "launched"):
        world.call("POST", f"/v1/admin/product-requests/{rid}/status", world.admin,
                   {"status": status, "note": f"进展：{status}"})
    fanout.run()
    fanout.run()
    for cid, token in fans:
        assert len(notices(cid, "c2b_status_changed")) == 3
        assert len(notices(cid, "c2b_launched")) == 1
        vouchers = world.call("GET", "/v1/me/vouchers", token)["items"]
        assert [v["name"] for v in vouchers if v.get("benefit_id", "").startswith("c2b:")
                or v["name"] == "新品尝鲜券"] == ["新品尝鲜券"]
    assert len(notices(proposer_id, "c2b_status_changed")) == 4  # the proposer does not support: told at once
    world.err("POST", f"/v1/product-requests/{rid}/supports", fans[0][1], {"quantity": 2}, code="request_closed")


def test_a_hidden_request_is_gone_for_members(world: World):
    _, proposer = world.member()
    rid = world.propose(proposer)
    world.call("POST", f"/v1/admin/product-requests/{rid}/status", world.admin, {"status": "hidden", "note": "广告"})
    world.err("GET", f"/v1/product-requests/{rid}", proposer, code="not_found")
    assert rid not in [i["request_id"] for i in world.call("GET", "/v1/product-requests", proposer)["items"]]


def test_a_supporting_proposer_of_a_hidden_request_is_told_once_with_the_note(world: World):
    proposer_id, proposer = world.member()
    rid = world.propose(proposer)
    _, fan = world.member()
    for token in (proposer, fan):
        world.call("POST", f"/v1/product-requests/{rid}/supports", token, {"quantity": 1}, expect=201)
    world.call("POST", f"/v1/admin/product-requests/{rid}/status", world.admin, {"status": "hidden", "note": "含广告"})
    fanout.run()
    fanout.run()
    told = notices(proposer_id, "c2b_status_changed")
    assert [(json.loads(n["data"]["S"])["status"], json.loads(n["data"]["S"])["note"]) for n in told] == [
        ("hidden", "含广告")]
    assert "含广告" in told[0]["body"]["S"]
    world.err("POST", f"/v1/product-requests/{rid}/supports", fan, {"quantity": 2}, code="not_found")


def test_votes_move_and_supporters_only_polls_refuse_others(world: World):
    _, proposer = world.member()
    rid = world.propose(proposer)
    poll = world.call("POST", f"/v1/admin/product-requests/{rid}/polls", world.admin,
                      {"question": "包装？", "options": ["铁罐", "纸盒"], "supporters_only": True}, expect=201)
    pid, (o1, o2) = poll["poll_id"], [o["option_id"] for o in poll["options"]]
    _, a = world.member()
    world.err("POST", f"/v1/product-requests/{rid}/polls/{pid}/votes", a, {"option_id": o1}, code="supporters_only")
    world.call("POST", f"/v1/product-requests/{rid}/supports", a, {}, expect=201)
    world.call("POST", f"/v1/product-requests/{rid}/polls/{pid}/votes", a, {"option_id": o1}, expect=201)
    moved = world.call("POST", f"/v1/product-requests/{rid}/polls/{pid}/votes", a, {"option_id": o2}, expect=200)
    assert [o["votes"] for o in moved["options"]] == [0, 1]
    page = world.call("GET", f"/v1/product-requests/{rid}", a)
    assert page["polls"][0]["my_vote"] == o2 and [o["votes"] for o in page["polls"][0]["options"]] == [0, 1]
    world.err("POST", f"/v1/product-requests/{rid}/polls/{pid}/votes", a, {"option_id": "o9"}, code="validation_error")
    world.call("POST", f"/v1/admin/product-requests/{rid}/polls/{pid}/close", world.admin)
    world.err("POST", f"/v1/product-requests/{rid}/polls/{pid}/votes", a, {"option_id": o1}, code="poll_closed")


@pytest.mark.slow
def test_popular_sorts_by_demand(world: World):
    _, proposer = world.member()
    small, big = world.propose(proposer), world.propose(proposer)
    _, a = world.member()
    world.call("POST", f"/v1/product-requests/{small}/supports", a, {"quantity": 1}, expect=201)
    world.call("POST", f"/v1/product-requests/{big}/supports", a, {"quantity": 9}, expect=201)
    items = world.call("GET", "/v1/product-requests?sort=popular&limit=1", a)
    assert items["items"][0]["request_id"] == big and items["items"][0]["demand_quantity"] == 9
    rest = world.call("GET", f"/v1/product-requests?sort=popular&limit=1&cursor={items['next_cursor']}", a)
    assert rest["items"][0]["request_id"] == small
    world.err("GET", "/v1/product-requests?cursor=garbage", a, code="validation_error")
    from chalicelib.core.dynamo import paging

    for made_up in ("zzz#pr_0000000000000000", "2026-12-01T00:00:00#pr_0000000000000000"):
        world.err("GET", f"/v1/product-requests?sort=popular&cursor={paging.encode_cursor(made_up)}", a,
                  code="validation_error")


@pytest.mark.slow
def test_dynamodb_calls_per_endpoint(world: World):
    _, proposer = world.member()
    rid = world.propose(proposer)
    _, a = world.member()
    with DynamoCalls().counting() as calls:
        world.call("GET", f"/v1/product-requests/{rid}", a)
    assert calls.ops["BatchGetItem"] == 1 and calls.total == 1
    with DynamoCalls().counting() as calls:
        world.call("GET", "/v1/product-requests?sort=popular", a)
    assert calls.ops["Query"] == 1 and calls.total == 1
    with DynamoCalls().counting() as calls:
        world.call("POST", f"/v1/product-requests/{rid}/supports", a, {}, expect=201)
    assert dict(calls.ops) == {"BatchGetItem": 1, "TransactWriteItems": 1}


@pytest.mark.slow
def test_a_merged_members_supports_and_votes_follow_the_survivor_without_counting_twice(world: World):
    from chalicelib.identity import directory, merges, sessions

    _, proposer = world.member()
    one, both = world.propose(proposer), world.propose(proposer)
    pid = world.call("POST", f"/v1/admin/product-requests/{one}/polls", world.admin,
                     {"question": "颜色？", "options": ["白", "黑"]}, expect=201)["poll_id"]
    absorbed_id, absorbed = world.member()
    world.call("POST", f"/v1/product-requests/{one}/supports", absorbed, {"quantity": 3}, expect=201)
    world.call("POST", f"/v1/product-requests/{both}/supports", absorbed, {"quantity": 2}, expect=201)
    world.call("POST", f"/v1/product-requests/{one}/polls/{pid}/votes", absorbed, {"option_id": "o2"}, expect=201)
    survivor_id = directory.create_customer(directory.Identity("wechat_mp", "wx", f"o-{absorbed_id}")).customer_id
    survivor = sessions.issue(sessions.member_principal(survivor_id))["access_token"]
    world.call("POST", f"/v1/product-requests/{both}/supports", survivor, {"quantity": 5}, expect=201)
    merges.merge(directory.load_customer(absorbed_id), directory.load_customer(survivor_id), reason="test")
    page_one = world.call("GET", f"/v1/product-requests/{one}", survivor)
    assert (page_one["support_count"], page_one["demand_quantity"], page_one["my_support"]["quantity"]) == (1, 3, 3)
    assert page_one["polls"][0]["my_vote"] == "o2" and [o["votes"] for o in page_one["polls"][0]["options"]] == [0, 1]
    page_both = world.call("GET", f"/v1/product-requests/{both}", survivor)
    assert (page_both["support_count"], page_both["demand_quantity"], page_both["my_support"]["quantity"]) == (
        1, 5, 5)
    assert {i["request_id"] for i in world.call("GET", "/v1/me/product-requests/supports", survivor)["items"]} == {
        one, both}
    # Supporting again as the survivor is a repeat, not a second support.
    assert world.call("POST", f"/v1/product-requests/{one}/supports", survivor, {}, expect=200)["support_count"] == 1


def test_the_agents_360_view_lists_the_members_supports(world: World):
    _, proposer = world.member()
    rid = world.propose(proposer)
    cid, token = world.member()
    world.call("POST", f"/v1/product-requests/{rid}/supports", token, {"quantity": 2}, expect=201)
    view = world.call("GET", f"/v1/agent/members/{cid}", world.agent)
    assert [(s["request_id"], s["quantity"]) for s in view["product_requests"]["supports"]] == [(rid, 2)]


def test_every_c2b_error_speaks_chinese_and_english():
    from chalicelib.c2b.errors import ERRORS
    from chalicelib.core.errors import CATALOGUE

    for code, spec in ERRORS.items():
        assert CATALOGUE[code] == spec and spec.zh and spec.en and spec.zh != spec.en
