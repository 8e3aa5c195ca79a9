"""C2B races over real HTTP against several processes (DynamoDB Local): many members supporting at once count
exactly and the threshold is crossed once, with one notification per early supporter however many fan-out workers
run; one member tapping support many times is one support; racing votes and vote moves are counted once each;
racing supports, updates and withdrawals end with counts equal to the support items."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.c2b import fanout, reading, requests
from chalicelib.c2b.models import FANOUT_PREFIX, SUPPORT_PREFIX, VOTE_PREFIX, request_pk
from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from tests.support.http import Http
from tests.support.races import app_processes, member
from tests.support.threads import call_it, run_at_once

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

PROPOSAL = {"title": "联名保温杯", "description": "希望推出 500ml 的联名保温杯，带茶隔。", "category": "周边"}


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    with app_processes() as server:
        yield server


def propose(threshold: int) -> tuple[str, str]:
    cid, _ = member()
    rid = requests.propose(cid, PROPOSAL).body["request_id"]
    requests.set_threshold("test", rid, threshold)
    return cid, rid


def items(rid: str, prefix: str) -> list[dict[str, Any]]:
    client, out, start = shared_connection().client, [], None
    while True:
        kwargs: dict[str, Any] = {"TableName": settings().table_name, "ConsistentRead": True,
                                  "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
                                  "ExpressionAttributeValues": {":p": {"S": request_pk(rid)}, ":s": {"S": prefix}}}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.query(**kwargs)
        out += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return out


def notified(cid: str, kind: str) -> int:
    out = shared_connection().client.query(
        TableName=settings().table_name, KeyConditionExpression="pk = :p AND begins_with(sk, :n)",
        ExpressionAttributeValues={":p": {"S": f"CUST#{cid}"}, ":n": {"S": "N#"}}, ConsistentRead=True)
    return sum(1 for i in out["Items"] if i["kind"]["S"] == kind)


def support(http: Http, auth: dict[str, str], rid: str, quantity: int | None = None) -> tuple[int, Any]:
    status, body, _ = http.call_with_headers("POST", f"/v1/product-requests/{rid}/supports",
                                             {} if quantity is None else {"quantity": quantity}, auth)
    return status, body


def test_many_members_supporting_at_once_count_exactly_and_cross_the_threshold_once(http: Http):
    proposer, rid = propose(threshold=40)
    people = [member() for _ in range(30)]
    results = run_at_once(call_it, [(lambda a=auth: support(http, a, rid, 2),) for _cid, auth in people])
    assert Counter(s for s, _ in results) == {201: 30}, [r for r in results if r[0] != 201]
    state = reading.read(rid)
    assert (state.support_count, state.demand) == (30, 60)
    assert state.request is not None and state.request.status == "threshold_reached"
    assert len(items(rid, FANOUT_PREFIX)) == 1  # one crossing, one fan-out
    assert notified(proposer, "c2b_threshold_reached") == 1
    run_at_once(call_it, [(fanout.run,) for _ in range(3)])  # racing fan-out workers
    early = {i["customer_id"]["S"] for i in items(rid, SUPPORT_PREFIX) if i.get("early", {}).get("BOOL")}
    assert len(early) >= 20  # 40 units needed two units at a time, all supported while it was open
    for cid, _ in people:
        assert notified(cid, "c2b_threshold_reached") == (1 if cid in early else 0), cid


def test_one_member_tapping_many_times_is_one_support(http: Http):
    _, rid = propose(threshold=100)
    _cid, auth = member()
    results = run_at_once(call_it, [(lambda: support(http, auth, rid),) for _ in range(16)])
    assert Counter(s for s, _ in results) == {201: 1, 200: 15}, results
    state = reading.read(rid)
    assert (state.support_count, state.demand) == (1, 1) and len(items(rid, SUPPORT_PREFIX)) == 1


def test_racing_votes_and_moves_are_counted_once_each(http: Http):
    _, rid = propose(threshold=100)
    from chalicelib.c2b import polls

    poll = polls.create("test", rid, "杯盖颜色？", ["白", "黑", "绿"], False)
    path = f"/v1/product-requests/{rid}/polls/{poll['poll_id']}/votes"
    people = [member() for _ in range(20)]
    first = run_at_once(call_it, [(lambda a=auth: http.call_with_headers("POST", path, {"option_id": "o1"}, a),)
                                  for _cid, auth in people])
    assert Counter(r[0] for r in first) == {201: 20}
    moves = run_at_once(call_it, [(lambda a=auth, n=n: http.call_with_headers(
        "POST", path, {"option_id": "o2" if n % 2 else "o3"}, a),) for n, (_cid, auth) in enumerate(people)])
    assert Counter(r[0] for r in moves) == {200: 20}
    state = reading.read(rid, polls=True)
    counts = {o: state.poll_votes(poll["poll_id"], o) for o in ("o1", "o2", "o3")}
    stored = Counter(i["option_id"]["S"] for i in items(rid, VOTE_PREFIX))
    assert counts == {"o1": 0, "o2": 10, "o3": 10} and dict(stored) == {"o2": 10, "o3": 10}


def test_racing_supports_updates_and_withdrawals_end_with_counts_equal_to_the_support_items(http: Http):
    _, rid = propose(threshold=35)
    people = [member() for _ in range(24)]
    for _cid, auth in people[:16]:
        assert support(http, auth, rid, 1)[0] == 201

    def act(n: int, auth: dict[str, str]) -> Any:
        if n < 8:
            return http.call_with_headers("POST", f"/v1/product-requests/{rid}/supports/withdraw", None, auth)[0]
        if n < 16:
            return support(http, auth, rid, 3)[0]
        return support(http, auth, rid, 2)[0]

    results = run_at_once(call_it, [(lambda n=n, a=auth: act(n, a),) for n, (_cid, auth) in enumerate(people)])
    assert Counter(results) == {200: 16, 201: 8}
    supports = items(rid, SUPPORT_PREFIX)
    state = reading.read(rid)
    assert state.support_count == len(supports) == 16
    assert state.demand == sum(int(i["quantity"]["N"]) for i in supports) == 8 * 3 + 8 * 2
    assert state.request is not None and state.request.status == "threshold_reached"
    assert len(items(rid, FANOUT_PREFIX)) == 1
