"""Agents acting on a case: claim, release, note, resolve, retry now.

``claim`` (one agent at a time: a conditional write; the same agent claiming again is a no-op, another agent gets
409), ``release``, ``add_note`` (any agent), ``retry_now`` and ``resolve`` (the claiming agent only). Every action is
appended to the case's ``actions`` (who, what, when) in the write that does it. Resolving moves the transaction
(``completed`` / ``refunded`` / ``failed``), writes the member's notification and, per kind (its area's
``FollowUpHooks``: see ``chalicelib/mall/follow_up.py``), settles the business record -- all in one transaction
conditioned on the case still being claimed by that agent, so a resolution (and a refund) happens exactly once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core import clock, notifications, services
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry import dispatch
from chalicelib.core.retry.transactions import TransactionItem
from chalicelib.followups.cases import (
    MAX_NOTE,
    NO_TRANSACTION_KINDS,
    NOTIFY,
    SETTLED,
    TRANSACTION_STATUS,
    UNSETTLED,
    Loaded,
    _attempts,
    _hook,
    _load,
    case_view,
    parse_case_id,
)
from chalicelib.followups.intake import transaction_log_keys
from chalicelib.followups.models import CASE_PREFIX, QUEUE_PREFIX, FollowUpCaseItem

Settler = Callable[[Tx, FollowUpCaseItem, str, str], None]


@dataclass
class Resolution:
    """What resolving a case writes besides the kind's own items: handed to a compensator, which commits it."""

    case: FollowUpCaseItem
    transaction: TransactionItem | None
    staff_id: str
    resolution: str
    note: str | None
    at: str

    def close_in(self, tx: Tx) -> None:
        close_in(tx, self.case, self.transaction, self.staff_id, self.resolution, self.note, self.at)


Compensator = Callable[[Resolution], dict[str, Any]]


def _action(staff_id: str, action: str, **detail: Any) -> dict[str, Any]:
    return {"at": clock.iso(), "by": staff_id, "action": action, **{k: v for k, v in detail.items() if v is not None}}


def _append(attribute: Any, entry: dict[str, Any]) -> Any:
    return attribute.set((attribute | []).append([entry]))


def _require_case(customer_id: str, transaction_id: str) -> Loaded:
    loaded = _load(customer_id, transaction_id)
    if loaded.case is None:
        raise AppError("not_found")
    return loaded


def _require_holder(case: FollowUpCaseItem, staff_id: str) -> None:
    if case.status == "resolved":
        raise AppError("case_already_resolved")
    if case.status != "claimed":
        raise AppError("case_not_claimed")
    if case.claimed_by != staff_id:
        raise AppError("case_claimed_by_other")


def _failed_condition(exc: Exception) -> bool:
    cause = getattr(exc, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


@contextlib.contextmanager
def _busy_is_503() -> Iterator[None]:
    """DynamoDB throttling (after the SDK's own retries) is 503 with Retry-After: safe to repeat, nothing half-done."""
    try:
        yield
    except AppError:
        raise
    except Exception as exc:
        if retry.is_throttled(exc):
            logger.warning("DynamoDB throttled an agent action", exc_info=True)
            raise AppError("service_unavailable", retry_after=1) from None
        raise


def claim(case_id: str, staff_id: str, *, render: bool = True) -> dict[str, Any]:
    """The case page after claiming; with ``render=False`` only ``{"status", "claimed_now"}`` (no reads for a page:
    bulk resolve)."""
    customer_id, transaction_id = parse_case_id(case_id)

    def answer(loaded: Loaded, claimed_now: bool) -> dict[str, Any]:
        return case_view(loaded, staff_id) if render else {"status": "claimed", "claimed_now": claimed_now}

    with transaction_log_keys(transaction_id, case_id=case_id), _busy_is_503():
        loaded = _require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        if case.status == "resolved":
            raise AppError("case_already_resolved")
        if case.status == "claimed":
            if case.claimed_by == staff_id:
                return answer(loaded, False)
            raise AppError("case_claimed_by_other")
        at = clock.iso()
        actions = [
            FollowUpCaseItem.status.set("claimed"),
            FollowUpCaseItem.claimed_by.set(staff_id),
            FollowUpCaseItem.claimed_at.set(at),
            FollowUpCaseItem.updated_at.set(at),
            FollowUpCaseItem.gsi2pk.set(f"{QUEUE_PREFIX}claimed"),
            _append(FollowUpCaseItem.actions, _action(staff_id, "claimed", detail="contact revealed to the claimant")),
        ]
        if not case.first_response_at:
            actions.append(FollowUpCaseItem.first_response_at.set(at))
        try:
            case.update(actions=actions, condition=FollowUpCaseItem.status == "open", add_version_condition=False)
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise
            again = _require_case(customer_id, transaction_id)
            assert again.case is not None
            if again.case.status == "claimed" and again.case.claimed_by == staff_id:
                return answer(again, False)
            raise AppError(
                "case_already_resolved" if again.case.status == "resolved" else "case_claimed_by_other"
            ) from None
        logger.info("case claimed", extra={"staff_id": staff_id})
        loaded.case = case
        return answer(loaded, True)


def release(case_id: str, staff_id: str, note: str | None = None) -> dict[str, Any]:
    """Give a claimed case back to the queue (the claimant only)."""
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), _busy_is_503():
        loaded = _require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        _require_holder(case, staff_id)
        at = clock.iso()
        try:
            case.update(
                actions=[
                    FollowUpCaseItem.status.set("open"),
                    FollowUpCaseItem.claimed_by.remove(),
                    FollowUpCaseItem.claimed_at.remove(),
                    FollowUpCaseItem.updated_at.set(at),
                    FollowUpCaseItem.gsi2pk.set(f"{QUEUE_PREFIX}open"),
                    _append(FollowUpCaseItem.actions, _action(staff_id, "released", note=note)),
                ],
                condition=(FollowUpCaseItem.status == "claimed") & (FollowUpCaseItem.claimed_by == staff_id),
                add_version_condition=False,
            )
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise
            raise AppError("case_claimed_by_other") from None
        loaded.case = case
        return case_view(loaded, staff_id)


def add_note(case_id: str, staff_id: str, text: str) -> dict[str, Any]:
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), _busy_is_503():
        at = clock.iso()
        note = {"at": at, "by": staff_id, "text": text[:MAX_NOTE]}
        case = FollowUpCaseItem(pk=keys.customer_pk(customer_id), sk=f"{CASE_PREFIX}{transaction_id}")
        try:
            case.update(
                actions=[
                    _append(FollowUpCaseItem.notes, note),
                    _append(FollowUpCaseItem.actions, _action(staff_id, "note_added")),
                    FollowUpCaseItem.updated_at.set(at),
                ],
                condition=FollowUpCaseItem.pk.exists(),
                add_version_condition=False,
            )
        except UpdateError as exc:
            if not _failed_condition(exc):
                raise
            raise AppError("not_found") from None
        return case_view(_require_case(customer_id, transaction_id), staff_id)


def close_in(
    tx: Tx,
    case: FollowUpCaseItem,
    txn: TransactionItem | None,
    staff_id: str,
    resolution: str,
    note: str | None,
    at: str,
) -> None:
    """Add to ``tx``: the case resolved (conditioned on ``staff_id`` still holding it), the transaction's new status
    (conditioned on it being unsettled) and the member's notification."""
    txn_status = TRANSACTION_STATUS[resolution]
    tx.update(
        "case", FollowUpCaseItem(pk=case.pk, sk=case.sk),
        [
            FollowUpCaseItem.status.set("resolved"),
            FollowUpCaseItem.resolution.set(resolution),
            FollowUpCaseItem.resolved_by.set(staff_id),
            FollowUpCaseItem.resolved_at.set(at),
            FollowUpCaseItem.updated_at.set(at),
            FollowUpCaseItem.gsi2pk.set(f"{QUEUE_PREFIX}resolved"),
            *([FollowUpCaseItem.resolution_note.set(note)] if note else []),
            _append(FollowUpCaseItem.actions, {"at": at, "by": staff_id, "action": "resolved",
                                               "resolution": resolution, **({"note": note} if note else {})}),
        ],
        (FollowUpCaseItem.status == "claimed") & (FollowUpCaseItem.claimed_by == staff_id),
    )
    if txn is not None:
        actions = [TransactionItem.status.set(txn_status), TransactionItem.updated_at.set(at)]
        if txn_status == "completed":
            actions.append(TransactionItem.completed_at.set(at))
        tx.update("txn", TransactionItem(pk=txn.pk, sk=txn.sk), actions, TransactionItem.status.is_in(*UNSETTLED))
    if case.kind in NO_TRANSACTION_KINDS:
        return
    notifications.put_in(tx, case.customer_id, NOTIFY[txn_status],
                         {"transaction_id": case.transaction_id, "status": txn_status, "kind": case.kind})
    completed_in(tx, case, staff_id, at)


def completed_in(tx: Tx, case: FollowUpCaseItem, staff_id: str, at: str) -> None:
    """The case was a service to the member: whoever listens (the surveys area) adds its items to ``tx``."""
    title = str((case.subject or {}).get("name") or case.kind)
    services.completed_in(tx, services.Completion(
        kind="case", customer_id=case.customer_id, service_id=case.case_id, title=title, at=at,
        groups={"agent": staff_id}, detail={"case_kind": case.kind}))


def raise_for_cancelled(exc: TxCancelled, customer_id: str, transaction_id: str, staff_id: str) -> None:
    """Map a cancelled resolution to the agent's 409 (or re-raise what is not ours to explain)."""
    if "case" in exc.failed:
        again = _load(customer_id, transaction_id)
        assert again.case is not None
        if again.case.status == "resolved":
            raise AppError("case_already_resolved") from None
        _require_holder(again.case, staff_id)
        raise AppError("case_claimed_by_other") from None
    if exc.failed - {"case"}:
        raise AppError("case_transaction_settled") from None
    raise exc


def resolve(case_id: str, staff_id: str, resolution: str, note: str | None, *, render: bool = True
            ) -> dict[str, Any]:
    """The case page after resolving (with ``compensation`` for a refund); with ``render=False`` only
    ``{"status", "resolution", "compensation"}`` (bulk resolve: no reads for a page)."""
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), _busy_is_503():
        loaded = _require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        _require_holder(case, staff_id)
        txn = loaded.transaction
        if txn is not None and txn.status in SETTLED:
            raise AppError("case_transaction_settled")
        at = clock.iso()
        res = Resolution(case, txn, staff_id, resolution, note, at)
        outcome: dict[str, Any] = {}
        if resolution == "refunded":
            compensator = _hook(case.kind, "compensate")
            if compensator is None:
                raise AppError("case_not_refundable")
            try:
                outcome = compensator(res)
            except TxCancelled as exc:
                raise_for_cancelled(exc, customer_id, transaction_id, staff_id)
        else:
            tx = Tx()
            settler = _hook(case.kind, "settle")
            if settler is not None:
                settler(tx, case, resolution, at)
            res.close_in(tx)
            try:
                tx.commit()
            except TxCancelled as exc:
                raise_for_cancelled(exc, customer_id, transaction_id, staff_id)
        logger.info("case resolved", extra={"staff_id": staff_id, "resolution": resolution, **outcome})
        metrics.add_metric(name="CasesResolved", unit="Count", value=1)
        metrics.add_metric(name=f"CasesResolved_{resolution}", unit="Count", value=1)
        if not render:
            return {"status": "resolved", "resolution": resolution, "compensation": outcome or None}
        view = case_view(_require_case(customer_id, transaction_id), staff_id)
        if outcome:
            view["compensation"] = outcome
        return view


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
        actions.append(_append(TransactionItem.attempts, attempt))
    try:
        TransactionItem(pk=txn.pk, sk=txn.sk).update(
            actions=actions, condition=TransactionItem.status.is_in(*expect), add_version_condition=False
        )
    except UpdateError as exc:
        if _failed_condition(exc):
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
    with transaction_log_keys(transaction_id, case_id=case_id), _busy_is_503():
        loaded = _require_case(customer_id, transaction_id)
        case, txn = loaded.case, loaded.transaction
        assert case is not None
        _require_holder(case, staff_id)
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
                    _append(FollowUpCaseItem.actions, {"at": at, "by": staff_id, "action": "retried", "ok": True}),
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
                actions=[_append(FollowUpCaseItem.actions,
                                 {"at": at, "by": staff_id, "action": "retried", "ok": False, "error": error[:500]}),
                         FollowUpCaseItem.last_error.set(error[:500]), FollowUpCaseItem.updated_at.set(at),
                         FollowUpCaseItem.attempt_count.set(failed + (0 if recorded else 1))],
                add_version_condition=False,
            )
            metrics.add_metric(name="AgentRetryFailed", unit="Count", value=1)
            outcome = {"ok": False, "error": error[:500]}
        view = case_view(_require_case(customer_id, transaction_id), staff_id)
        view["retry"] = outcome
        return view
