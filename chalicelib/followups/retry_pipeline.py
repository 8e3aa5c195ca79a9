"""The retry pipeline around the two SQS handlers of ``app.py``: backoff, metrics, log keys, the outbox sweeper.

``retry_record`` / ``followup_record`` are the Powertools batch record handlers. Each dispatches through
``workers`` (the body's ``kind`` picks the area's handler) inside log keys naming the transaction, and measures:

=============================  ==============================================================================
metric (namespace MemberPortal)  meaning
=============================  ==============================================================================
``RetriesEnqueued``            a retry message reached the retry queue (request path or sweeper)
``RetryEnqueueFailed``         sending it failed: the transaction waits in the outbox for the sweeper
``RetriesSucceeded``           a retry message was handled without error (the redo worked, or was not needed)
``RetryAttemptsFailed``        a retry failed; SQS delivers the message again after the backoff
``RetryQueueAgeSeconds``       how long the handled retry message had been in the queue
``FollowUpQueueAgeSeconds``    the same on the follow-up queue (SQS keeps the first send time on redrive: this
                               is the time from the first failure to the case)
``CasesOpened``/``CasesResolved``  from ``followups``; ``TimeToCaseSeconds`` from the transaction's creation
``OutboxSwept``                messages the sweeper sent again
``DeadLettersRecovered``       follow-up messages the sweeper took from the follow-up dead-letter queue into cases
=============================  ==============================================================================

Backoff: a failed retry makes its message invisible for ``base x 2^(n-1)`` seconds (n = its receive count, +-20 %
jitter, capped), through ChangeMessageVisibility, before the record is reported as a batch item failure. After the
last receive the retry queue allows (its redrive policy's ``maxReceiveCount``) the message is made visible at
once, so the next receive moves it to the follow-up queue without waiting out a last backoff. Default schedule
(AWS): base 20 s, cap 300 s, 5 receives: 20 + 40 + 80 + 160 s, then the case (about 5 minutes after the request
failed, 6 attempts in all). Local stage: base 2 s, 3 receives: 2 + 4 s, then the case (about 7 s, 4 attempts).
``RETRY_BACKOFF_BASE_SECONDS`` and ``RETRY_BACKOFF_MAX_SECONDS`` override both.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.config import live, settings
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry import dispatch, outbox
from chalicelib.followups import intake

DEFAULT_BASE_SECONDS = 20.0
DEFAULT_MAX_SECONDS = 300.0
LOCAL_BASE_SECONDS = 2.0
JITTER = 0.2
OUTBOX_GRACE_SECONDS = 60.0


# --- backoff -------------------------------------------------------------------------------------------------------


def backoff_settings() -> tuple[float, float]:
    base = live("RETRY_BACKOFF_BASE_SECONDS")
    cap = live("RETRY_BACKOFF_MAX_SECONDS")
    default_base = LOCAL_BASE_SECONDS if settings().is_local else DEFAULT_BASE_SECONDS
    return (float(base) if base else default_base), (float(cap) if cap else DEFAULT_MAX_SECONDS)


def backoff_seconds(receive_count: int, *, jitter: bool = True) -> int:
    """Seconds a message stays invisible after its ``receive_count``-th failed attempt."""
    base, cap = backoff_settings()
    delay = min(cap, base * 2 ** max(0, receive_count - 1))
    if jitter:
        delay *= random.uniform(1 - JITTER, 1 + JITTER)
    return int(max(0, min(43_200, round(delay))))  # SQS allows 0..12 h


def schedule(max_receives: int, *, base: float | None = None, cap: float | None = None) -> list[int]:
    """The delays (no jitter) a message that keeps failing waits between its receives; the last one is 0."""
    b, c = backoff_settings()
    b, c = (base if base is not None else b), (cap if cap is not None else c)
    return [0 if n >= max_receives else round(min(c, b * 2 ** (n - 1))) for n in range(1, max_receives + 1)]


class _Queues:
    """An SQS client and, per queue ARN, its URL and ``maxReceiveCount`` (read once per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: Any = None
        self._key: tuple[Any, ...] | None = None
        self._queues: dict[str, tuple[str, int | None]] = {}

    def client(self) -> Any:
        cfg = settings()
        key = (cfg.sqs_endpoint, cfg.region)
        with self._lock:
            if self._client is None or self._key != key:
                import boto3
                from botocore.config import Config

                self._client = boto3.client(
                    "sqs", region_name=cfg.region, endpoint_url=cfg.sqs_endpoint,
                    config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}),
                )
                self._key, self._queues = key, {}
            return self._client

    def queue(self, arn: str) -> tuple[str, int | None]:
        client = self.client()
        with self._lock:
            known = self._queues.get(arn)
        if known is not None:
            return known
        url = client.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"]).get("Attributes", {})
        policy = json.loads(attributes.get("RedrivePolicy") or "{}")
        max_receives = int(policy["maxReceiveCount"]) if policy.get("maxReceiveCount") else None
        with self._lock:
            self._queues[arn] = (url, max_receives)
        return url, max_receives

    def reset(self) -> None:
        with self._lock:
            self._client, self._key, self._queues = None, None, {}


queues = _Queues()


def back_off(record: Any) -> int | None:
    """Delay the failed record's next delivery; returns the delay set (None when not set: best effort)."""
    receipt = getattr(record, "receipt_handle", None)
    if not receipt or receipt.startswith("local-"):  # events built in tests (tools/lambda_emulation's sqs_record)
        return None
    count = _receive_count(record) or 1
    try:
        url, max_receives = queues.queue(record.event_source_arn)
        delay = 0 if max_receives and count >= max_receives else backoff_seconds(count)
        queues.client().change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=delay)
    except Exception:
        logger.warning("could not set the retry backoff; the queue's visibility timeout applies", exc_info=True)
        return None
    return delay


# --- record handlers -----------------------------------------------------------------------------------------------


def _receive_count(record: Any) -> int | None:
    try:
        value = record.attributes.approximate_receive_count
        return int(value) if value else None
    except (AttributeError, TypeError, ValueError, KeyError):
        return None


def _sent_at(record: Any) -> datetime | None:
    try:
        value = record.attributes.sent_timestamp
        return datetime.fromtimestamp(int(value) / 1000, UTC) if value else None
    except (AttributeError, TypeError, ValueError, KeyError):
        return None


def _age(record: Any, metric: str) -> None:
    sent = _sent_at(record)
    if sent is not None:
        metrics.add_metric(name=metric, unit="Seconds", value=max(0.0, time.time() - sent.timestamp()))


def _body_keys(record: Any) -> tuple[str | None, str | None]:
    try:
        body = json.loads(record.body)
    except (TypeError, ValueError):
        return None, None
    if not isinstance(body, dict):
        return None, None
    return body.get("transaction_id"), body.get("kind")


def retry_record(record: Any) -> None:
    """The retry queue's record handler: redo the work; on failure back off and raise (a batch item failure)."""
    transaction_id, kind = _body_keys(record)
    with intake.transaction_log_keys(transaction_id, message_kind=kind):
        _age(record, "RetryQueueAgeSeconds")
        try:
            dispatch.handle_retry(record)
        except Exception as exc:
            metrics.add_metric(name="RetryAttemptsFailed", unit="Count", value=1)
            delay = back_off(record)
            logger.warning("retry failed; SQS delivers it again",
                           extra={"error": str(exc)[:300], "receive_count": _receive_count(record),
                                  "backoff_seconds": delay})
            raise
        metrics.add_metric(name="RetriesSucceeded", unit="Count", value=1)


def followup_record(record: Any) -> None:
    """The follow-up queue's record handler: open the case (idempotent); raise to have SQS deliver it again."""
    transaction_id, kind = _body_keys(record)
    token = intake.current_delivery.set(intake.Delivery(_receive_count(record), _sent_at(record)))
    try:
        with intake.transaction_log_keys(transaction_id, message_kind=kind):
            _age(record, "FollowUpQueueAgeSeconds")
            try:
                dispatch.handle_followup(record, intake.open_case)
            except Exception:
                metrics.add_metric(name="FollowUpFailed", unit="Count", value=1)
                logger.warning("follow-up message not handled; SQS delivers it again", exc_info=True)
                raise
    finally:
        intake.current_delivery.reset(token)


# --- the follow-up queue's dead letters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    body: str


def dead_letter_queue_name() -> str:
    return live("FOLLOWUP_DLQ_NAME")


def sweep_dead_letters(max_batches: int = 10) -> dict[str, int]:
    """Open the cases of messages the follow-up queue gave up on (its own redrive, after its last receive: a
    DynamoDB outage longer than its retries). What fails again stays in the dead-letter queue for the next run."""
    client = queues.client()
    try:
        url = client.get_queue_url(QueueName=dead_letter_queue_name())["QueueUrl"]
    except Exception:
        logger.warning("follow-up dead-letter queue not reachable", exc_info=True)
        return {"recovered": 0, "failed": 0}
    recovered = failed = 0
    for _ in range(max_batches):
        messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                          AttributeNames=["All"]).get("Messages", [])
        if not messages:
            break
        done = []
        for message in messages:
            count = message.get("Attributes", {}).get("ApproximateReceiveCount")
            token = intake.current_delivery.set(intake.Delivery(int(count) if count else None, None))
            transaction_id, kind = _body_keys(_Record(message["Body"]))
            try:
                with intake.transaction_log_keys(transaction_id, message_kind=kind):
                    dispatch.handle_followup(_Record(message["Body"]), intake.open_case)
                done.append(message)
            except Exception:
                failed += 1
                logger.warning("dead letter still not handled; kept for the next sweep", exc_info=True)
            finally:
                intake.current_delivery.reset(token)
        if done:
            client.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
            recovered += len(done)
    if recovered:
        logger.warning("follow-up dead letters turned into cases", extra={"recovered": recovered})
        metrics.add_metric(name="DeadLettersRecovered", unit="Count", value=recovered)
    return {"recovered": recovered, "failed": failed}


# --- the outbox sweeper --------------------------------------------------------------------------------------------


def sweep_outbox(older_than_seconds: float = OUTBOX_GRACE_SECONDS) -> dict[str, int]:
    """Send again what the outbox holds for longer than ``older_than_seconds`` (a send that failed, or a process
    that died between its commit and its send). The mall's ``outbox.sweep_outbox`` does the sending."""

    sent = outbox.sweep_outbox(older_than_seconds=older_than_seconds)
    if sent:
        logger.info("outbox swept", extra={"sent": sent})
        metrics.add_metric(name="OutboxSwept", unit="Count", value=sent)
    return {"sent": sent}


def scheduled_sweep() -> dict[str, int]:
    """The ``outbox_sweeper`` schedule: the outbox, then the follow-up dead letters (each failing alone)."""
    out: dict[str, int] = {}
    for job in (sweep_outbox, sweep_dead_letters):
        try:
            out.update(job())
        except Exception:
            logger.exception("sweep failed; it runs again on the next schedule", extra={"job": job.__name__})
    return out
