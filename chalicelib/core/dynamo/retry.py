"""Retry on conflict: the one loop, the one backoff, and the one rule for what is worth trying again.

Every write conditioned on what was read (a version, a counter, a balance) may lose a race; the answer is to read
again and decide again, a few times, with a short jittered pause so that racing requests spread out::

    for attempt in retry.attempts(MAX_ATTEMPTS):
        state = read()
        try:
            commit(plan(state))
        except TxCancelled as exc:
            if exc.conflict:
                continue          # paused before the next attempt
            raise
        return ...
    retry.give_up("what gave up", customer_id=...)   # 503 service_unavailable, Retry-After: 1

``is_transient`` says whether an error is worth the same treatment (throttling, a transaction conflict, a dropped
connection or a timeout) rather than a refusal to report.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any, NoReturn

from chalicelib.core.dynamo.tx import TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger

BASE_SECONDS = 0.005
MAX_SECONDS = 0.2
TRANSIENT_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalServerError",
    "ServiceUnavailable", "TransactionInProgressException", "ThrottlingError", "TransactionConflict",
})


def backoff(attempt: int) -> None:
    """Sleep a random time up to ``BASE_SECONDS x 2^attempt`` (at most ``MAX_SECONDS``): "full jitter"."""
    time.sleep(random.uniform(0, min(MAX_SECONDS, BASE_SECONDS * 2**attempt)))


def attempts(limit: int) -> Iterator[int]:
    """Attempt numbers ``0 .. limit-1``, with a ``backoff`` before every attempt after the first."""
    for attempt in range(limit):
        if attempt:
            backoff(attempt - 1)
        yield attempt


def give_up(what: str, **log_keys: Any) -> NoReturn:
    """Out of attempts: 503 ``service_unavailable`` with ``Retry-After: 1`` (nothing was half-done)."""
    logger.warning(f"{what} gave up after retries", extra=log_keys)
    raise AppError("service_unavailable", retry_after=1)


def is_transient(exc: BaseException) -> bool:
    """Throttling, a transaction conflict, a dropped connection, a timeout, anywhere in the exception's chain: worth
    trying again (a validation error or a failed condition is not)."""
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from pynamodb.exceptions import PynamoDBException

    if isinstance(exc, TxCancelled):
        return exc.conflict and not exc.failed
    chain: BaseException | None = exc
    while chain is not None:
        if isinstance(chain, (BotoConnectionError, HTTPClientError)):
            return True
        if isinstance(chain, ClientError) and chain.response.get("Error", {}).get("Code") in TRANSIENT_CODES:
            return True
        if isinstance(chain, PynamoDBException):
            if chain.cause_response_code in TRANSIENT_CODES:
                return True
            reasons = getattr(chain, "cancellation_reasons", None) or []
            if any(r is not None and r.code in TRANSIENT_CODES for r in reasons):
                return True
        chain = chain.__cause__ or chain.__context__ or getattr(chain, "cause", None)
    return False
