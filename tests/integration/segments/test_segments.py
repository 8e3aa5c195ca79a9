"""Segments on DynamoDB Local: member facts kept current from real stream records
(``tools.lambda_emulation.stream_poller`` feeding ``app.notification_dispatcher``, the table stream's one consumer),
segments defined over the API, filled by a pass fanned out through SQS (``app.retry_worker``), moved by the stream
within a pump, explained by ``why``; and a rebuild over 20,000 members drained by two worker processes at once: exact
counts, nothing twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.config import settings
from chalicelib.identity.models import PROFILE_SK, CustomerItem
from chalicelib.segments import rebuild, rules, segments, store
from tests.support.aws import reset_app_caches
from tests.support.segments_world import SegmentsWorld, batch_write, facts_item

pytestmark = pytest.mark.integration


@pytest.fixture
def world(segments_world: SegmentsWorld) -> SegmentsWorld:
    """The shared set-up (``tests/integration/conftest.py``), by its short name here."""
    return segments_world

DORMANT_RICH = {"all": [{"fact": "points_balance", "op": "gte", "value": 500},
                        {"fact": "tier", "op": "eq", "value": "base"}]}


@pytest.mark.slow
def test_facts_follow_the_members_writes_through_the_stream(world: SegmentsWorld):
    cid, _token = world.points.member()
    world.points.order("SEG-1", {"customer_id": cid}, 88_800)
    world.pump()
    out = world.admin("GET", f"/v1/agent/members/{cid}/facts", token=world.points.agent)
    facts = out["facts"]
    assert facts["points_balance"] == 888 and facts["orders_12m"] == 1 and facts["spend_12m_fen"] == 88_800
    assert facts["days_since_last_order"] == 0 and facts["days_since_enrolment"] == 0
    assert facts["tier"] == "base" and facts["lifecycle"] == "new"
    assert 1 <= facts["rfm_r"] <= 5 and facts["rfm_group"] in rules.RFM_GROUPS
    world.points.order("SEG-2", {"customer_id": cid}, 11_200)
    world.pump()
    again = world.admin("GET", f"/v1/agent/members/{cid}/facts", token=world.points.agent)["facts"]
    assert (again["points_balance"], again["orders_12m"], again["spend_12m_fen"]) == (1000, 2, 100_000)


@pytest.mark.slow
def test_a_segment_fills_by_its_rebuild_then_follows_writes_and_explains_why(world: SegmentsWorld):
    rich, _ = world.points.member()
    poor, _ = world.points.member()
    world.points.order("SEG-R", {"customer_id": rich}, 60_000)
    world.points.order("SEG-P", {"customer_id": poor}, 10_000)
    world.pump()
    created = world.admin("POST", "/v1/admin/segments", {"name": "积分多的普通会员", "rule": DORMANT_RICH},
                          expect=201)
    sid = created["segment_id"]
    world.pump()
    got = world.admin("GET", f"/v1/admin/segments/{sid}")
    assert got["size"] == 1 and got["rebuilding"] is False
    page = world.admin("GET", f"/v1/admin/segments/{sid}/members")
    assert [m["customer_id"] for m in page["items"]] == [rich]

    why = world.admin("GET", f"/v1/admin/segments/{sid}/members/{poor}/why")
    assert why["in_segment"] is False
    assert [(c["fact"], c["actual"], c["met"]) for c in why["conditions"]] == [
        ("points_balance", 100, False), ("tier", "base", True)]

    world.points.order("SEG-P2", {"customer_id": poor}, 45_000)  # a write that changes the fact: the member enters
    world.pump()
    assert world.admin("GET", f"/v1/admin/segments/{sid}")["size"] == 2
    why = world.admin("GET", f"/v1/admin/segments/{sid}/members/{poor}/why")
    assert why["in_segment"] is True and all(c["met"] for c in why["conditions"])
    facts = world.admin("GET", f"/v1/agent/members/{poor}/facts", token=world.points.agent)
    assert [s["segment_id"] for s in facts["segments"]] == [sid]

    world.admin("PATCH", f"/v1/admin/segments/{sid}",  # a changed rule: members leave by its rebuild
                {"rule": {"all": [{"fact": "points_balance", "op": "gte", "value": 590}]}})
    world.pump()
    assert world.admin("GET", f"/v1/admin/segments/{sid}")["size"] == 1
    world.admin("DELETE", f"/v1/admin/segments/{sid}", expect=204)
    world.pump()
    world.admin("GET", f"/v1/admin/segments/{sid}", expect=404)
    assert segments.size(sid) == 0
    assert store.read_facts(rich)["segs"] == {}


@pytest.mark.slow
def test_a_tag_rule_matches_only_members_with_the_profiling_consent(world: SegmentsWorld):
    consenting, _ = world.points.member()
    silent, _ = world.points.member()
    for cid, profiling in ((consenting, True), (silent, False)):
        CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK).update(actions=[  # what an event's check-in records
            CustomerItem.tags.add({"tea_lover"}),
            CustomerItem.consents.set({"marketing": True, "profiling": profiling})])
    world.pump()
    sid = world.admin("POST", "/v1/admin/segments", {"name": "茶友", "rule": {
        "all": [{"fact": "tags", "op": "has", "value": "tea_lover"}]}}, expect=201)["segment_id"]
    world.pump()
    page = world.admin("GET", f"/v1/admin/segments/{sid}/members")
    assert [m["customer_id"] for m in page["items"]] == [consenting]
    why = world.admin("GET", f"/v1/admin/segments/{sid}/members/{silent}/why")
    assert why["facts"]["consents.profiling"] is False and why["conditions"][0]["met"] is False


@pytest.mark.parametrize("rule", [
    {"all": [{"fact": "shoe_size", "op": "eq", "value": 42}]},
    {"all": [{"fact": "tier", "op": "gte", "value": "gold"}]},
    {"all": [{"fact": "points_balance", "op": "gte", "value": "many"}]},
    {"all": [{"all": [{"all": [{"all": [{"all": [{"fact": "tier", "op": "eq", "value": "x"}]}]}]}]}]},
])
def test_a_bad_rule_is_a_400_naming_its_path_and_creates_nothing(world: SegmentsWorld, rule: dict[str, Any]):
    status, out, _ = world.api.call("POST", "/v1/admin/segments", {"name": "x", "rule": rule},
                                    token=world.points.admin, headers={"accept-language": "en"})
    assert status == 400 and out["error"]["code"] == "validation_error"
    assert out["error"]["details"][0]["field"].startswith("rule")
    assert world.admin("GET", "/v1/admin/segments")["items"] == []


# ------------------------------------------------------------------------------------------------ at scale


def synthetic_facts(n: int, seed: int = 7) -> list[dict[str, Any]]:
    import random

    rnd = random.Random(seed)
    out = []
    for i in range(n):
        cid = f"c_{seed:04d}{i:016x}"
        month = f"2026-{rnd.randint(1, 11):02d}"
        out.append(facts_item(cid, member_no=f"{i:010d}", tier=rnd.choice(["base", "silver", "gold"]),
                              points_balance=rnd.randint(0, 5000),
                              enrolled_on=f"202{rnd.randint(3, 6)}-0{rnd.randint(1, 9)}-01",
                              last_order_on=f"2026-{rnd.randint(1, 11):02d}-1{rnd.randint(0, 9)}"
                              if rnd.random() < .8 else None,
                              tier_stats={month: {"s": rnd.randint(0, 300_000), "o": rnd.randint(0, 6)}},
                              consents={"marketing": rnd.random() < .7, "profiling": rnd.random() < .5}))
    return [{k: v for k, v in item.items() if v is not None} for item in out]


def test_the_rule_builder_offers_exactly_what_a_rule_may_name(world: SegmentsWorld):
    """Every fact and operator the catalogue lists is accepted in a rule; agents are refused the catalogue."""
    catalogue = world.call("GET", "/v1/admin/segment-facts")
    assert {f["fact"] for f in catalogue["facts"]} == set(rules.FACTS)
    lifecycle = next(f for f in catalogue["facts"] if f["fact"] == "lifecycle")
    assert lifecycle["ops"] == ["eq", "ne", "in"] and "dormant" in lifecycle["values"]
    samples = {"number": 1, "text": "x", "texts": "x", "flag": True}
    for fact in catalogue["facts"]:
        for op in fact["ops"]:
            one = samples[fact["type"]]
            value = [one] if op == "in" else [one, one] if op == "between" else one
            assert rules.validate({"fact": fact["fact"], "op": op, "value": value}) == [], (fact, op)
    refused = world.call("GET", "/v1/admin/segment-facts", expect=403, token=world.points.agent)
    assert refused["error"]["code"] == "forbidden"


@pytest.fixture
def shared_queue(ddb_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, dict[str, str]]]:
    """A retry queue in moto's server (reachable over HTTP from worker processes), redelivering after 2 s."""
    import boto3
    from moto.server import ThreadedMotoServer

    from tools import procs

    port = procs.free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="ap-east-1", aws_access_key_id="t",
                           aws_secret_access_key="t")
        name = f"seg-retry-{uuid.uuid4().hex[:8]}"
        url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
        monkeypatch.setenv("SQS_ENDPOINT", endpoint)
        monkeypatch.setenv("RETRY_QUEUE_NAME", name)
        monkeypatch.setenv("SEGMENT_REBUILD_DELAY_SECONDS", "0")  # no stream worker here: nothing to wait for
        reset_app_caches()
        env = {**os.environ}
        yield sqs, url, env
    finally:
        reset_app_caches()
        server.stop()


def run_workers(url: str, env: dict[str, str], count: int = 2, fail_every: int = 0) -> list[dict[str, Any]]:
    args = [sys.executable, "-m", "tests.support.queue_worker", url, "--idle", "4"]
    if fail_every:
        args += ["--fail-every", str(fail_every)]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=1500)
        assert p.returncode == 0, stderr[-3000:]
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    return outs


def brute_force(items: list[dict[str, Any]], rule: dict[str, Any]) -> set[str]:
    return {i["customer_id"] for i in items
            if rules.matches(rule, store.facts_now(store.plain({k: store.raw(v) for k, v in i.items()})))}


@pytest.mark.slow
def test_a_rebuild_over_20000_members_by_two_worker_processes_is_exact(shared_queue):
    _sqs, url, env = shared_queue
    members = synthetic_facts(20_000)
    batch_write(members)
    # ~9% and ~6% of the members: every member is evaluated; the entries are what cost (a transaction each)
    rule_a = {"all": [{"fact": "points_balance", "op": "gte", "value": 4300},
                      {"fact": "consents.marketing", "op": "eq", "value": True}]}
    rule_b = {"any": [{"all": [{"fact": "tier", "op": "eq", "value": "gold"},
                               {"fact": "points_balance", "op": "lt", "value": 800}]},
                      {"fact": "rfm_group", "op": "eq", "value": "champions"}]}
    a = segments.create("A", rule_a)["segment_id"]
    b = segments.create("B", rule_b)["segment_id"]
    # one part's message delivered a second time, as SQS may
    from chalicelib.segments import queue

    queue.send([{"kind": "segment_scan", "segments": {a: 1, b: 1}, "part": 3, "total": 8, "start_key": None,
                 "run_id": None, "reason": "duplicate"}])
    expected = {sid: brute_force(members, rule) for sid, rule in ((a, rule_a), (b, rule_b))}
    assert all(500 < len(e) < 3000 for e in expected.values()), {k: len(v) for k, v in expected.items()}
    outs = run_workers(url, env, count=2, fail_every=7)
    assert all(o["batches"] > 0 for o in outs), outs  # both processes took part
    assert sum(o["failures"] for o in outs) > 0  # and batches were delivered again after a worker "died"
    for sid in (a, b):
        assert segments.size(sid) == len(expected[sid])
        listed: set[str] = set()
        cursor = None
        while True:
            page = segments.members(sid, 100, cursor)
            listed |= {m["customer_id"] for m in page["items"]}
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert listed == expected[sid]
        assert segments.view(segments.get(sid))["rebuilding"] is False


def test_a_new_definitions_rebuild_waits_longer_than_stream_workers_cache_definitions(
        world: SegmentsWorld, monkeypatch: pytest.MonkeyPatch):
    """Deployed, a new segment's parts are held back (SQS DelaySeconds) past the stream workers' definitions cache, so
    that facts written after a part's scan are moved by their own stream record, which then knows the segment."""
    from chalicelib.core.config import reset_settings

    monkeypatch.delenv("SEGMENT_REBUILD_DELAY_SECONDS")
    reset_settings()
    world.call("POST", "/v1/admin/segments", {"name": "稍后计算", "rule": {"all": [
        {"fact": "points_balance", "op": "gte", "value": 1}]}}, expect=201)
    counts = world.sqs.get_queue_attributes(QueueUrl=world.queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    assert int(counts["ApproximateNumberOfMessagesDelayed"]) == rebuild.TOTAL_SEGMENTS
    assert int(counts["ApproximateNumberOfMessages"]) == 0
    assert settings().segment_rebuild_delay_seconds > store.CACHE_SECONDS


@pytest.mark.slow
def test_the_nightly_pass_re_evaluates_every_segment_and_sets_the_rfm_cutoffs(world: SegmentsWorld):
    members = synthetic_facts(300, seed=11)
    batch_write(members)
    rule = {"all": [{"fact": "points_balance", "op": "gte", "value": 2500}]}
    sid = segments.create("夜间", rule)["segment_id"]
    world.pump()
    assert segments.size(sid) == len(brute_force(members, rule))
    out = rebuild.nightly()
    assert out["parts"] == rebuild.TOTAL_SEGMENTS
    world.pump()
    store.reset_caches()
    cut, _life = store.programme_settings()
    assert cut != rules.Cutoffs()  # the distribution's quintiles replaced the defaults
    assert list(cut.frequency) == sorted(cut.frequency) and len(cut.recency) == 4
    spend = sorted(rules.facts_of(store.stored_of(store.plain({k: store.raw(v) for k, v in m.items()})),
                                  store.today())["spend_12m_fen"] for m in members)
    nonzero = [s for s in spend if s]
    assert rules.coarse(nonzero[len(nonzero) // 5 - 1]) <= cut.monetary[0] <= nonzero[len(nonzero) // 5 + 1]
    assert segments.size(sid) == len(brute_force(members, rule))  # evaluated again with the new cutoffs: exact


@pytest.mark.slow
def test_the_nightly_reconciliation_corrects_facts_that_drifted_from_their_sources(world: SegmentsWorld):
    from chalicelib.segments import reconcile

    drifted, _ = world.points.member()
    steady, _ = world.points.member()
    for cid in (drifted, steady):
        world.points.order(f"REC-{cid}", {"customer_id": cid}, 20_000)
    world.pump()
    sid = world.admin("POST", "/v1/admin/segments", {"name": "两百分", "rule": {
        "all": [{"fact": "points_balance", "op": "gte", "value": 150}]}}, expect=201)["segment_id"]
    world.pump()
    assert segments.size(sid) == 2
    truth = store.read_facts(drifted)
    assert truth is not None and truth["points_balance"] == 200 and truth["last_order_on"]
    # what lost stream records would leave: a balance, a tier and a bucket the sources no longer say, an order missed
    store.client().update_item(
        TableName=store.table(), Key=store.facts_key(drifted),
        UpdateExpression="SET points_balance = :b, tier = :t, #x = :x ADD ver :one REMOVE last_order_on",
        ExpressionAttributeNames={"#x": "bkt_2026-12-01"},
        ExpressionAttributeValues={":b": {"N": "50"}, ":t": {"S": "gold"}, ":x": {"N": "7"}, ":one": {"N": "1"}})
    world.pump()
    assert segments.size(sid) == 1  # the drifted balance moved the member out

    run = reconcile.nightly()
    world.pump()
    out = reconcile.summary(run["run_id"])
    assert (out["checked"], out["fixed"], out["parts_done"]) == (2, 1, reconcile.TOTAL_PARTS)
    assert out["facts"] == {"points_balance": 1, "tier": 1, "bkt_": 1, "last_order_on": 1}
    fixed = store.read_facts(drifted)
    assert fixed is not None
    assert {k: fixed.get(k) for k in ("points_balance", "tier", "last_order_on")} == {
        k: truth.get(k) for k in ("points_balance", "tier", "last_order_on")}
    assert "bkt_2026-12-01" not in fixed
    assert segments.size(sid) == 2  # the corrected facts moved the member back in
    again = reconcile.nightly()
    world.pump()
    assert reconcile.summary(again["run_id"])["fixed"] == 0  # facts and sources agree now
