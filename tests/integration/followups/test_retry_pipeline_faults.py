"""Fault injection across the whole retry pipeline, then an account of every accepted transaction.

Members redeem a partner-fulfilled reward through the in-process API while the simulated partner fails half its
calls and a third of the sends to SQS fail (those transactions wait in the outbox). Every retry message is then
sent twice (duplicate deliveries), and the SQS workers are pumped the way Lambda's event source mapping does it
(``tools.lambda_emulation.sqs_poller.QueuePoller`` over moto's queues, with their redrive policies) while the partner
keeps failing, a fifth of the workers' DynamoDB calls are throttled, and one worker dies in the middle of a batch. The
sweeper sends what the outbox holds; follow-up messages are delivered twice too. Afterwards every accepted transaction
is accounted for: completed, or needs_follow_up with exactly one open case; none lost, none applied twice, every
balance equal to its ledger, every reward's stock equal to what was not redeemed. Agents then resolve every case
(refund or manual completion) and the same account holds, with the refunded points and stock back.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from chalicelib.core import clock, faults
from chalicelib.core.config import reset_settings
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.retry import dispatch, outbox
from chalicelib.followups import retry_pipeline
from chalicelib.mall.models import RETRY_KIND
from tests.support.clock import frozen_clock
from tests.support.followup_world import FollowUpWorld, check_invariants
from tests.support.partition import items_of
from tests.support.sqs import drain
from tools.lambda_emulation.sqs_poller import QueuePoller

# Slow (left out of `make test-fast`): faults injected across the whole pipeline, many rounds.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


class WorkerDied(BaseException):
    """The Lambda process vanished mid-batch (timeout, out of memory): nothing after it runs, nothing is deleted."""


@pytest.fixture
def world(api: Any, sqs_queues: dict[str, Any], sqs_client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RETRY_BACKOFF_BASE_SECONDS", "0")  # redeliver at once: the schedule is tested elsewhere
    reset_settings()
    retry_pipeline.queues.reset()
    faults.reset_cache()
    previous = outbox.retry_port()
    world = FollowUpWorld.make(api)
    world.sqs, world.queues = sqs_client, sqs_queues
    yield world
    outbox.set_retry_port(previous)
    faults.reset_cache()
    retry_pipeline.queues.reset()


@contextmanager
def throttled_dynamodb(rate: float, rng: random.Random) -> Iterator[list[str]]:
    """Make a share of DynamoDB calls fail as throttled (after the SDK's own retries): a fault hook on the client
    every model and transaction shares. Yields the operations it failed."""
    failed: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        if rng.random() < rate:
            failed.append(model.name)
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException",
                                         "Message": "injected throttling"}}, model.name)

    events = shared_connection().client.meta.events
    events.register("before-call.dynamodb", hook)
    try:
        yield failed
    finally:
        events.unregister("before-call.dynamodb", hook)


class Pump:
    """Polls both queues and feeds the app's SQS handlers until nothing is left (moto moves what fails too often)."""

    def __init__(self, world: FollowUpWorld) -> None:
        import app as application

        self.sqs = world.sqs
        self.retry = QueuePoller(world.sqs, world.queues["RetryQueue"].url, application.retry_worker,
                                 function_name="member-portal-local-retry_worker", wait_seconds=0)
        self.followup = QueuePoller(world.sqs, world.queues["FollowUpQueue"].url, application.followup_worker,
                                    function_name="member-portal-local-followup_worker", wait_seconds=0)
        self.crashes = 0

    def _poll(self, poller: QueuePoller) -> int:
        try:
            return poller.poll_once()
        except WorkerDied:
            # Lambda never answered: nothing of the batch is deleted, and it comes back after the visibility timeout.
            self.crashes += 1
            return 1

    def _pending(self) -> int:
        total = 0
        for poller in (self.retry, self.followup):
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=poller.queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            total += sum(int(v) for v in attributes.values())
        return total

    def run(self, timeout: float = 90.0) -> None:
        """Until both queues are empty, in flight included (a failed follow-up or a crashed batch waits out its
        visibility timeout, as in AWS)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            moved = self._poll(self.retry) + self._poll(self.followup)
            if moved == 0:
                if self._pending() == 0:
                    return
                time.sleep(0.25)
        raise AssertionError("the queues did not drain")


def test_every_accepted_transaction_is_accounted_for_under_faults(world: FollowUpWorld, monkeypatch):
    random.seed(20261123)
    rng = random.Random(5)
    partner = world.partner_reward(points_cost=200, stock=60)
    in_house = world.reward(points_cost=50, stock=20)
    members = [world.member(points_held=3_000, tier=tier) for tier in ("base", "silver", "gold", "platinum") * 2]

    # A third of the sends to SQS fail: those transactions wait in the outbox.
    real_queue = outbox.SqsOutboxRetryPort._queue
    sends = {"n": 0}

    def flaky_queue(self: Any) -> Any:
        sends["n"] += 1
        if sends["n"] % 3 == 0:
            raise ConnectionError("injected: SQS unreachable")
        return real_queue(self)

    monkeypatch.setattr(outbox.SqsOutboxRetryPort, "_queue", flaky_queue)
    world.faults(0.5)
    accepted: dict[str, tuple[str, str]] = {}
    answers = {201: 0, 202: 0}
    for cid, token in members:
        for _ in range(3):
            status, body, _ = world.redeem(token, partner)
            assert status in (201, 202), body
            answers[status] += 1
            accepted[body["transaction_id"]] = (cid, body["redemption_id"])
        assert world.redeem(token, in_house)[0] == 201
    assert answers[202] >= 4, answers
    monkeypatch.setattr(outbox.SqsOutboxRetryPort, "_queue", real_queue)

    # Duplicate deliveries: every message that reached the retry queue is there twice.
    url = world.queues["RetryQueue"].url
    bodies = [m["body"] for m in drain(world.sqs, url)]
    assert bodies
    for body in bodies + bodies:
        world.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))

    # A worker dies after handling two records of a batch.
    handled = {"n": 0}
    real_handler = dispatch.retry_handlers()[RETRY_KIND]

    def dying_handler(message: dict[str, Any]) -> None:
        handled["n"] += 1
        if handled["n"] == 3:
            raise WorkerDied()
        real_handler(message)

    monkeypatch.setitem(dispatch.retry_handlers(), RETRY_KIND, dying_handler)

    world.faults(0.6)
    pump = Pump(world)
    with throttled_dynamodb(0.2, rng) as throttled:
        pump.run()
        # The sweeper sends what the outbox still holds (older than a minute).
        with frozen_clock(clock.now() + timedelta(seconds=61)):
            swept = 0
            for _ in range(10):  # ten scheduled runs: a throttled sweep simply runs again on the next one
                swept += retry_pipeline.scheduled_sweep().get("sent", 0)
        pump.run()
    assert pump.crashes == 1 and throttled, (pump.crashes, len(throttled))
    assert swept >= 1 and not items_in_outbox()

    # Follow-up messages delivered again (a duplicate on the follow-up queue) open nothing new.
    for cid, _redemption in {v for v in accepted.values()}:
        for case in items_of(cid, "CASE#"):
            message = json.loads(case["message"]["S"])
            world.sqs.send_message(QueueUrl=world.queues["FollowUpQueue"].url, MessageBody=json.dumps(message))
    pump.run()

    # Whatever the follow-up queue gave up on (throttled on every delivery it allowed) becomes a case too.
    assert retry_pipeline.sweep_dead_letters()["failed"] == 0
    assert drain(world.sqs, world.queues["FollowUpDeadLetterQueue"].url) == []
    statuses = check_invariants(accepted, {partner: 60, in_house: 20}, {cid for cid, _ in members})
    assert set(statuses) <= {"completed", "needs_follow_up"}, statuses
    assert sum(statuses.values()) == len(accepted)
    assert statuses.get("needs_follow_up", 0) >= 1, statuses
    open_cases = [(cid, c) for cid, _ in members for c in items_of(cid, "CASE#")]
    assert len(open_cases) == statuses["needs_follow_up"]

    # Agents resolve every case: refunds give the points and the stock back, exactly once.
    agent = world.agent("closer")
    before = {cid: world.balance(token) for cid, token in members}
    refunded: dict[str, int] = {}
    for i, (cid, case) in enumerate(open_cases):
        case_id = case["case_id"]["S"]
        assert world.act(case_id, "claim", agent)[0] == 200
        resolution = "refunded" if i % 2 == 0 else "completed_manually"
        status, out = world.act(case_id, "resolve", agent, {"resolution": resolution})
        assert status == 200, out
        if resolution == "refunded":
            refunded[cid] = refunded.get(cid, 0) + out["compensation"]["points_returned"]
    for cid, token in members:
        assert world.balance(token) == before[cid] + refunded.get(cid, 0)
    statuses = check_invariants(accepted, {partner: 60, in_house: 20}, {cid for cid, _ in members})
    assert set(statuses) <= {"completed", "refunded"}, statuses


def items_in_outbox() -> list[dict[str, Any]]:

    return paging.index_page("gsi1", "OUTBOX", 100)[0]


def test_a_throttled_refund_is_503_and_can_be_repeated_exactly_once(world: FollowUpWorld):
    cid, token = world.member(points_held=1_000)
    reward_id = world.partner_reward(points_cost=300, stock=3)
    case_id, accepted = world.open_case(token, reward_id)
    agent = world.agent()
    assert world.act(case_id, "claim", agent)[0] == 200

    always = random.Random(1)
    with throttled_dynamodb(1.0, always):
        status, body = world.act(case_id, "resolve", agent, {"resolution": "refunded"})
    assert (status, body["error"]["code"]) == (503, "service_unavailable"), body
    assert world.balance(token) == 700
    status, case = world.act(case_id, "resolve", agent, {"resolution": "refunded"})
    assert status == 200, case
    assert world.balance(token) == 1_000 and world.stock(reward_id) == 3
    check_invariants({accepted["transaction_id"]: (cid, accepted["redemption_id"])}, {reward_id: 3})
