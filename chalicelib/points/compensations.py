"""Agents compensate a member directly (the source documents' "virtual service group": the agent who hears the member
makes it right): points into the ledger as kind ``compensation``, with the agent and the reason on the entry. Over
``APPROVAL_THRESHOLD_POINTS`` the compensation waits for a supervisor (``approvals.py``)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from chalicelib.core import idempotency, results
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.points import approvals, committing, reading
from chalicelib.points.models import ApprovalItem
from chalicelib.points.planning import Plan
from chalicelib.points.reading import PointsState

SCOPE = "POST /v1/agent/members/{customer_id}/compensations"
KIND = "compensation"


def compensate(customer_id: str, points: int, reason: str, case_id: str | None, staff_id: str, role: str,
               idempotency_key: str) -> Result:
    """201 ``{compensation_id, status: done, balance_after}``, or 201 ``status: pending_approval`` over the
    threshold (nothing moved). A repeat with the same Idempotency-Key answers the first answer."""
    req = idempotency.request(keys.staff_pk(staff_id), SCOPE, idempotency_key,
                              {"customer_id": customer_id, "points": points, "reason": reason, "case_id": case_id})
    stored = idempotency.get(req)
    if stored is not None:
        return idempotency.replay_response(stored)
    compensation_id = "cmp_" + secrets.token_hex(10)
    if approvals.needs_approval(points):
        item = approvals.new_item(KIND, customer_id, points, reason, staff_id, role, compensation_id, case_id)
        body = {"compensation_id": compensation_id, "status": "pending_approval", "points": points,
                "approval_id": item.approval_id, "balance_after": None}
        if not reading.load_member(customer_id):
            raise AppError("not_found")
        tx = Tx().put(approvals.LABEL, item, ApprovalItem.pk.does_not_exist())
        idempotency.record_in(tx, req, "created", body)
        return _commit(tx, req, body)

    def record(tx: Tx, body: dict[str, Any]) -> None:
        idempotency.record_in(tx, req, "created", body)

    try:
        balance = _credit(customer_id, points, reason, staff_id, compensation_id, record)
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        raise
    return results.created({"compensation_id": compensation_id, "status": "done", "points": points,
                            "approval_id": None, "balance_after": balance})


def _commit(tx: Tx, req: idempotency.Request, body: dict[str, Any]) -> Result:
    return idempotency.commit_or_replay(tx, req) or results.created(body)


def _credit(customer_id: str, points: int, reason: str, staff_id: str, compensation_id: str,
            add: Callable[[Tx, dict[str, Any]], object]) -> int:
    on = reading.today()

    def plan(state: PointsState) -> Plan:
        from chalicelib.points.earn_and_spend import expiry_for

        change = state.account.earn(points, expiry_for(on), kind=KIND, reference=compensation_id, today=on)
        body = {"compensation_id": compensation_id, "status": "done", "points": points, "approval_id": None,
                "balance_after": change.account.balance}
        return Plan(change, entry_fields={"actor": staff_id, "reason": reason}, add=lambda tx: add(tx, body))

    outcome = committing.execute(customer_id, plan)
    logger.info("member compensated", extra={"customer_id": customer_id, "points": points,
                                             "compensation_id": compensation_id})
    return outcome.balance_after


def execute_approved(approval: ApprovalItem, decide: Callable[[Tx], object]) -> dict[str, Any]:
    balance = _credit(approval.customer_id, int(approval.points), approval.reason, approval.maker,
                      approval.reference, lambda tx, _body: decide(tx))
    return {"balance_after": balance}
