"""Maker-checker: a staff change of points over ``APPROVAL_THRESHOLD_POINTS`` (a compensation, an adjustment) or of
money over ``APPROVAL_THRESHOLD_FEN`` (a Plus refund) waits for a second staff member.

The maker's request writes an ``ApprovalItem`` (pending) and moves nothing. A supervisor or admin other than the maker
approves or rejects it with a reason. Approving runs the change in one transaction with the approval's own update,
conditioned on the approval still being pending: of two decisions at once (approve and approve, approve and reject)
exactly one commits, so the change is made at most once; the loser is 409 ``approval_decided``. Rejecting is the same
conditional update without the change. The maker cannot decide their own request (403 ``self_approval``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock, idempotency, results
from chalicelib.core.area import installed, resolve
from chalicelib.core.audit import scope as audit
from chalicelib.core.config import settings
from chalicelib.core.dynamo import paging
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.results import Result
from chalicelib.points.models import ApprovalItem

SK = "APPROVAL"
STATUSES = ("pending", "approved", "rejected")
LABEL = "approval"


def needs_approval(points: int) -> bool:
    return abs(points) > settings().approval_threshold_points


def money_needs_approval(amount_fen: int) -> bool:
    return amount_fen > settings().approval_threshold_fen


def _pk(approval_id: str) -> str:
    return f"APPROVAL#{approval_id}"


def _listed(status: str) -> str:
    return f"APPROVALS#{status}"


def view(item: ApprovalItem) -> dict[str, Any]:
    return {"approval_id": item.approval_id, "kind": item.kind, "customer_id": item.customer_id,
            "points": int(item.points), "amount_fen": int(item.amount_fen) if item.amount_fen is not None else None,
            "reason": item.reason, "reference": item.reference, "case_id": item.case_id,
            "maker": item.maker, "status": item.status, "created_at": item.created_at,
            "decided_by": item.decided_by, "decided_at": item.decided_at, "decision_reason": item.decision_reason}


def pending_view(item: ApprovalItem) -> dict[str, Any]:
    """What the maker is answered: nothing moved yet."""
    return {"approval_id": item.approval_id, "status": "pending_approval", "kind": item.kind,
            "reference": item.reference, "points": int(item.points),
            "amount_fen": int(item.amount_fen) if item.amount_fen is not None else None}


def new_item(kind: str, customer_id: str, points: int, reason: str, maker: str, maker_role: str, reference: str,
             case_id: str | None = None, amount_fen: int | None = None) -> ApprovalItem:
    approval_id = "apr_" + secrets.token_hex(10)
    now = clock.iso()
    return ApprovalItem(
        pk=_pk(approval_id), sk=SK, approval_id=approval_id, kind=kind, customer_id=customer_id, points=points,
        reason=reason, reference=reference, case_id=case_id, amount_fen=amount_fen, maker=maker,
        maker_role=maker_role, status="pending",
        created_at=now, gsi1pk=_listed("pending"), gsi1sk=f"{now}#{approval_id}", gsi2pk=of_member(customer_id),
        gsi2sk=f"{now}#{approval_id}")


def of_member(customer_id: str) -> str:
    return f"APPROVALSOF#{customer_id}"


def ask(kind: str, customer_id: str, points: int, reason: str, maker: str, maker_role: str, reference: str, *,
        case_id: str | None = None, req: idempotency.Request | None = None, amount_fen: int | None = None) -> Result:
    """Write the pending request (with the maker's Idempotency-Key record, if any): 202, nothing moved."""
    from chalicelib.points import reading

    if not reading.load_member(customer_id):
        raise AppError("not_found")
    item = new_item(kind, customer_id, points, reason, maker, maker_role, reference, case_id, amount_fen)
    tx = Tx().put(LABEL, item, ApprovalItem.pk.does_not_exist())
    if req is not None:
        idempotency.record_in(tx, req, "accepted", pending_view(item))
    try:
        tx.commit()
    except TxCancelled as exc:
        if (replayed := idempotency.replay_if_recorded(req, exc)) is not None:
            return replayed
        raise
    logger.info("staff change waits for approval", extra={"approval_id": item.approval_id, "kind": kind})
    return results.accepted(pending_view(item))


def listing(status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """Oldest first (the queue a supervisor works through), one Query a page."""
    start = None
    if cursor:
        sk = paging.decode_cursor(cursor, "")
        start = {"pk": _pk(sk.rsplit("#", 1)[-1]), "sk": SK, "gsi1pk": _listed(status), "gsi1sk": sk}
    raw, more = paging.index_page("gsi1", _listed(status), limit, start=start)
    items = [ApprovalItem.from_raw_data(r) for r in raw]
    return {"items": [view(i) for i in items],
            "next_cursor": paging.encode_cursor(items[-1].gsi1sk) if more and items else None}


def _load(approval_id: str) -> ApprovalItem:
    if not approval_id.startswith("apr_") or len(approval_id) > 64:
        raise AppError("not_found")
    try:
        return ApprovalItem.get(_pk(approval_id), SK, consistent_read=True)
    except ApprovalItem.DoesNotExist:
        raise AppError("not_found") from None


def _decision(item: ApprovalItem, status: str, checker: str, reason: str) -> list[Any]:
    now = clock.iso()
    return [ApprovalItem.status.set(status), ApprovalItem.decided_by.set(checker), ApprovalItem.decided_at.set(now),
            ApprovalItem.decision_reason.set(reason), ApprovalItem.gsi1pk.set(_listed(status)),
            ApprovalItem.gsi1sk.set(f"{now}#{item.approval_id}")]


def _executor(kind: str) -> Callable[[ApprovalItem, Callable[[Tx], object]], dict[str, Any]]:
    """The area that declared the kind in its manifest (``Area.approvals``) runs it."""
    for area in installed():
        if kind in area.approvals:
            executor: Callable[[ApprovalItem, Callable[[Tx], object]], dict[str, Any]] = resolve(area.approvals[kind])
            return executor
    raise RuntimeError(f"no area runs approvals of kind {kind!r}")


def decide(approval_id: str, checker: str, approve: bool, reason: str) -> dict[str, Any]:
    """Approve (the change runs, once) or reject; 403 ``self_approval``, 409 ``approval_decided``."""
    item = _load(approval_id)
    audit.about(item.customer_id)
    audit.note(before={"status": item.status}, after={"status": "approved" if approve else "rejected"},
               approval={"kind": item.kind, "points": int(item.points), "maker": item.maker})
    if item.maker == checker:
        raise AppError("self_approval")
    if item.status != "pending":
        raise AppError("approval_decided")
    actions = _decision(item, "approved" if approve else "rejected", checker, reason)
    still_pending = ApprovalItem.status == "pending"
    if not approve:
        try:
            ApprovalItem(pk=item.pk, sk=SK).update(actions=actions, condition=still_pending)
        except UpdateError:
            raise AppError("approval_decided") from None
        return view(_load(approval_id))

    def decide_in(tx: Tx) -> None:
        tx.update(LABEL, ApprovalItem(pk=item.pk, sk=SK), actions, still_pending)

    used: list[bool] = []

    def decide_in_tracked(tx: Tx) -> None:
        used.append(True)
        decide_in(tx)

    try:
        outcome = _executor(item.kind)(item, decide_in_tracked)
        if not used:  # the change was already made (a refund asked twice): the decision is recorded on its own
            try:
                ApprovalItem(pk=item.pk, sk=SK).update(actions=actions, condition=still_pending)
            except UpdateError:
                raise AppError("approval_decided") from None
    except TxCancelled as exc:
        if LABEL in exc.failed:
            raise AppError("approval_decided") from None
        raise
    logger.info("staff change approved", extra={"approval_id": approval_id, "kind": item.kind})
    return {**view(_load(approval_id)), **outcome}
