"""The reactivation call list on DynamoDB Local: a call-list campaign puts each consenting member on the agents' list
once (no message), agents claim one at a time within max_per_agent, outcomes count into the campaign, lapsed claims
return to the pool; and claims raced over HTTP against two worker processes."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx
from chalicelib.identity import staff
from chalicelib.segments import call_tasks, queue
from chalicelib.segments.campaign_models import CallHolderItem, CampaignItem, campaign_pk
from tests.support.clock import at
from tests.support.http import Http, serve_app_processes
from tests.support.segments_world import SegmentsWorld
from tests.support.sign_in import staff_login
from tests.support.threads import run_at_once

pytestmark = pytest.mark.integration

CALL_LIST = {"max_per_agent": 2, "expires_days": 3}


@pytest.fixture
def world(segments_world: SegmentsWorld) -> SegmentsWorld:
    return segments_world


def _agent(world: SegmentsWorld, name: str) -> str:
    staff.create_staff(name, f"{name}-pass", "agent", rounds=4)
    return str(staff_login(world.api, name, f"{name}-pass")["access_token"])


def _tasks(world: SegmentsWorld, token: str) -> dict[str, Any]:
    return world.call("GET", "/v1/agent/call-tasks?limit=100", token=token)


@pytest.mark.slow
def test_a_call_list_campaign_lists_each_member_once_and_counts_the_agents_outcomes(world: SegmentsWorld):
    members = [world.member() for _ in range(4)]
    world.member(marketing=False)
    sid = world.segment()
    cp = world.campaign(sid, call_list=CALL_LIST)
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    queue.send([{"kind": "campaign_page", "campaign_id": cp, "segment_id": sid, "page": 0, "cursor": None}])
    world.pump()
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert (out["audience"], out["sent"], out["suppressed"]["no_consent"]) == (5, 4, 1)
    assert out["call_list"] == {"tasks": 4, "open": 4, "reached": 0, "no_answer": 0, "declined": 0}
    assert all(world.campaign_notes(cid) == [] for cid, _ in members)  # called, not messaged

    a, b = _agent(world, "call-a"), _agent(world, "call-b")
    pool = _tasks(world, a)["pool"]
    assert sorted(t["customer_id"] for t in pool) == sorted(cid for cid, _ in members)  # each member once
    first, second, third = (t["task_id"] for t in pool[:3])
    assert world.call("POST", f"/v1/agent/call-tasks/{first}/claim", token=a)["claimed_by"]
    assert world.call("POST", f"/v1/agent/call-tasks/{first}/claim", token=a)["status"] == "claimed"  # again: same
    world.call("POST", f"/v1/agent/call-tasks/{second}/claim", token=a)
    limit = world.call("POST", f"/v1/agent/call-tasks/{third}/claim", token=a, expect=409)
    assert limit["error"]["code"] == "call_task_limit"
    taken = world.call("POST", f"/v1/agent/call-tasks/{first}/claim", token=b, expect=409)
    assert taken["error"]["code"] == "call_task_claimed_by_other"
    not_mine = world.call("POST", f"/v1/agent/call-tasks/{first}/outcome", {"outcome": "reached"}, token=b,
                          expect=409)
    assert not_mine["error"]["code"] == "call_task_not_claimed"
    listed = _tasks(world, a)
    assert sorted(t["task_id"] for t in listed["mine"]) == sorted([first, second])
    assert len(listed["pool"]) == 2

    done = world.call("POST", f"/v1/agent/call-tasks/{first}/outcome", {"outcome": "reached", "note": "下周到店"},
                      token=a)
    assert (done["status"], done["outcome"], done["note"]) == ("done", "reached", "下周到店")
    world.call("POST", f"/v1/agent/call-tasks/{second}/outcome", {"outcome": "declined"}, token=a)
    again = world.call("POST", f"/v1/agent/call-tasks/{first}/outcome", {"outcome": "no_answer"}, token=a, expect=409)
    assert again["error"]["code"] == "call_task_done"
    world.call("POST", f"/v1/agent/call-tasks/{third}/claim", token=a)  # the limit counts only what a holds now
    out = world.call("GET", f"/v1/admin/campaigns/{cp}")
    assert out["call_list"] == {"tasks": 4, "open": 2, "reached": 1, "no_answer": 0, "declined": 1}


@pytest.mark.slow
@pytest.mark.parametrize("body", [{"outcome": "maybe"}, {}, {"outcome": "reached", "note": "x" * 501}])
def test_a_bad_outcome_is_a_400_in_both_languages_and_changes_nothing(world: SegmentsWorld, body: dict[str, Any]):
    world.member()
    cp = world.campaign(world.segment(), call_list=CALL_LIST)
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    world.pump()
    agent = _agent(world, "call-c")
    task = _tasks(world, agent)["pool"][0]["task_id"]
    world.call("POST", f"/v1/agent/call-tasks/{task}/claim", token=agent)
    answers = [world.api.call("POST", f"/v1/agent/call-tasks/{task}/outcome", body, token=agent,
                              headers={"accept-language": lang}) for lang in ("zh-CN", "en")]
    assert [s for s, _b, _h in answers] == [400, 400]
    assert {b["error"]["code"] for _s, b, _h in answers} == {"validation_error"}
    assert answers[0][1]["error"]["message"] != answers[1][1]["error"]["message"]
    assert _tasks(world, agent)["mine"][0]["status"] == "claimed"
    assert world.call("GET", f"/v1/admin/campaigns/{cp}")["call_list"]["open"] == 1
    world.call("POST", "/v1/agent/call-tasks/ct.nothing/claim", token=agent, expect=404)


@pytest.mark.slow  # real processes
def test_a_lapsed_claim_goes_back_to_the_pool(world: SegmentsWorld):
    for _ in range(3):
        world.member()
    cp = world.campaign(world.segment(), call_list=CALL_LIST)
    world.call("POST", f"/v1/admin/campaigns/{cp}/launch", expect=202)
    world.pump()
    a, b = _agent(world, "call-d"), _agent(world, "call-e")
    one, two, three = (t["task_id"] for t in _tasks(world, a)["pool"])
    world.call("POST", f"/v1/agent/call-tasks/{one}/claim", token=a)
    world.call("POST", f"/v1/agent/call-tasks/{two}/claim", token=a)
    clock.set_now(at(2026, 11, 26, 10, 1))  # three days and a minute later: both claims lapsed
    assert _tasks(world, a)["mine"] == []
    taken = world.call("POST", f"/v1/agent/call-tasks/{one}/claim", token=b)  # another agent takes one over
    assert taken["claimed_by"] != world.call("POST", f"/v1/agent/call-tasks/{three}/claim", token=a)["claimed_by"]
    assert call_tasks.lapse() == {"returned": 1}  # the other one, still a's, is back in the pool
    assert call_tasks.lapse() == {"returned": 0}
    pool = _tasks(world, b)["pool"]
    assert [t["task_id"] for t in pool] == [two] and pool[0]["claimed_by"] is None
    holders = {h.sk: int(h.open) for h in CallHolderItem.query(campaign_pk(cp), CallHolderItem.sk.startswith("AGENT#"))}
    assert sorted(holders.values()) == [1, 1]  # a holds three, b holds one: lapses were taken off a's count


# ------------------------------------------------------------------------------------------------ races


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    clock.set_now(None)
    with serve_app_processes(workers=2, timeout=120) as server:
        yield server


def _list_of(n: int, max_per_agent: int) -> list[str]:
    """A call-list campaign's tasks as its fan-out leaves them (the campaign, n tasks in the pool)."""
    campaign_id = "cp_" + uuid.uuid4().hex[:16]
    campaign = CampaignItem(pk=campaign_pk(campaign_id), sk="CAMP", campaign_id=campaign_id, name="回访",
                            segment_ids=["sg_x"], message={"title": "t", "body": "b"}, channels=["in_app"],
                            holdout_percent=0, starts_at=clock.iso(), ends_at="2099-01-01T00:00:00+08:00",
                            call_list={"max_per_agent": max_per_agent, "expires_days": 3}, status="running",
                            created_at=clock.iso())
    campaign.save()
    for i in range(n):
        tx = Tx()
        call_tasks.put_in(tx, campaign, f"c_race{i:04d}", None, "gold", clock.iso())
        tx.commit()
    return [call_tasks.task_id_of(campaign_id, f"c_race{i:04d}") for i in range(n)]


def _agent_over_http(http: Http, name: str) -> dict[str, str]:
    staff.create_staff(name, f"{name}-pass", "agent", rounds=4)
    status, tokens, _ = http.call_with_headers("POST", "/v1/staff/login", {"username": name,
                                                                            "password": f"{name}-pass"}, {})
    assert status == 200, tokens
    return {"authorization": f"Bearer {tokens['access_token']}", "accept-language": "en"}


@pytest.mark.slow
def test_agents_claiming_one_task_at_once_get_it_once_and_one_agent_never_exceeds_the_limit(http: Http):
    agents = [_agent_over_http(http, f"race-{n}") for n in range(4)]
    [task] = _list_of(1, max_per_agent=2)
    results = run_at_once(lambda auth: http.call_with_headers("POST", f"/v1/agent/call-tasks/{task}/claim", None,
                                                              auth), [(a,) for a in agents])
    assert Counter(s for s, _b, _h in results) == Counter({200: 1, 409: 3}), results
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"call_task_claimed_by_other"}

    tasks = _list_of(6, max_per_agent=2)
    results = run_at_once(lambda t: http.call_with_headers("POST", f"/v1/agent/call-tasks/{t}/claim", None,
                                                           agents[0]), [(t,) for t in tasks])
    assert Counter(s for s, _b, _h in results) == Counter({200: 2, 409: 4}), results
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"call_task_limit"}
    status, listed, _ = http.call_with_headers("GET", "/v1/agent/call-tasks", None, agents[0])
    assert status == 200 and len([t for t in listed["mine"] if t["task_id"] in tasks]) == 2
