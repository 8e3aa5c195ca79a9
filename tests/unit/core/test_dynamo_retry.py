"""The one retry-on-conflict loop and the one rule for transient errors (``chalicelib/core/dynamo/retry.py``)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import TransactWriteError

from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import TxCancelled
from chalicelib.core.errors import AppError


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "x"}}, "TransactWriteItems")


def test_throttling_conflicts_and_dropped_connections_are_transient():
    assert retry.is_transient(_client_error("ProvisionedThroughputExceededException"))
    assert retry.is_transient(_client_error("ThrottlingException"))
    assert retry.is_transient(EndpointConnectionError(endpoint_url="http://x"))
    assert retry.is_transient(ReadTimeoutError(endpoint_url="x"))
    assert retry.is_transient(TxCancelled(set(), conflict=True))
    assert retry.is_transient(TransactWriteError("x", cause=_client_error("ThrottlingException")))


def test_refusals_and_programming_errors_are_not():
    assert not retry.is_transient(TxCancelled({"case"}))
    assert not retry.is_transient(_client_error("ValidationException"))
    assert not retry.is_transient(TransactWriteError("x", cause=_client_error("ValidationException")))
    assert not retry.is_transient(ValueError("x"))


def test_a_transient_error_wrapped_by_another_still_counts():
    try:
        try:
            raise _client_error("ProvisionedThroughputExceededException")
        except ClientError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert retry.is_transient(outer)


def test_attempts_pause_before_each_retry_and_never_before_the_first(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(retry.time, "sleep", pauses.append)
    monkeypatch.setattr(retry.random, "uniform", lambda low, high: high)
    assert list(retry.attempts(4)) == [0, 1, 2, 3]
    assert pauses == [0.005, 0.01, 0.02]


def test_the_backoff_is_capped(monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr(retry.time, "sleep", pauses.append)
    monkeypatch.setattr(retry.random, "uniform", lambda low, high: high)
    retry.backoff(30)
    assert pauses == [retry.MAX_SECONDS]


def test_giving_up_is_a_503_that_says_when_to_come_back():
    with pytest.raises(AppError) as err:
        retry.give_up("unit test", customer_id="c_1")
    assert (err.value.code, err.value.status, err.value.retry_after) == ("service_unavailable", 503, 1)


def test_until_committed_reads_again_after_a_lost_race_and_returns_what_the_winning_attempt_returns(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    tried: list[int] = []

    def attempt(n: int) -> str:
        tried.append(n)
        if n == 0:
            raise retry.Again
        if n == 1:
            raise TxCancelled(set(), conflict=True)
        return "committed"

    assert retry.until_committed(attempt, limit=5, what="test") == "committed"
    assert tried == [0, 1, 2]


def test_until_committed_lets_a_refusal_out_at_once_and_gives_up_with_a_503_after_the_limit(monkeypatch):
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    tried: list[int] = []

    def refused(n: int) -> None:
        tried.append(n)
        raise TxCancelled({"balance"})

    with pytest.raises(TxCancelled):
        retry.until_committed(refused, limit=5, what="test")
    assert tried == [0]

    def always_losing(n: int) -> None:
        tried.append(n)
        raise retry.Again

    with pytest.raises(AppError) as raised:
        retry.until_committed(always_losing, limit=3, what="test")
    assert raised.value.code == "service_unavailable" and tried == [0, 0, 1, 2]


def test_until_committed_or_out_of_attempts_returns_what_exhausted_says_and_reraise_hands_on_the_last_error(
        monkeypatch):
    """A job skips the member and a queue handler lets SQS deliver again, where a request answers 503."""
    monkeypatch.setattr(retry.time, "sleep", lambda seconds: None)
    tried: list[int] = []

    def racing(n: int) -> str:
        tried.append(n)
        raise retry.Again

    assert retry.until_committed_or(lambda last: "skipped", racing, limit=3, what="unit test") == "skipped"
    assert tried == [0, 1, 2]

    throttled = [ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Query")
                 for _ in range(2)]

    def throttled_attempt(n: int) -> str:
        raise throttled[n]

    with pytest.raises(ClientError) as err:
        retry.until_committed_or(retry.reraise, throttled_attempt, limit=2, what="unit test", transient=True)
    assert err.value is throttled[1]
