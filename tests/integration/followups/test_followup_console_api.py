"""What the console needs from the follow-up API, over the in-process API (DynamoDB Local, moto SQS): queue rows
that say who, what and how often it failed, and bulk resolve -- each case resolved by the single routes' own use
cases, a refused case reported with the single route's message and left as it was, and two agents bulk-refunding
the same cases at once over real HTTP (two processes) refund each case exactly once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.core.area import FollowUpHooks
from chalicelib.core.errors import CATALOGUE
from chalicelib.core.retry import dispatch
from tests.support.followup_world import FollowUpWorld, check_invariants, run_followup_worker
from tests.support.http import serve_app_processes
from tests.support.threads import run_at_once

pytestmark = pytest.mark.integration

BULK = "/v1/agent/follow-ups/bulk-resolve"


@pytest.fixture
def world(followup_world: FollowUpWorld) -> FollowUpWorld:
    return followup_world


def bulk(world: FollowUpWorld, token: str, body: Any, english: bool = False) -> tuple[int, Any]:
    headers = {"accept-language": "en"} if english else {}
    status, out, _ = world.api.call("POST", BULK, body, token=token, headers=headers)
    return status, out


@pytest.mark.slow
def test_queue_rows_say_who_what_and_how_many_attempts(world: FollowUpWorld):
    _cid, token = world.member(points_held=1_000, tier="gold")
    name = f"视频会员月卡 {uuid.uuid4().hex[:4]}"
    reward_id = world.reward(name=name, points_cost=300, fulfillment="partner", stock=5)
    case_id, _accepted = world.open_case(token, reward_id)
    agent = world.agent("alice")
    [row] = [c for c in world.queue(agent) if c["case_id"] == case_id]
    assert row["member_no"] == world.get("/v1/me", token)["member_no"] and row["member_no"]
    assert row["subject"] == {"name": name, "points": 300, "quantity": 1}
    assert row["attempt_count"] == 1  # the request's own call to the partner
    assert row["responded_at"] is None and row["priority"]["tier_code"] == "gold"

    claimed = world.act(case_id, "claim", agent)[1]
    assert claimed["responded_at"] == claimed["claimed_at"]
    assert world.act(case_id, "retry", agent)[1]["retry"]["ok"] is False  # the partner still fails
    [row] = [c for c in world.queue(agent, "claimed") if c["case_id"] == case_id]
    assert row["attempt_count"] == 2 and row["responded_at"] == claimed["claimed_at"]
    world.act(case_id, "release", agent, {})
    [row] = [c for c in world.queue(agent) if c["case_id"] == case_id]
    assert row["responded_at"] == claimed["claimed_at"]  # the first response stays met


@pytest.mark.slow
def test_bulk_resolve_resolves_each_case_as_its_own_routes_would(world: FollowUpWorld):
    reward_id = world.partner_reward(points_cost=300, stock=10)
    members = [world.member(points_held=1_000) for _ in range(4)]
    opened = [world.open_case(token, reward_id) for _cid, token in members]
    (mine, _), (others, _), (open_one, _), (done, _) = opened
    alice, bob = world.agent("alice"), world.agent("bob")
    assert world.act(mine, "claim", alice)[0] == 200
    assert world.act(others, "claim", bob)[0] == 200
    assert world.act(done, "claim", alice)[0] == 200
    assert world.act(done, "resolve", alice, {"resolution": "cancelled"})[0] == 200
    assert world.stock(reward_id) == 6

    ids = [open_one, mine, others, done, "fu.nobody.txn_nothing", open_one]
    status, out = bulk(world, alice, {"case_ids": ids, "resolution": "refunded", "note": "合作方故障，统一退回"})
    assert status == 200, out
    by_id = {r["case_id"]: r for r in out["results"]}
    assert [r["case_id"] for r in out["results"]] == ids[:5]  # in the order given, each once
    assert (out["resolved"], out["failed"]) == (2, 3)
    for case_id in (open_one, mine):
        assert by_id[case_id]["ok"] and by_id[case_id]["resolution"] == "refunded"
        assert by_id[case_id]["compensation"]["points_returned"] == 300
        case = world.case(case_id, alice)
        assert (case["status"], case["resolution_note"], case["resolved_by"]) == (
            "resolved", "合作方故障，统一退回", world.staff_ids["alice"])
    for case_id, code in ((others, "case_claimed_by_other"), (done, "case_already_resolved"),
                          ("fu.nobody.txn_nothing", "not_found")):
        assert by_id[case_id] == {"case_id": case_id, "ok": False, "status": None, "resolution": None,
                                  "compensation": None, "error": {"code": code, "message": CATALOGUE[code].zh}}
    still = world.case(others, bob)
    assert (still["status"], still["claimed_by"]) == ("claimed", world.staff_ids["bob"])  # left as it was
    balances = [world.balance(token) for _cid, token in members]
    assert balances == [1_000, 700, 1_000, 700]  # mine, others (bob's), open_one, done (cancelled)
    assert world.stock(reward_id) == 8

    status, out = bulk(world, alice, {"case_ids": [mine], "resolution": "refunded"}, english=True)
    assert out["results"][0]["error"] == {"code": "case_already_resolved",
                                          "message": CATALOGUE["case_already_resolved"].en}
    assert world.balance(members[0][1]) == 1_000  # not refunded twice
    check_invariants({a["transaction_id"]: (cid, a["redemption_id"]) for (cid, _), (_, a) in zip(members, opened,
                                                                                                 strict=True)},
                     {reward_id: 10})


def test_a_case_bulk_claimed_but_refused_goes_back_to_the_queue(world: FollowUpWorld, monkeypatch):
    cid, _token = world.member()
    monkeypatch.setitem(dispatch.followup_hooks(), "test_kind", FollowUpHooks())  # followed up, nothing to refund
    assert run_followup_worker([{"kind": "test_kind", "transaction_id": "txn_bulkkind1", "customer_id": cid}]) == {
        "batchItemFailures": []}
    case_id = f"fu.{cid}.txn_bulkkind1"
    agent = world.agent("alice")
    status, out = bulk(world, agent, {"case_ids": [case_id], "resolution": "refunded", "note": "x"})
    assert status == 200 and out["results"][0]["error"]["code"] == "case_not_refundable"
    case = world.case(case_id, agent)
    assert (case["status"], case["claimed_by"]) == ("open", None)  # nobody's name on it
    assert [a["action"] for a in case["actions"]] == ["opened", "claimed", "released"]
    assert bulk(world, agent, {"case_ids": [case_id], "resolution": "cancelled"})[1]["resolved"] == 1


@pytest.mark.parametrize("body", [
    {"case_ids": [], "resolution": "refunded"},
    {"case_ids": [f"fu.c.t{n}" for n in range(51)], "resolution": "refunded"},
    {"case_ids": ["fu.c.t"], "resolution": "completed_by_retry"},
    {"case_ids": [""], "resolution": "cancelled"},
    {"case_ids": "fu.c.t", "resolution": "cancelled"},
    {"case_ids": ["fu.c.t"], "resolution": "cancelled", "note": "x" * 2001},
])
def test_bulk_resolve_refuses_bad_input(world: FollowUpWorld, body: dict[str, Any]):
    _cid, token = world.member(points_held=1_000)
    case_id, _ = world.open_case(token, world.partner_reward())
    agent = world.agent()
    if body["case_ids"] and isinstance(body["case_ids"], list) and body["case_ids"][0]:
        body = {**body, "case_ids": [case_id, *body["case_ids"][1:]]}
    status, out = bulk(world, agent, body)
    assert status == 400 and out["error"]["code"] == "validation_error", out
    assert world.case(case_id, agent)["status"] == "open" and world.balance(token) == 700


@pytest.mark.slow  # real processes
def test_two_agents_bulk_refunding_the_same_cases_at_once_refund_each_once(world: FollowUpWorld):
    reward_id = world.partner_reward(points_cost=200, stock=10)
    members = [world.member(points_held=1_000) for _ in range(4)]
    opened = [world.open_case(token, reward_id) for _cid, token in members]
    ids = [case_id for case_id, _ in opened]
    agents = [world.agent("alice"), world.agent("bob")]
    with serve_app_processes(workers=2, timeout=120) as server:
        def go(token: str, order: list[str]) -> Any:
            status, out = server.call("POST", BULK, {"case_ids": order, "resolution": "refunded"}, token=token)
            assert status == 200, out
            return out

        outs = run_at_once(go, [(agents[0], ids), (agents[1], ids[::-1])])
    for case_id in ids:
        results = [r for out in outs for r in out["results"] if r["case_id"] == case_id]
        assert sum(r["ok"] for r in results) == 1, results
        refused = [r["error"]["code"] for r in results if not r["ok"]]
        assert set(refused) <= {"case_claimed_by_other", "case_already_resolved"}, refused
        assert world.case(case_id, agents[0])["status"] == "resolved"
    assert [world.balance(token) for _cid, token in members] == [1_000] * 4
    assert world.stock(reward_id) == 10
    check_invariants({a["transaction_id"]: (cid, a["redemption_id"]) for (cid, _), (_, a) in zip(members, opened,
                                                                                                 strict=True)},
                     {reward_id: 10})
