"""Opening a case: the follow-up queue's handler.

The retry queue's redrive policy moves a message that failed its last retry, unchanged, to the follow-up queue. Its
handler reads the case, the transaction and the member's profile and points state in one consistent BatchGetItem,
then writes in one transaction: the case (put if absent: one case per transaction, however often the message is
delivered), the transaction's status ``needs_follow_up`` and a notification to the member. A transaction that
completed meanwhile (a late retry, an agent) gets no case. Priority is the tier the member holds today; the case must
get a first response within 15 minutes (``respond_by``) and be closed within 24 hours (``close_by``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core import clock, notifications
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry.transactions import TransactionItem
from chalicelib.followups.cases import (
    CLOSE_WITHIN,
    RESPOND_WITHIN,
    SETTLED,
    UNSETTLED,
    _attempts,
    _hook,
    _load,
    _parse,
    case_id_for,
    queue_sort_key,
    subject_of,
)
from chalicelib.followups.models import CASE_PREFIX, QUEUE_PREFIX, FollowUpCaseItem

OPEN_ATTEMPTS = 5


class MalformedMessage(ValueError):
    """A follow-up message without ``transaction_id``/``customer_id``: it fails, and after the follow-up queue's
    own retries lands in its dead-letter queue -- never dropped silently."""


@dataclass(frozen=True)
class Delivery:
    receive_count: int | None = None
    sent_at: datetime | None = None


NO_DELIVERY = Delivery()


current_delivery: ContextVar[Delivery | None] = ContextVar("followup_delivery", default=None)


@contextlib.contextmanager
def transaction_log_keys(transaction_id: str | None, **extra: Any) -> Iterator[None]:
    """Every log line inside shares the transaction's ID (and the keys are removed afterwards)."""
    keys = {"transaction_id": transaction_id, **extra}
    logger.append_keys(**keys)
    try:
        yield
    finally:
        logger.remove_keys(list(keys))


def open_case(message: dict[str, Any]) -> str | None:
    """Turn a follow-up message into a case; idempotent on the transaction. Returns the case ID, or None when the
    transaction had already settled (no case needed). Raises to have SQS deliver the message again."""
    transaction_id = message.get("transaction_id")
    customer_id = message.get("customer_id")
    if not isinstance(transaction_id, str) or not isinstance(customer_id, str) or not transaction_id or not customer_id:
        raise MalformedMessage("a follow-up message needs transaction_id and customer_id")
    kind = str(message.get("kind") or "unknown")
    with transaction_log_keys(transaction_id):
        # A moved message keeps its receive count, so the follow-up queue allows it few deliveries: ride out
        # throttling and conflicts here rather than spend them; still failing, the message is delivered again.
        def attempt(_n: int) -> str | None:
            return _open_case(customer_id, transaction_id, kind, message)

        return retry.until_committed_or(retry.reraise, attempt, limit=OPEN_ATTEMPTS, what="opening a follow-up case",
                                        transient=True)


def _subject(case: FollowUpCaseItem) -> dict[str, Any] | None:
    """What failed (``cases.subject_of``), read once now through the kind's ``describe``; a case opens without it
    rather than not at all."""
    describe = _hook(case.kind, "describe")
    if describe is None:
        return None
    try:
        return subject_of(describe(case))
    except Exception:
        logger.warning("could not describe the case's record for the queue", exc_info=True)
        return None


def _open_case(customer_id: str, transaction_id: str, kind: str, message: dict[str, Any]) -> str | None:
    case_id = case_id_for(customer_id, transaction_id)
    loaded = _load(customer_id, transaction_id)
    if loaded.case is not None:
        logger.info("follow-up message delivered again; the case exists", extra={"case_id": case_id})
        metrics.add_metric(name="FollowUpDuplicateDelivery", unit="Count", value=1)
        return case_id
    txn = loaded.transaction
    if txn is not None and txn.status in SETTLED:
        logger.info("transaction settled before its follow-up; no case", extra={"status": txn.status})
        metrics.add_metric(name="FollowUpAlreadySettled", unit="Count", value=1)
        return None
    delivery = current_delivery.get() or NO_DELIVERY
    now = clock.now()
    opened_at = clock.iso(now)
    held = loaded.held_tier()
    tier_code, rank = (held.code, held.rank) if held is not None else (None, 0)
    attempts = _attempts(txn.attempts) if txn is not None else []
    handover: dict[str, Any] = {"at": opened_at, "ok": False, "where": "follow_up_queue",
                                "error": "retries exhausted; handed to the agents' follow-up queue"}
    if delivery.receive_count:
        handover["deliveries"] = delivery.receive_count
    last_error = (txn.last_error if txn is not None and getattr(txn, "last_error", None) else None) or next(
        (a.get("error") for a in reversed(attempts) if a.get("error")), None
    )
    case = FollowUpCaseItem(
        pk=keys.customer_pk(customer_id), sk=f"{CASE_PREFIX}{transaction_id}", case_id=case_id, customer_id=customer_id,
        transaction_id=transaction_id, kind=kind,
        reference=message.get("reference") or (txn.reference if txn is not None else None),
        message=message, status="open", tier_code=tier_code, tier_rank=rank, opened_at=opened_at,
        respond_by=clock.iso(now + RESPOND_WITHIN), close_by=clock.iso(now + CLOSE_WITHIN),
        failed_at=txn.created_at if txn is not None else None, receive_count=delivery.receive_count,
        last_error=last_error, attempts=[*attempts, handover],
        actions=[{"at": opened_at, "by": "system", "action": "opened",
                  "detail": "transaction not found" if txn is None else f"transaction was {txn.status}"}],
        notes=[], updated_at=opened_at, gsi2pk=f"{QUEUE_PREFIX}open", gsi2sk=queue_sort_key(rank, opened_at, case_id),
        member_no=loaded.profile.member_no if loaded.profile is not None else None,
        attempt_count=len(attempts),
    )
    case.subject = _subject(case)
    tx = Tx()
    tx.put("case", case, FollowUpCaseItem.pk.does_not_exist())
    if txn is not None:
        tx.update(
            "txn", TransactionItem(pk=txn.pk, sk=txn.sk),
            # Off the outbox too: the message reached SQS (it is here), so the sweeper has nothing to send again.
            [TransactionItem.status.set("needs_follow_up"), TransactionItem.updated_at.set(opened_at),
             TransactionItem.gsi1pk.remove(), TransactionItem.gsi1sk.remove()],
            TransactionItem.status.is_in(*UNSETTLED),
        )
    notifications.put_in(tx, customer_id, "needs_follow_up",
                         {"transaction_id": transaction_id, "status": "needs_follow_up", "kind": kind})
    try:
        tx.commit()
    except TxCancelled as exc:
        if "case" in exc.failed:
            logger.info("the case was opened meanwhile (a concurrent delivery)", extra={"case_id": case_id})
            return case_id
        if "txn" in exc.failed:
            again = _load(customer_id, transaction_id)
            if again.transaction is not None and again.transaction.status in SETTLED:
                logger.info("transaction settled while its case was being opened; no case")
                return None
        raise
    logger.info("follow-up case opened",
                extra={"case_id": case_id, "kind": kind, "tier_code": tier_code, "deliveries": delivery.receive_count})
    metrics.add_metric(name="CasesOpened", unit="Count", value=1)
    started = _parse(txn.created_at) if txn is not None else delivery.sent_at
    if started is not None:
        metrics.add_metric(name="TimeToCaseSeconds", unit="Seconds", value=max(0.0, (now - started).total_seconds()))
    return case_id
