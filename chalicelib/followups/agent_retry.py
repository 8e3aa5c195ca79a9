"""An agent's "retry now": the kind's retry handler once, as the retry worker would; success resolves the case."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core import clock, notifications
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry import dispatch
from chalicelib.core.retry.transactions import TransactionItem
from chalicelib.followups.action_guards import append_to, busy_is_503, failed_condition, require_case, require_holder
from chalicelib.followups.case_resolution import completed_in, raise_for_cancelled
from chalicelib.followups.cases import SETTLED, _attempts, _load, case_view, parse_case_id
from chalicelib.followups.intake import transaction_log_keys
from chalicelib.followups.models import QUEUE_PREFIX, FollowUpCaseItem


def _message_of(case: FollowUpCaseItem, txn: TransactionItem | None) -> dict[str, Any]:
    if case.message:
        return dict(case.message)
    assert txn is not None
    return {"kind": txn.kind, "transaction_id": txn.transaction_id, "customer_id": txn.customer_id,
            "reference": txn.reference, **dict(txn.payload or {})}


def _set_txn_status(txn: TransactionItem, to: str, expect: tuple[str, ...], attempt: dict[str, Any] | None = None,
                    ) -> bool:
    actions: list[Action] = [TransactionItem.status.set(to), TransactionItem.updated_at.set(clock.iso())]
    if attempt is not None:
        actions.append(append_to(TransactionItem.attempts, attempt))
    try:
        TransactionItem(pk=txn.pk, sk=txn.sk).update(
            actions=actions, condition=TransactionItem.status.is_in(*expect), add_version_condition=False
        )
    except UpdateError as exc:
        if failed_condition(exc):
            return False
        raise
    return True


def retry_now(case_id: str, staff_id: str) -> dict[str, Any]:
    """Run the kind's retry handler once, now, as the retry worker would (it is idempotent on the transaction).

    The transaction reads ``retrying`` while it runs. If it completes, the case resolves as ``completed_by_retry``
    and the member is told; if not, the transaction is back to ``needs_follow_up``, the attempt and its error are
    on the transaction, and the case stays with the agent.
    """
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), busy_is_503():
        loaded = require_case(customer_id, transaction_id)
        case, txn = loaded.case, loaded.transaction
        assert case is not None
        require_holder(case, staff_id)
        handler = dispatch.retry_handlers().get(case.kind)
        if handler is None or txn is None:
            raise AppError("case_not_retryable")
        if txn.status in SETTLED:
            raise AppError("case_transaction_settled")
        if not _set_txn_status(txn, "retrying", ("needs_follow_up", "retrying")):
            raise AppError("case_transaction_settled")
        error: str | None = None
        try:
            handler(_message_of(case, txn))
        except Exception as exc:  # the redo failed again: recorded, the case stays open with the agent
            error = str(exc) or type(exc).__name__
            logger.warning("agent retry failed", extra={"staff_id": staff_id, "error": error})
        after = _load(customer_id, transaction_id)
        assert after.case is not None
        at = clock.iso()
        if after.transaction is not None and after.transaction.status == "completed":
            tx = Tx()
            tx.update(
                "case", FollowUpCaseItem(pk=case.pk, sk=case.sk),
                [
                    FollowUpCaseItem.status.set("resolved"),
                    FollowUpCaseItem.resolution.set("completed_by_retry"),
                    FollowUpCaseItem.resolved_by.set(staff_id),
                    FollowUpCaseItem.resolved_at.set(at),
                    FollowUpCaseItem.updated_at.set(at),
                    FollowUpCaseItem.gsi2pk.set(f"{QUEUE_PREFIX}resolved"),
                    append_to(FollowUpCaseItem.actions, {"at": at, "by": staff_id, "action": "retried", "ok": True}),
                ],
                (FollowUpCaseItem.status == "claimed") & (FollowUpCaseItem.claimed_by == staff_id),
            )
            notifications.put_in(tx, customer_id, "completed",
                                 {"transaction_id": transaction_id, "status": "completed", "kind": case.kind})
            completed_in(tx, case, staff_id, at)
            try:
                tx.commit()
            except TxCancelled as exc:
                raise_for_cancelled(exc, customer_id, transaction_id, staff_id)
            metrics.add_metric(name="CasesResolved", unit="Count", value=1)
            metrics.add_metric(name="AgentRetrySucceeded", unit="Count", value=1)
            logger.info("agent retry completed the transaction", extra={"staff_id": staff_id})
            outcome: dict[str, Any] = {"ok": True}
        else:
            error = error or "the retry did not complete the transaction"
            attempt = {"at": at, "ok": False, "where": "agent_retry", "by": staff_id, "error": error[:500]}
            # The kind's handler may record its own failed attempt on the transaction; if it did not, record it here.
            before = len(_attempts(txn.attempts))
            recorded = after.transaction is not None and len(_attempts(after.transaction.attempts)) > before
            _set_txn_status(txn, "needs_follow_up", ("retrying",), None if recorded else attempt)
            failed = len(_attempts(after.transaction.attempts)) if after.transaction is not None else 0
            FollowUpCaseItem(pk=case.pk, sk=case.sk).update(
                actions=[append_to(FollowUpCaseItem.actions,
                                 {"at": at, "by": staff_id, "action": "retried", "ok": False, "error": error[:500]}),
                         FollowUpCaseItem.last_error.set(error[:500]), FollowUpCaseItem.updated_at.set(at),
                         FollowUpCaseItem.attempt_count.set(failed + (0 if recorded else 1))],
                add_version_condition=False,
            )
            metrics.add_metric(name="AgentRetryFailed", unit="Count", value=1)
            outcome = {"ok": False, "error": error[:500]}
        view = case_view(require_case(customer_id, transaction_id), staff_id)
        view["retry"] = outcome
        return view
