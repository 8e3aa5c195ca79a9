"""Back-fill claims: members file, agents approve or reject; an approved claim and the order's later arrival
never pay twice."""

from __future__ import annotations

import pytest

from chalicelib.core import clock
from tests.support.clock import at
from tests.support.points_world import PointsWorld, assert_consistent

pytestmark = pytest.mark.integration

CLAIM = {"order_no": "SO-77", "store_id": "sh-01", "amount_fen": 25_900, "purchased_on": "2026-11-20",
         "note": "收银系统故障"}


@pytest.fixture
def world(points_world: PointsWorld) -> PointsWorld:
    return points_world


def file(world, token, body, expect=201):
    status, out, _ = world.api.call("POST", "/v1/me/points/claims", body, token=token)
    assert status == expect, out
    return out


def agent(world, method, path, body=None, expect=200):
    status, out, _ = world.api.call(method, path, body, headers={"authorization": f"Bearer {world.agent}"})
    assert status == expect, out
    return out


@pytest.mark.slow
def test_an_approved_claim_and_the_later_order_pay_once(world):
    cid, token = world.member()
    claim = file(world, token, CLAIM)
    assert (claim["status"], claim["order_no"], claim["points_awarded"]) == ("pending", "SO-77", None)
    mine = world.get("/v1/me/points/claims", token)["items"]
    assert [c["claim_id"] for c in mine] == [claim["claim_id"]]
    queue = agent(world, "GET", "/v1/agent/points-claims?status=pending")["items"]
    assert [(c["claim_id"], c["customer_id"]) for c in queue] == [(claim["claim_id"], cid)]
    approved = agent(world, "POST", f"/v1/agent/points-claims/{claim['claim_id']}/approve", {"note": "小票无误"})
    assert (approved["status"], approved["points_awarded"], approved["balance_after"]) == ("approved", 259, 259)
    assert agent(world, "GET", "/v1/agent/points-claims?status=pending")["items"] == []
    late = world.order("SO-77", {"customer_id": cid}, 25_900, expect=200)
    assert (late["duplicate"], late["points_awarded"], late["original"]["source"]) == (True, 0, "claim")
    assert world.balance(token) == 259
    entry = world.ledger(token)[0]
    assert (entry["kind"], entry["reference"]) == ("claim", "SO-77")
    again = world.api.call("POST", f"/v1/agent/points-claims/{claim['claim_id']}/approve", {},
                           headers={"authorization": f"Bearer {world.agent}"})
    assert (again[0], again[1]["error"]["code"]) == (409, "claim_not_pending")
    # the approved claim's order refunds like any other
    _, refund, _ = world.refund("SO-77", 25_900)
    assert refund["points_reversed"] == 259
    assert_consistent(cid)


@pytest.mark.slow
def test_a_claim_for_an_order_that_already_earned_is_refused(world):
    cid, token = world.member()
    world.order("SO-77", {"customer_id": cid}, 25_900)
    out = file(world, token, CLAIM, expect=409)
    assert out["error"]["code"] == "order_already_credited"


@pytest.mark.slow
def test_the_order_arriving_while_the_claim_waits_closes_the_claim(world):
    cid, token = world.member()
    claim = file(world, token, CLAIM)
    world.order("SO-77", {"customer_id": cid}, 25_900)
    out = agent(world, "POST", f"/v1/agent/points-claims/{claim['claim_id']}/approve", {}, expect=409)
    assert out["error"]["code"] == "order_already_credited"
    assert world.balance(token) == 259
    mine = world.get("/v1/me/points/claims", token)["items"][0]
    assert (mine["status"], mine["reason"]) == ("rejected", "order_already_credited")


@pytest.mark.slow
def test_a_rejection_needs_a_reason_and_frees_the_order_number(world):
    _, token = world.member()
    claim = file(world, token, CLAIM)
    out = agent(world, "POST", f"/v1/agent/points-claims/{claim['claim_id']}/reject", {}, expect=400)
    assert out["error"]["code"] == "validation_error"
    out = agent(world, "POST", f"/v1/agent/points-claims/{claim['claim_id']}/reject", {"reason": "无支付记录"})
    assert (out["status"], out["reason"]) == ("rejected", "无支付记录")
    assert agent(world, "GET", "/v1/agent/points-claims?status=rejected")["items"][0]["claim_id"] == claim["claim_id"]
    assert world.balance(token) == 0
    file(world, token, {**CLAIM, "note": "补充小票照片"})  # may be filed again once rejected
    assert agent(world, "POST", "/v1/agent/points-claims/clm_nothing/reject", {"reason": "x"}, expect=404)


@pytest.mark.slow
def test_claims_are_limited(world):
    _, token = world.member()
    other_cid, other_token = world.member()
    for bad, issue in (({**CLAIM, "purchased_on": "2026-11-24"}, "future"),
                       ({**CLAIM, "purchased_on": "2026-07-01"}, "within the last 90 days"),
                       ({**CLAIM, "amount_fen": 0}, "greater than 0")):
        out = file(world, token, bad, expect=400)
        assert issue in out["error"]["details"][0]["issue"], out
    file(world, token, CLAIM)
    assert file(world, other_token, CLAIM, expect=409)["error"]["code"] == "claim_already_filed"
    for n in range(2):
        file(world, token, {**CLAIM, "order_no": f"SO-8{n}"})
    out = file(world, token, {**CLAIM, "order_no": "SO-99"}, expect=409)
    assert out["error"]["code"] == "too_many_open_claims"
    # another member's claims are not in my list; members cannot reach the agents' queue
    assert world.get("/v1/me/points/claims", other_token)["items"] == []
    status, body, _ = world.api.call("GET", "/v1/agent/points-claims", token=token)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    assert other_cid


@pytest.mark.slow
def test_claim_lists_page_with_cursors(world):
    _, token = world.member()
    admin = {"authorization": f"Bearer {world.admin}"}
    status, _, _ = world.api.call("PUT", "/v1/admin/points/settings", {"max_open_claims": 10}, headers=admin)
    assert status == 200
    ids = []
    for i in range(5):
        clock.set_now(at(2026, 11, 23, 10, i))
        ids.append(file(world, token, {**CLAIM, "order_no": f"PG-{i}"})["claim_id"])
    page = world.get("/v1/me/points/claims?limit=2", token)
    seen = [c["claim_id"] for c in page["items"]]
    while page["next_cursor"]:
        page = world.get(f"/v1/me/points/claims?limit=2&cursor={page['next_cursor']}", token)
        seen += [c["claim_id"] for c in page["items"]]
    assert seen == list(reversed(ids))
    queue = agent(world, "GET", "/v1/agent/points-claims?limit=3")
    rest = agent(world, "GET", f"/v1/agent/points-claims?limit=3&cursor={queue['next_cursor']}")
    assert [c["claim_id"] for c in queue["items"] + rest["items"]] == ids  # oldest first
    status, body, _ = world.api.call("GET", "/v1/agent/points-claims?cursor=bogus",
                                     headers={"authorization": f"Bearer {world.agent}"})
    assert (status, body["error"]["code"]) == (400, "validation_error")
