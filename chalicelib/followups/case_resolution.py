"""Resolving a case: completed by hand, refunded or cancelled, exactly once.

Resolving moves the transaction (``completed`` / ``refunded`` / ``failed``), writes the member's notification and,
per kind (its area's ``FollowUpHooks``: see ``chalicelib/mall/hooks.py``), settles the business record -- all in
one transaction conditioned on the case still being claimed by that agent, so a resolution (and a refund) happens
exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.core import clock, notifications, services
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry.transactions import TransactionItem
from chalicelib.followups.action_guards import append_to, busy_is_503, require_case, require_holder
from chalicelib.followups.cases import (
    NO_TRANSACTION_KINDS,
    NOTIFY,
    SETTLED,
    TRANSACTION_STATUS,
    UNSETTLED,
    _hook,
    _load,
    case_view,
    parse_case_id,
)
from chalicelib.followups.intake import transaction_log_keys
from chalicelib.followups.models import QUEUE_PREFIX, FollowUpCaseItem

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
            append_to(FollowUpCaseItem.actions, {"at": at, "by": staff_id, "action": "resolved",
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
        require_holder(again.case, staff_id)
        raise AppError("case_claimed_by_other") from None
    if exc.failed - {"case"}:
        raise AppError("case_transaction_settled") from None
    raise exc


def resolve(case_id: str, staff_id: str, resolution: str, note: str | None, *, render: bool = True
            ) -> dict[str, Any]:
    """The case page after resolving (with ``compensation`` for a refund); with ``render=False`` only
    ``{"status", "resolution", "compensation"}`` (bulk resolve: no reads for a page)."""
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), busy_is_503():
        loaded = require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        require_holder(case, staff_id)
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
        view = case_view(require_case(customer_id, transaction_id), staff_id)
        if outcome:
            view["compensation"] = outcome
        return view
