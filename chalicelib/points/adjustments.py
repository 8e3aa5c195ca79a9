"""Admin adjustments: a correction with a reason, maker-checker above a threshold, the ``ADJLOG`` audit trail."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from chalicelib.core import idempotency, results
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.points import approvals, committing, reading
from chalicelib.points.earn_and_spend import expiry_for
from chalicelib.points.models import AdjustmentItem, ApprovalItem
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState
from chalicelib.points.rules import InsufficientPoints

# --- admin adjustments --------------------------------------------------------------------------------------------


ADJUST_SCOPE = "POST /v1/admin/points/adjustments"


def adjustment_view(item: AdjustmentItem) -> dict[str, Any]:
    return {
        "adjustment_id": item.adjustment_id,
        "customer_id": item.customer_id,
        "delta": int(item.delta),
        "reason": item.reason,
        "balance_after": int(item.balance_after),
        "created_by": item.created_by,
        "created_at": item.created_at,
    }


def adjust(
    customer_id: str, delta: int, reason: str, staff_id: str, idempotency_key: str | None = None,
    staff_role: str = "admin",
) -> Result:
    """An admin's correction with a reason; who, what and when stay on the ledger entry and an ``ADJ#`` record.

    With an ``Idempotency-Key`` (the shared mechanism, the record kept under the admin's own partition, so a key
    names one adjustment whichever member it was for) a repeat replays the first adjustment and the same key with
    another body is 422.
    """
    req = None
    if idempotency_key:
        req = idempotency.Request(keys.staff_pk(staff_id), ADJUST_SCOPE, idempotency_key, idempotency.hash_payload(
            {"customer_id": customer_id, "delta": delta, "reason": reason}))
        stored = idempotency.get(req)
        if stored is not None:
            return idempotency.replay_response(stored)
    adjustment_id = "adj_" + secrets.token_hex(12)
    if approvals.needs_approval(delta):  # maker-checker: a second staff member approves it first (202)
        return approvals.ask("adjustment", customer_id, delta, reason, staff_id, staff_role, adjustment_id, req=req)
    return _apply_adjustment(customer_id, delta, reason, staff_id, adjustment_id, req)


def execute_approved(approval: ApprovalItem, decide: Callable[[Tx], object]) -> dict[str, Any]:
    """Run an approved adjustment: ``decide`` adds the approval's own conditional update to the same transaction."""
    result = _apply_adjustment(approval.customer_id, int(approval.points), approval.reason, approval.maker,
                               approval.reference, None, decide)
    return {"balance_after": int(result.body["balance_after"])}


def _apply_adjustment(customer_id: str, delta: int, reason: str, staff_id: str, adjustment_id: str,
                      req: idempotency.Request | None, decide: Callable[[Tx], object] | None = None) -> Result:
    on = reading.today()
    expires_on = expiry_for(on)

    def plan(state: PointsState) -> Plan:
        if delta > 0:
            change = state.account.earn(delta, expires_on, kind="adjustment", reference=adjustment_id, today=on)
        else:
            try:
                change = state.account.spend(-delta, kind="adjustment", reference=adjustment_id, today=on)
            except InsufficientPoints as exc:
                raise AppError(
                    "insufficient_points", details=[{"field": "delta", "issue": f"balance is {exc.balance}"}]
                ) from None
        at = reading.now_iso()
        record = AdjustmentItem(
            pk=f"ADJ#{adjustment_id}", sk="ADJ", adjustment_id=adjustment_id, customer_id=state.customer_id,
            delta=delta, reason=reason, created_by=staff_id, created_at=at, balance_after=change.account.balance,
            gsi1pk="ADJLOG", gsi1sk=f"{at}#{adjustment_id}",
        )

        def add(tx: Tx) -> None:
            tx.put("adjustment", record, AdjustmentItem.pk.does_not_exist())
            if req is not None:
                idempotency.record_in(tx, req, "created", adjustment_view(record))
            if decide is not None:
                decide(tx)

        return Plan(change, entry_fields={"actor": staff_id, "reason": reason}, add=add, result=record)

    try:
        outcome = committing.execute(customer_id, plan)
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        raise
    logger.info(
        "points adjusted",
        extra={"customer_id": customer_id, "delta": delta, "staff_id": staff_id, "adjustment_id": adjustment_id},
    )
    return results.created(adjustment_view(outcome.plan.result))


def list_adjustments(limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first, from the ``ADJLOG`` partition of ``gsi1`` (the audit trail of adjustments)."""
    start = None
    if cursor:
        sk = paging.decode_cursor(cursor, "")
        start = {"pk": f"ADJ#{sk.rsplit('#', 1)[-1]}", "sk": "ADJ", "gsi1pk": "ADJLOG", "gsi1sk": sk}
    raw, more = paging.index_page("gsi1", "ADJLOG", limit, ascending=False, start=start)
    items = [AdjustmentItem.from_raw_data(r) for r in raw]
    return {
        "items": [adjustment_view(i) for i in items],
        "next_cursor": paging.encode_cursor(items[-1].gsi1sk) if more and items else None,
    }
