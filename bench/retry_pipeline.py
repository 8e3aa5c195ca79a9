"""Retry pipeline (issue 5): the retry worker's throughput per batch, and the time from a failure to the agents' case.

``python -m bench.retry_pipeline`` (DynamoDB Local started here, or ``BENCH_DYNAMODB_ENDPOINT``; SQS is moto's,
in-process).

Retry worker throughput
    Pending partner redemptions are made through the service (the partner failing), their retry messages are
    collected, and ``app.retry_worker`` is called with Lambda-shaped SQS events of 1 and 10 records, as Lambda would
    with ``batch_size`` 1 and 10. Three cases: the redo works (read the transaction and the redemption, call the
    simulated partner, one TransactWriteItems), the partner still fails (the attempt is recorded; the record is a
    batch item failure), and a duplicate delivery of a completed transaction (one read). Records of a batch are
    handled one after the other (Powertools' ``BatchProcessor``), so messages per second per batch is also what one
    concurrently running worker does; Lambda adds workers as the queue grows.

Time from failure to case
    Default schedule (AWS: 5 receives on the retry queue, backoff base 20 s, cap 300 s): computed from
    ``retry_pipeline.schedule`` -- the queue's own visibility timeout (180 s) would have made it 5 x 180 s.
    Local schedule (3 receives, base 2 s): measured. Messages go through moto's queues with the template's local
    redrive settings, polled by ``tools.lambda_emulation.sqs_poller`` the way the local stack does, the partner failing
    every call; the figure is the case's ``opened_at`` minus the transaction's ``created_at``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from bench.report import heading, percentile, table
from bench.stack import Backend, local_backend, use_env

DEFAULT_RECEIVES = 5
DEFAULT_VISIBILITY = 180


class _CollectingPort:
    """The mall's retry port with the SQS send replaced by a list (the outbox entry is still written)."""

    def __init__(self) -> None:
        from chalicelib.core.retry import outbox

        self.inner = outbox.SqsOutboxRetryPort()
        self.messages: list[dict[str, Any]] = []

    def record_in(self, *args: Any, **kwargs: Any) -> None:
        self.inner.record_in(*args, **kwargs)

    def enqueue(self, txn: Any, *, clear_outbox: bool = True) -> bool:
        self.messages.append(txn.message())
        return True


def _pending_redemptions(count: int) -> list[dict[str, Any]]:
    """``count`` partner redemptions accepted for retry; returns their retry messages."""
    from chalicelib.core.retry import outbox
    from chalicelib.identity import directory
    from chalicelib.identity.models import PROFILE_SK, CustomerItem
    from chalicelib.mall import fulfillment, redeeming, rewards
    from chalicelib.points import earn_and_spend

    reward_id = rewards.create_reward(name="bench partner reward", points_cost=10, stock=100_000,
                                      fulfillment="partner", staff_id="bench")
    port = _CollectingPort()
    previous = outbox.retry_port()
    outbox.set_retry_port(port)
    fulfillment.set_faults(fulfillment_failure_rate=1.0)
    try:
        customers = []
        for _ in range(max(1, count // 20)):
            phone = "139" + f"{uuid.uuid4().int % 10**8:08d}"
            cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
            earn_and_spend.earn(cid, 1_000_000, kind="adjustment", reference="bench")
            CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK).update(actions=[CustomerItem.tier_code.set("gold")])
            customers.append(cid)
        for i in range(count):
            reply = redeeming.redeem(customers[i % len(customers)], reward_id, 1, uuid.uuid4().hex)
            assert reply.outcome == "accepted", reply
    finally:
        outbox.set_retry_port(previous)
    return port.messages


def _run_batches(messages: list[dict[str, Any]], batch: int) -> tuple[float, int]:
    """Feed ``messages`` to ``app.retry_worker`` in batches of ``batch``; returns (seconds, failed records)."""
    import app as application
    from tools.lambda_emulation.context import LambdaContext
    from tools.lambda_emulation.sqs_poller import sqs_event

    failed = 0
    started = time.perf_counter()
    for i in range(0, len(messages), batch):
        event = sqs_event([json.dumps(m) for m in messages[i:i + batch]])
        try:
            out = application.retry_worker(event, LambdaContext(function_name="bench-retry_worker"))
            failed += len(out.get("batchItemFailures", []))
        except Exception:  # every record failed: Powertools raises, Lambda retries the whole batch
            failed += len(event["Records"])
    return time.perf_counter() - started, failed


def worker_throughput(messages_per_case: int = 60) -> list[dict[str, Any]]:
    from chalicelib.mall import fulfillment

    rows = []
    for batch in (1, 10):
        messages = _pending_redemptions(messages_per_case)
        fulfillment.set_faults(fulfillment_failure_rate=1.0)
        seconds, failed = _run_batches(messages, batch)
        rows.append({"case": "partner still failing", "batch": batch, "messages": len(messages),
                     "seconds": seconds, "failed": failed})
        fulfillment.set_faults(fulfillment_failure_rate=0.0)
        seconds, failed = _run_batches(messages, batch)
        rows.append({"case": "redo completes", "batch": batch, "messages": len(messages), "seconds": seconds,
                     "failed": failed})
        seconds, failed = _run_batches(messages, batch)
        rows.append({"case": "duplicate (already completed)", "batch": batch, "messages": len(messages),
                     "seconds": seconds, "failed": failed})
    for row in rows:
        row["messages_per_s"] = row["messages"] / row["seconds"] if row["seconds"] else None
        row["ms_per_batch"] = 1000 * row["seconds"] / max(1, -(-row["messages"] // row["batch"]))
    return rows


def default_schedule() -> dict[str, Any]:
    from chalicelib.followups import retry_pipeline

    delays = retry_pipeline.schedule(DEFAULT_RECEIVES, base=retry_pipeline.DEFAULT_BASE_SECONDS,
                                        cap=retry_pipeline.DEFAULT_MAX_SECONDS)
    return {"receives": DEFAULT_RECEIVES, "delays_s": delays, "seconds_to_case": sum(delays),
            "without_backoff_s": DEFAULT_RECEIVES * DEFAULT_VISIBILITY, "attempts": DEFAULT_RECEIVES + 1}


def local_time_to_case(failures: int = 5, timeout: float = 60.0) -> dict[str, Any]:
    """Measured through moto's SQS (local redrive settings) with the local stack's poller."""
    from moto import mock_aws

    import app as application
    from chalicelib.core.config import reset_settings
    from chalicelib.core.retry import outbox
    from chalicelib.core.retry.transactions import TransactionItem
    from chalicelib.followups import retry_pipeline
    from chalicelib.followups.models import FollowUpCaseItem
    from chalicelib.mall import fulfillment
    from tools.lambda_emulation.sqs_poller import PollerGroup
    from tools.stack import provision

    with mock_aws():
        import boto3

        os.environ.pop("SQS_ENDPOINT", None)
        reset_settings()
        retry_pipeline.queues.reset()
        sqs = boto3.client("sqs", region_name=os.environ.get("AWS_REGION", "ap-east-1"))
        provision.create_queues(sqs, local=True)
        previous = outbox.retry_port()
        outbox.set_retry_port(outbox.SqsOutboxRetryPort())
        # The redemptions' own requests send their retry messages to the (moto) retry queue.
        from chalicelib.mall import redeeming, rewards

        reward_id = rewards.create_reward(name="bench partner reward", points_cost=10, stock=1_000,
                                          fulfillment="partner", staff_id="bench")
        from chalicelib.identity import directory
        from chalicelib.points import earn_and_spend

        phone = "138" + f"{uuid.uuid4().int % 10**8:08d}"
        cid = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id
        earn_and_spend.earn(cid, 10_000, kind="adjustment", reference="bench")
        fulfillment.set_faults(fulfillment_failure_rate=1.0)
        group = PollerGroup.for_app(sqs, application.app, stage="local")
        for poller in group.pollers:
            poller.wait_seconds = 0
        group.start()
        try:
            transactions = []
            for _ in range(failures):
                reply = redeeming.redeem(cid, reward_id, 1, uuid.uuid4().hex)
                assert reply.outcome == "accepted", reply
                transactions.append(reply.body["transaction_id"])
            deadline = time.monotonic() + timeout
            found: dict[str, float] = {}
            while time.monotonic() < deadline and len(found) < len(transactions):
                for transaction_id in transactions:
                    if transaction_id in found:
                        continue
                    try:
                        case = FollowUpCaseItem.get(f"CUST#{cid}", f"CASE#{transaction_id}")
                    except FollowUpCaseItem.DoesNotExist:
                        continue
                    txn = TransactionItem.get(f"CUST#{cid}", f"TXN#{transaction_id}")
                    found[transaction_id] = (datetime.fromisoformat(case.opened_at)
                                             - datetime.fromisoformat(txn.created_at)).total_seconds()
                time.sleep(0.2)
        finally:
            group.stop()
            outbox.set_retry_port(previous)
            fulfillment.set_faults(fulfillment_failure_rate=0.0)
            retry_pipeline.queues.reset()
        seconds = sorted(found.values())
        return {"failures": failures, "cases": len(seconds), "p50_s": percentile(seconds, 50),
                "max_s": seconds[-1] if seconds else None,
                "delays_s": retry_pipeline.schedule(3)}


def measure(backend: Backend) -> dict[str, Any]:
    import logging

    logging.getLogger("aws_lambda_powertools").setLevel(logging.CRITICAL)  # failed records are expected here
    env = {**backend.app_env(), "POWERTOOLS_LOG_LEVEL": "CRITICAL"}
    with use_env(env):
        from chalicelib.mall import fulfillment, rewards

        rewards.reset_cache()
        fulfillment.reset_faults_cache()
        return {"worker": worker_throughput(), "default_schedule": default_schedule(),
                "local": local_time_to_case()}


def render(results: dict[str, Any]) -> str:
    worker = results["worker"]
    lines = [table(
        ["retry worker", "batch", "messages", "ms per batch", "messages/s", "failed records"],
        [[r["case"], r["batch"], r["messages"], f"{r['ms_per_batch']:.1f}", f"{r['messages_per_s']:.0f}",
          r["failed"]] for r in worker],
        "lrrrrr",
    )]
    d = results["default_schedule"]
    local = results["local"]
    lines.append("")
    lines.append(f"time from failure to case, default schedule (AWS): {d['seconds_to_case']} s "
                 f"(backoff {' + '.join(str(x) for x in d['delays_s'][:-1])} s over {d['receives']} receives, "
                 f"{d['attempts']} attempts with the request's; the queue's visibility alone: "
                 f"{d['without_backoff_s']} s)")
    if local.get("p50_s") is not None:
        lines.append(f"time from failure to case, local schedule (measured, {local['cases']}/{local['failures']} "
                     f"failures): p50 {local['p50_s']:.1f} s, max {local['max_s']:.1f} s "
                     f"(backoff {' + '.join(str(x) for x in local['delays_s'][:-1])} s)")
    else:
        lines.append(f"time from failure to case, local schedule: no case within the timeout ({local})")
    return "\n".join(lines)


def main() -> int:
    print(heading("Retry pipeline: worker throughput per batch, time from failure to case"), flush=True)
    started = time.perf_counter()
    with local_backend() as backend:
        results = measure(backend)
    print(render(results))
    print(f"\n({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    raise SystemExit(main())
