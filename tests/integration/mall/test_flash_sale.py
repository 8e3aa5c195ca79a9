"""Flash sales over real concurrent HTTP (chalice's threaded dev server, DynamoDB Local): many simultaneous
redemptions of a reward with little stock sell exactly the stock; racing taps of one member never overspend or
pass the per-member limit; racing requests with one Idempotency-Key charge once. Afterwards every balance equals
its ledger and no balance is negative."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.core import faults
from chalicelib.identity import directory, sessions
from chalicelib.mall import rewards
from chalicelib.mall.models import STOCK_SK, StockShardItem
from chalicelib.points import earn_and_spend
from tests.support.aws import reset_app_caches
from tests.support.clock import frozen_clock
from tests.support.http import Http, serve_app_processes
from tests.support.mall_world import new_key
from tests.support.phones import new_phone
from tests.support.points_world import assert_consistent
from tests.support.sqs import drain
from tests.support.threads import call_it, run_at_once

# Slow (left out of `make test-fast`): real processes and concurrent requests.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    reset_app_caches()
    with frozen_clock(), serve_app_processes(workers=2, timeout=120) as server:
        try:
            yield server
        finally:
            reset_app_caches()


@pytest.fixture
def retry_queue(ddb_table: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """A retry queue in moto's server (a thread here, reachable over HTTP from the worker processes); the
    workers' real retry port (outbox + SQS) sends to it. Yields (SQS client, queue URL)."""
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
        name = f"flash-retry-{new_key()[:8]}"
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        monkeypatch.setenv("SQS_ENDPOINT", endpoint)
        monkeypatch.setenv("RETRY_QUEUE_NAME", name)
        reset_app_caches()
        with frozen_clock():
            yield sqs, url
    finally:
        reset_app_caches()
        server.stop()


def member(points_held: int) -> tuple[str, dict[str, str]]:
    phone = new_phone()
    cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
    if points_held:
        earn_and_spend.earn(cid, points_held, kind="adjustment", reference="flash-seed")
    token = sessions.issue(sessions.member_principal(cid))["access_token"]
    return cid, {"authorization": f"Bearer {token}"}


def redeem(http: Http, auth: dict[str, str], reward_id: str, quantity: int = 1,
           key: str | None = None) -> tuple[int, Any, dict[str, str]]:
    return http.call_with_headers("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": quantity},
                     {**auth, "idempotency-key": key or new_key()})


def run_all(calls: list[Callable[[], Any]], workers: int | None = None) -> list[Any]:
    return run_at_once(call_it, [(c,) for c in calls], 30, workers=workers)


def shard_total(reward_id: str) -> list[int]:
    reward = rewards.definition(reward_id, fresh=True)
    return [int(StockShardItem.get(rewards.shard_pk(reward_id, k), STOCK_SK, consistent_read=True).remaining)
            for k in range(reward.shards)]


def my_redemptions(http: Http, auth: dict[str, str]) -> list[dict[str, Any]]:
    status, body, _ = http.call_with_headers("GET", "/v1/me/redemptions?limit=100", headers=auth)
    assert status == 200, body
    return list(body["items"])


def test_150_simultaneous_redemptions_sell_exactly_the_stock(http: Http):
    stock, buyers, cost = 20, 150, 100
    reward_id = rewards.create_reward(name="限量秒杀", points_cost=cost, stock=stock, fulfillment="in_house",
                                      staff_id="test", stock_shards=4)
    people = [member(points_held=250) for _ in range(buyers)]
    results = run_all([(lambda auth=auth: redeem(http, auth, reward_id)) for _cid, auth in people])
    statuses = Counter(status for status, _body, _h in results)
    assert statuses == {201: stock, 409: buyers - stock}, [r[:2] for r in results if r[0] not in (201, 409)]
    assert {body["error"]["code"] for status, body, _h in results if status == 409} == {"out_of_stock"}
    assert shard_total(reward_id) == [0, 0, 0, 0]
    sold = 0
    for (cid, auth), (status, body, _h) in zip(people, results, strict=True):
        mine = my_redemptions(http, auth)
        balance = http.call_with_headers("GET", "/v1/me/points", headers=auth)[1]["balance"]
        if status == 201:
            assert [r["redemption_id"] for r in mine] == [body["redemption_id"]]
            assert balance == body["balance_after"] == 150
            sold += 1
        else:
            assert mine == [] and balance == 250
        assert_consistent(cid)
    assert sold == stock


def test_one_members_simultaneous_taps_never_overspend_or_pass_the_limit(http: Http):
    cid, auth = member(points_held=350)
    cheap = rewards.create_reward(name="小礼品", points_cost=100, stock=1000, fulfillment="in_house", staff_id="t")
    results = run_all([(lambda: redeem(http, auth, cheap)) for _ in range(30)])
    statuses = Counter(status for status, _b, _h in results)
    assert statuses == {201: 3, 409: 27}, [r[:2] for r in results if r[0] not in (201, 409)]
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"insufficient_points"}
    assert http.call_with_headers("GET", "/v1/me/points", headers=auth)[1]["balance"] == 50
    assert_consistent(cid)

    cid2, auth2 = member(points_held=10_000)
    limited = rewards.create_reward(name="限购", points_cost=10, stock=1000, per_member_limit=2,
                                    fulfillment="in_house", staff_id="t")
    results = run_all([(lambda: redeem(http, auth2, limited)) for _ in range(20)])
    statuses = Counter(status for status, _b, _h in results)
    assert statuses == {201: 2, 409: 18}, [r[:2] for r in results if r[0] not in (201, 409)]
    assert {b["error"]["code"] for s, b, _h in results if s == 409} == {"redemption_limit_reached"}
    assert http.call_with_headers("GET", "/v1/me/points", headers=auth2)[1]["balance"] == 10_000 - 20
    assert_consistent(cid2)


def test_racing_requests_with_one_key_charge_once(http: Http):
    cid, auth = member(points_held=1_000)
    reward_id = rewards.create_reward(name="同键竞争", points_cost=100, stock=50, fulfillment="in_house", staff_id="t")
    key = new_key()
    results = run_all([(lambda: redeem(http, auth, reward_id, key=key)) for _ in range(20)])
    assert {status for status, _b, _h in results} == {201}, [r[:2] for r in results]
    assert len({json.dumps(body, sort_keys=True) for _s, body, _h in results}) == 1
    replayed = [h.get("Idempotent-Replayed") for _s, _b, h in results]
    assert replayed.count(None) == 1 and replayed.count("true") == 19
    assert http.call_with_headers("GET", "/v1/me/points", headers=auth)[1]["balance"] == 900
    assert len(my_redemptions(http, auth)) == 1
    assert sum(shard_total(reward_id)) == 49

    # one key, different bodies at once: one redemption; every other answer replays it or is 422
    key = new_key()
    results = run_all([(lambda q=q: redeem(http, auth, reward_id, quantity=q, key=key)) for q in (1, 2) * 8])
    statuses = Counter(status for status, _b, _h in results)
    assert statuses[201] >= 1 and set(statuses) <= {201, 422}, [r[:2] for r in results]
    winners = {json.dumps(b, sort_keys=True) for s, b, _h in results if s == 201}
    assert len(winners) == 1
    quantity = json.loads(winners.pop())["quantity"]
    assert statuses[201] == 8 and statuses[422] == 8  # the 8 of the winning body replay, the 8 others are refused
    assert http.call_with_headers("GET", "/v1/me/points", headers=auth)[1]["balance"] == 900 - 100 * quantity
    assert len(my_redemptions(http, auth)) == 2
    assert_consistent(cid)


def test_partner_failures_under_load_debit_once_and_hand_every_failure_on(retry_queue: tuple[Any, str]):
    # The retries are counted on the queue the workers' own retry port sends to: a port swapped in this process
    # (outbox.set_retry_port) would not reach the worker processes.
    sqs, queue_url = retry_queue
    faults.set_faults(fulfillment_failure_rate=0.5)
    with serve_app_processes(workers=2, timeout=120) as http:
        _partner_failures_under_load(http, sqs, queue_url)


def _partner_failures_under_load(http: Http, sqs: Any, queue_url: str) -> None:
    try:
        reward_id = rewards.create_reward(name="会员月卡", points_cost=100, stock=40, fulfillment="partner",
                                          staff_id="t", stock_shards=4)
        people = [member(points_held=100) for _ in range(40)]
        results = run_all([(lambda auth=auth: redeem(http, auth, reward_id)) for _cid, auth in people])
    finally:
        faults.set_faults(fulfillment_failure_rate=0.0)
    sent = Counter(m["body"].get("transaction_id") for m in drain(sqs, queue_url))
    statuses = Counter(status for status, _b, _h in results)
    assert set(statuses) <= {201, 202} and sum(statuses.values()) == 40, statuses
    for (cid, auth), (status, body, _h) in zip(people, results, strict=True):
        (redemption,) = my_redemptions(http, auth)
        txn = http.call_with_headers("GET", f"/v1/me/transactions/{redemption['transaction_id']}", headers=auth)[1]
        if status == 201:
            assert redemption["status"] == "completed" and txn["status"] == "completed"
        else:
            assert body["status"] == "retrying" and redemption["status"] == "pending_fulfillment"
            assert txn["status"] == "retrying" and txn["attempts"] == 1
            assert sent[body["transaction_id"]] == 1
        assert http.call_with_headers("GET", "/v1/me/points", headers=auth)[1]["balance"] == 0
        assert_consistent(cid)
    assert sum(shard_total(reward_id)) == 0
    assert sum(sent.values()) == statuses[202]
