"""Retry on conflict: the one loop, the one backoff, and the one rule for what is worth trying again.

Every write conditioned on what was read (a version, a counter, a balance) may lose a race; the answer is to read
again and decide again, a few times, with a short jittered pause so that racing requests spread out. One attempt
reads, plans and commits one transaction; ``until_committed`` runs it again from a fresh read when it lost::

    def attempt(n: int) -> Result:
        state = read()
        try:
            plan(state).commit()
        except TxCancelled as exc:
            if "version" in exc.failed:
                raise retry.Again from None   # another change won: read again, decide again
            raise                              # (a TransactionConflict is tried again without saying so)
        return ...

    return retry.until_committed(attempt, limit=MAX_ATTEMPTS, what="what gave up", customer_id=...)
    # out of attempts: 503 service_unavailable, Retry-After: 1 (nothing was half-done); a job or a queue handler
    # says what then instead: retry.until_committed_or(lambda last: "skipped", attempt, ...), or retry.reraise

``is_transient`` says whether an error is worth the same treatment (throttling, a transaction conflict, a dropped
connection or a timeout) rather than a refusal to report.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple, NoReturn, TypeVar

from chalicelib.core.dynamo.tx import TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger

BASE_SECONDS = 0.005
MAX_SECONDS = 0.2
# DynamoDB refusing for load (after the SDK's own retries): a 503 to the client, safe to repeat.
THROTTLING_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded", "InternalServerError",
    "ServiceUnavailable", "TransactionInProgressException", "ThrottlingError",
})
TRANSIENT_CODES = THROTTLING_CODES | {"TransactionConflict"}


T = TypeVar("T")


class Again(Exception):
    """Raised by an attempt of ``until_committed`` that lost a race: read again and decide again."""


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


class _OutOfAttempts(NamedTuple):
    last: BaseException


def _run(attempt: Callable[[int], T], limit: int, what: str, transient: bool,
         log_keys: dict[str, Any]) -> T | _OutOfAttempts:
    last: BaseException = Again()
    for n in attempts(limit):
        try:
            return attempt(n)
        except Again as exc:
            last = exc
        except TxCancelled as exc:
            if not exc.conflict:
                raise
            last = exc
        except Exception as exc:
            if not (transient and is_transient(exc)):
                raise
            last = exc
        logger.debug(f"{what}: trying again", extra={"attempt": n, "error": type(last).__name__, **log_keys})
    return _OutOfAttempts(last)


def until_committed(attempt: Callable[[int], T], *, limit: int, what: str, transient: bool = False,
                    **log_keys: Any) -> T:
    """Run ``attempt(n)`` (read, plan, commit one transaction) until it returns: again, from its own fresh read and
    after the core's backoff, when it raises ``Again`` or its transaction met a ``TransactionConflict`` (and, with
    ``transient``, any ``is_transient`` error: for attempts whose fresh read shows a commit that did land); out of
    ``limit`` attempts, ``give_up(what, **log_keys)``: 503. ``n`` counts from 0 (an attempt after the first may need a
    consistent read)."""
    out = _run(attempt, limit, what, transient, log_keys)
    if isinstance(out, _OutOfAttempts):
        give_up(what, **log_keys)
    return out


def until_committed_or(exhausted: Callable[[BaseException], T], attempt: Callable[[int], T], *, limit: int,
                       what: str, transient: bool = False, **log_keys: Any) -> T:
    """``until_committed`` for a job or a queue handler, where out of attempts is not a 503: what
    ``exhausted(last error)`` returns or raises (skip the member, ``reraise`` for SQS to deliver the message
    again)."""
    out = _run(attempt, limit, what, transient, log_keys)
    return exhausted(out.last) if isinstance(out, _OutOfAttempts) else out


def reraise(exc: BaseException) -> NoReturn:
    """``until_committed_or(retry.reraise, ...)``: out of attempts, the last error goes to the caller (a queue
    handler's message is delivered again)."""
    raise exc


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        cause = current.__cause__ or current.__context__ or getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else None


def _codes(exc: BaseException) -> set[str]:
    """The DynamoDB error codes an exception carries (a ClientError's, pynamodb's cause and cancellation reasons)."""
    from botocore.exceptions import ClientError

    codes: set[str] = set()
    if isinstance(exc, ClientError):
        codes.add(str(exc.response.get("Error", {}).get("Code")))
    cause_code = getattr(exc, "cause_response_code", None)
    if cause_code:
        codes.add(str(cause_code))
    for reason in getattr(exc, "cancellation_reasons", None) or []:
        if reason is not None and reason.code:
            codes.add(str(reason.code))
    return codes


def is_throttled(exc: BaseException) -> bool:
    """DynamoDB refused for load, anywhere in the exception's chain."""
    return any(_codes(e) & THROTTLING_CODES for e in _chain(exc))


def is_transient(exc: BaseException) -> bool:
    """Throttling, a transaction conflict, a dropped connection, a timeout, anywhere in the exception's chain: worth
    trying again (a validation error or a failed condition is not)."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, TxCancelled):
        return exc.conflict and not exc.failed
    return any(isinstance(e, (BotoConnectionError, HTTPClientError)) or _codes(e) & TRANSIENT_CODES
               for e in _chain(exc))
