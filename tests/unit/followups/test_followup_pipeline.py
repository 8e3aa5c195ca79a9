"""The retry pipeline's pieces without DynamoDB: backoff schedule, the backoff itself on moto's SQS (visibility and
redrive), metrics and log keys around the record handlers, case IDs and queue order, error classification."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.core import observability
from chalicelib.core.area import FollowUpHooks
from chalicelib.core.config import reset_settings
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry import dispatch, outbox
from chalicelib.followups import cases, intake, retry_pipeline
from tests.support.sqs import sqs_record


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    seen: list[tuple[str, float]] = []
    monkeypatch.setattr(metrics, "add_metric", lambda name, unit, value: seen.append((name, value)))
    return seen


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch):
    def set_stage(name: str, base: str | None = None) -> None:
        monkeypatch.setenv("STAGE", name)
        if base is None:
            monkeypatch.delenv("RETRY_BACKOFF_BASE_SECONDS", raising=False)
        else:
            monkeypatch.setenv("RETRY_BACKOFF_BASE_SECONDS", base)
        monkeypatch.delenv("RETRY_BACKOFF_MAX_SECONDS", raising=False)
        reset_settings()

    yield set_stage
    reset_settings()


# --- the schedule ----------------------------------------------------------------------------------------------------


def test_the_default_and_local_schedules(stage):
    stage("prod")
    assert retry_pipeline.schedule(5) == [20, 40, 80, 160, 0]  # the case about 5 minutes after the failure
    assert retry_pipeline.schedule(8) == [20, 40, 80, 160, 300, 300, 300, 0]  # capped
    stage("local")
    assert retry_pipeline.schedule(3) == [2, 4, 0]  # the case within seconds on the local stack
    stage("local", base="0")
    assert retry_pipeline.schedule(3) == [0, 0, 0]


def test_backoff_has_jitter_within_a_fifth(stage):
    stage("prod")
    delays = {retry_pipeline.backoff_seconds(3) for _ in range(200)}
    assert min(delays) >= 64 and max(delays) <= 96 and len(delays) > 5
    assert retry_pipeline.backoff_seconds(3, jitter=False) == 80
    assert retry_pipeline.backoff_seconds(40, jitter=False) == 300


def test_backoff_sets_the_visibility_and_lets_the_last_receive_go_at_once(sqs_queues, sqs_client, stage):
    stage("local")
    retry_pipeline.queues.reset()
    retry = sqs_queues["RetryQueue"]
    sqs_client.send_message(QueueUrl=retry.url, MessageBody="{}")
    delays = []
    for _receive in range(3):
        [message] = sqs_client.receive_message(QueueUrl=retry.url, AttributeNames=["All"],
                                               WaitTimeSeconds=1)["Messages"]
        record = SimpleNamespace(
            receipt_handle=message["ReceiptHandle"], event_source_arn=retry.arn,
            attributes=SimpleNamespace(approximate_receive_count=message["Attributes"]["ApproximateReceiveCount"]),
        )
        delays.append(retry_pipeline.back_off(record))
        sqs_client.change_message_visibility(QueueUrl=retry.url, ReceiptHandle=message["ReceiptHandle"],
                                             VisibilityTimeout=0)  # skip the wait in the test
    assert 1 <= delays[0] <= 3 and 3 <= delays[1] <= 5 and delays[2] == 0, delays
    assert sqs_client.receive_message(QueueUrl=retry.url).get("Messages") is None  # this receive moved it
    moved = sqs_client.receive_message(QueueUrl=sqs_queues["FollowUpQueue"].url, AttributeNames=["All"])["Messages"]
    assert moved[0]["Body"] == "{}"
    retry_pipeline.queues.reset()


def test_backoff_leaves_test_events_alone():
    record = SimpleNamespace(receipt_handle="local-123", event_source_arn="arn:aws:sqs:ap-east-1:1:q",
                             attributes=SimpleNamespace(approximate_receive_count="1"))
    assert retry_pipeline.back_off(record) is None


# --- the record handlers ---------------------------------------------------------------------------------------------


def _record(body: dict[str, Any], receive_count: int = 1) -> Any:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    raw = sqs_record(json.dumps(body), event_source_arn="arn:aws:sqs:ap-east-1:123456789012:member-portal-retry",
                     receive_count=receive_count)
    return SQSRecord(raw)


def test_a_retry_record_is_measured_and_logged_under_its_transaction(recorded, monkeypatch):
    seen_keys: list[Any] = []

    def handler(body: dict[str, Any]) -> None:
        seen_keys.append(logger.get_current_keys().get("transaction_id"))

    monkeypatch.setitem(dispatch.retry_handlers(), "unit_kind", handler)
    retry_pipeline.retry_record(_record({"kind": "unit_kind", "transaction_id": "txn_unit1"}))
    assert seen_keys == ["txn_unit1"]
    assert "transaction_id" not in logger.get_current_keys()
    assert [n for n, _ in recorded] == ["RetryQueueAgeSeconds", "RetriesSucceeded"]


def test_a_failing_retry_record_counts_backs_off_and_raises(recorded, monkeypatch):
    def handler(body: dict[str, Any]) -> None:
        raise RuntimeError("partner down")

    monkeypatch.setitem(dispatch.retry_handlers(), "unit_kind", handler)
    with pytest.raises(RuntimeError):
        retry_pipeline.retry_record(_record({"kind": "unit_kind", "transaction_id": "txn_unit2"}))
    assert [n for n, _ in recorded] == ["RetryQueueAgeSeconds", "RetryAttemptsFailed"]
    with pytest.raises(dispatch.UnknownMessageKind):
        retry_pipeline.retry_record(_record({"kind": "nobody_handles_this"}))


def test_a_followup_record_tells_the_handler_its_delivery(recorded, monkeypatch):
    seen: list[Any] = []
    monkeypatch.setitem(dispatch.followup_hooks(), "unit_kind", FollowUpHooks())
    monkeypatch.setattr(intake, "open_case", lambda body: seen.append(intake.current_delivery.get()))
    retry_pipeline.followup_record(_record({"kind": "unit_kind", "transaction_id": "t"}, receive_count=4))
    assert seen[0].receive_count == 4 and seen[0].sent_at is not None
    assert intake.current_delivery.get() is None
    assert [n for n, _ in recorded] == ["FollowUpQueueAgeSeconds"]


def test_the_metered_port_counts_sends_and_failed_sends(recorded):
    class Port:
        def __init__(self) -> None:
            self.results = [True, False]

        def record_in(self, tx: Any, txn: Any) -> str:
            return "recorded"

        def enqueue(self, txn: Any, *, clear_outbox: bool = True) -> bool:
            return self.results.pop(0)

    port = outbox.MeteredRetryPort(Port())
    assert port.record_in(None, None) == "recorded"
    assert port.enqueue(None) is True and port.enqueue(None, clear_outbox=False) is False
    assert [n for n, _ in recorded] == ["RetriesEnqueued", "RetryEnqueueFailed"]
    assert port.results == []  # anything else goes to the wrapped port


def test_flushing_metrics_clears_what_was_measured(capsys):
    with observability.flushing_metrics():
        metrics.add_metric(name="CasesOpened", unit="Count", value=1)
    assert not metrics.metric_set
    assert "CasesOpened" in capsys.readouterr().out


# --- cases -----------------------------------------------------------------------------------------------------------


def test_case_ids_name_the_member_and_the_transaction():
    case_id = cases.case_id_for("c_8f14e45fceea167a5a36", "txn_19a7f0c3b2e4f1a2b3c4d")
    assert cases.parse_case_id(case_id) == ("c_8f14e45fceea167a5a36", "txn_19a7f0c3b2e4f1a2b3c4d")
    for bad in ("", "fu", "fu.", "fu.c.", "xx.c.t", "fu.c/1.t", "fu.c." + "t" * 81, "fu.c.t.u"):
        with pytest.raises(AppError):
            cases.parse_case_id(bad)


def test_the_queue_sort_key_puts_higher_tiers_then_older_cases_first():
    keys = [
        cases.queue_sort_key(0, "2026-11-23T01:00:00.000+00:00", "a"),
        cases.queue_sort_key(3, "2026-11-23T02:00:00.000+00:00", "b"),
        cases.queue_sort_key(3, "2026-11-23T01:30:00.000+00:00", "c"),
        cases.queue_sort_key(2, "2026-11-23T00:00:00.000+00:00", "d"),
    ]
    assert [k[-1] for k in sorted(keys)] == ["c", "b", "d", "a"]


def test_malformed_follow_up_messages_are_refused():
    for body in ({}, {"transaction_id": "t"}, {"customer_id": "c"}, {"transaction_id": 1, "customer_id": "c"}):
        with pytest.raises(intake.MalformedMessage):
            intake.open_case(body)
