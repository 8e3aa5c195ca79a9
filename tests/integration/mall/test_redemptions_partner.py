"""Partner fulfilment: success, failure (202, pending_fulfillment, one debit, a retry message), the retry handler
(idempotent under duplicate deliveries), a failed send kept in the outbox, and faults set at run time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.core import faults as dev_faults
from chalicelib.core.retry import outbox
from chalicelib.mall import fulfillment
from tests.support.clock import frozen_clock
from tests.support.mall_world import MallWorld, new_key
from tests.support.points_world import assert_consistent
from tests.support.sqs import LambdaContext, drain, sqs_event

pytestmark = pytest.mark.integration


@pytest.fixture
def mall(api: Any, sqs_queues: dict[str, Any]) -> Any:
    dev_faults.reset_cache()
    previous = outbox.retry_port()
    yield MallWorld.make(api)
    outbox.set_retry_port(previous)
    dev_faults.reset_cache()


def faults(mall: MallWorld, rate: float) -> None:
    status, body, _ = mall.api.call("PUT", "/v1/dev/faults", {"fulfillment_failure_rate": rate})
    assert status == 200 and body == {"fulfillment_failure_rate": rate}


def run_retry_worker(messages: list[dict[str, Any]]) -> dict[str, Any]:
    import app as application

    event = sqs_event([json.dumps(m) for m in messages])
    return application.retry_worker(event, LambdaContext(function_name="member-portal-local-retry_worker"))


@pytest.mark.slow
def test_a_partner_reward_is_fulfilled_in_the_request(mall: MallWorld):
    cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=200, fulfillment="partner", stock=3)
    status, body, _ = mall.redeem(token, reward_id, quantity=2)
    assert status == 201, body
    assert body["status"] == "completed" and len(body["partner_codes"]) == 2 and body["balance_after"] == 600
    txn = mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)
    assert (txn["status"], txn["attempts"], txn["queued"]) == ("completed", 1, True)
    assert mall.get(f"/v1/me/redemptions/{body['redemption_id']}", token)["partner_codes"] == body["partner_codes"]
    assert_consistent(cid)


@pytest.mark.slow
def test_a_failing_partner_answers_202_keeps_one_debit_and_the_retry_finishes_it(mall: MallWorld, sqs_queues,
                                                                                  sqs_client):
    cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=300, fulfillment="partner", stock=3)
    faults(mall, 1.0)
    key = new_key()
    status, body, _ = mall.redeem(token, reward_id, key=key)
    assert status == 202, body
    assert body["status"] == "retrying" and set(body) == {"transaction_id", "status", "redemption_id"}
    redemption = mall.get(f"/v1/me/redemptions/{body['redemption_id']}", token)
    assert redemption["status"] == "pending_fulfillment" and "partner_codes" not in redemption
    txn = mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)
    assert (txn["status"], txn["attempts"], txn["queued"]) == ("retrying", 1, True)
    assert "simulated partner failure" in txn["last_error"]
    assert mall.balance(token) == 700 and mall.stock(reward_id) == 2
    replay = mall.redeem(token, reward_id, key=key)
    assert (replay[0], replay[1], replay[2]["Idempotent-Replayed"]) == (202, body, "true")
    assert mall.balance(token) == 700

    messages = [m["body"] for m in drain(sqs_client, sqs_queues["RetryQueue"].url)]
    assert len(messages) == 1
    message = messages[0]
    assert (message["kind"], message["transaction_id"], message["customer_id"]) == (
        "redemption_fulfillment", body["transaction_id"], cid)

    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    with pytest.raises(BatchProcessingError):  # the partner still fails: the message goes back to the queue
        run_retry_worker([message])
    assert mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)["attempts"] == 2

    faults(mall, 0.0)
    assert run_retry_worker([message, message]) == {"batchItemFailures": []}  # a duplicate delivery too
    done = mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)
    assert (done["status"], done["attempts"]) == ("completed", 3)
    redemption = mall.get(f"/v1/me/redemptions/{body['redemption_id']}", token)
    assert redemption["status"] == "completed" and len(redemption["partner_codes"]) == 1
    assert run_retry_worker([message]) == {"batchItemFailures": []}
    assert mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)["attempts"] == 3
    ledger = mall.get("/v1/me/points/ledger", token)["items"]
    assert [e["kind"] for e in ledger].count("redemption") == 1
    assert mall.balance(token) == 700 and mall.stock(reward_id) == 2
    assert mall.redeem(token, reward_id, key=key)[1] == body  # still the first response
    assert_consistent(cid)


@pytest.mark.slow
def test_a_failed_send_stays_in_the_outbox_and_the_sweeper_sends_it(mall: MallWorld, sqs_queues, sqs_client,
                                                                    monkeypatch):
    from chalicelib.core import clock
    from chalicelib.core.config import reset_settings

    cid, token = mall.member(points_held=1_000)
    reward_id = mall.reward(points_cost=100, fulfillment="partner")
    faults(mall, 1.0)
    monkeypatch.setenv("RETRY_QUEUE_NAME", "no-such-queue")
    reset_settings()
    status, body, _ = mall.redeem(token, reward_id)
    assert status == 202
    assert mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)["queued"] is False
    assert drain(sqs_client, sqs_queues["RetryQueue"].url) == []
    monkeypatch.setenv("RETRY_QUEUE_NAME", sqs_queues["RetryQueue"].name)
    reset_settings()
    assert outbox.sweep_outbox(older_than_seconds=60) == 0  # too recent: the request may still send it
    from datetime import timedelta

    with frozen_clock(clock.now() + timedelta(seconds=61)):
        assert outbox.sweep_outbox(older_than_seconds=60) == 1
    assert mall.get(f"/v1/me/transactions/{body['transaction_id']}", token)["queued"] is True
    sent = drain(sqs_client, sqs_queues["RetryQueue"].url)
    assert [m["body"]["transaction_id"] for m in sent] == [body["transaction_id"]]
    assert outbox.sweep_outbox(older_than_seconds=0) == 0
    assert_consistent(cid)


def test_faults_are_shared_through_the_table_and_local_only(mall: MallWorld, monkeypatch):
    from chalicelib.core.config import reset_settings

    faults(mall, 0.25)
    dev_faults.reset_cache()  # another process: reads the item
    assert fulfillment.failure_rate() == 0.25
    assert mall.get("/v1/dev/faults") == {"fulfillment_failure_rate": 0.25}
    bad = mall.api.call("PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 1.5})
    assert bad[0] == 400
    monkeypatch.setenv("STAGE", "prod")
    reset_settings()
    assert mall.api.call("PUT", "/v1/dev/faults", {"fulfillment_failure_rate": 1.0})[0] == 404
