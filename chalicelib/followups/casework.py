"""Follow-up cases: a transaction that ran out of retries becomes a case in front of an agent.

Opening (``open_case``, the follow-up queue's handler)
    The retry queue's redrive policy moves a message that failed its last retry, unchanged, to the follow-up
    queue. Its handler reads the case, the transaction and the member's profile in one consistent BatchGetItem,
    then writes in one transaction: the case (put if absent: one case per transaction, however often the message
    is delivered), the transaction's status ``needs_follow_up`` and a notification to the member. A transaction
    that completed meanwhile (a late retry, an agent) gets no case. Priority is the member's tier rank; the case
    must get a first response within 15 minutes (``respond_by``) and be closed within 24 hours (``close_by``).

The agents' queue
    ``gsi2`` partition ``FOLLOWUP#<status>``, sort key ``<99 - rank>#<opened_at>#<case_id>``: one Query gives the
    highest tier first, then the oldest. No Scan.

Acting on a case
    ``claim`` (one agent at a time: a conditional write; the same agent claiming again is a no-op, another agent
    gets 409), ``release``, ``add_note`` (any agent), ``retry_now`` and ``resolve`` (the claiming agent only).
    Every action is appended to the case's ``actions`` (who, what, when) in the write that does it. Resolving
    moves the transaction (``completed`` / ``refunded`` / ``failed``), writes the member's notification and, per
    kind (its area's ``FollowUpHooks``: see ``chalicelib/mall/follow_up.py``), settles the business record -- all in
    one transaction conditioned on the case still being claimed by that agent, so a resolution (and a refund)
    happens exactly once.

Contact
    The member's phone is masked on the case page unless the caller holds the claim: the agent who is going to
    call back sees the number, the rest of the floor does not. The claim itself is the audited moment (its
    action says the contact was revealed to that agent).
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core import area, clock, notifications
from chalicelib.core.area import Section360
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, paging, retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.core.redaction import mask_phone
from chalicelib.core.retry import dispatch
from chalicelib.core.retry.transactions import TXN_PREFIX, TransactionItem
from chalicelib.followups.models import CASE_PREFIX, QUEUE_PREFIX, FollowUpCaseItem
from chalicelib.identity.models import PROFILE_SK, CustomerItem
from chalicelib.points import accounts
from chalicelib.points.bookkeeping import MemberItems
from chalicelib.points.models import POINTS_SK, PointsStateItem
from chalicelib.points.tiers import TierDefinition

RESPOND_WITHIN = timedelta(minutes=15)
CLOSE_WITHIN = timedelta(hours=24)
STATUSES = ("open", "claimed", "resolved")
RESOLUTIONS = ("completed_manually", "refunded", "cancelled")
# The transaction's status after each resolution (the outline's transaction statuses).
TRANSACTION_STATUS = {"completed_manually": "completed", "refunded": "refunded", "cancelled": "failed",
                      "completed_by_retry": "completed"}
NOTIFY = {"completed": "completed", "refunded": "refunded", "failed": "failed"}
SETTLED = frozenset({"completed", "refunded", "failed"})
UNSETTLED = ("pending", "retrying", "needs_follow_up")
MAX_NOTE = 2000
OPEN_ATTEMPTS = 5
_ID_PART = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


class MalformedMessage(ValueError):
    """A follow-up message without ``transaction_id``/``customer_id``: it fails, and after the follow-up queue's
    own retries lands in its dead-letter queue -- never dropped silently."""


# --- keys ---------------------------------------------------------------------------------------------------------


def case_id_for(customer_id: str, transaction_id: str) -> str:
    return f"fu.{customer_id}.{transaction_id}"


def parse_case_id(case_id: str) -> tuple[str, str]:
    """``(customer_id, transaction_id)`` of a case ID; anything else is 404 (never a 500)."""
    prefix, _, rest = case_id.partition(".")
    customer_id, _, transaction_id = rest.partition(".")
    if prefix != "fu" or not _ID_PART.match(customer_id) or not _ID_PART.match(transaction_id):
        raise AppError("not_found")
    return customer_id, transaction_id


def case_key(customer_id: str, transaction_id: str) -> tuple[str, str]:
    return f"CUST#{customer_id}", f"{CASE_PREFIX}{transaction_id}"


def queue_sort_key(rank: int, opened_at: str, case_id: str) -> str:
    return f"{99 - max(0, min(99, rank)):02d}#{opened_at}#{case_id}"


# --- hooks per transaction kind --------------------------------------------------------------------------------------

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


def _hook(kind: str, which: str) -> Any:
    """The ``which`` hook (settle, compensate, describe) the owning area declares for ``kind``, or None."""
    hooks = dispatch.followup_hooks().get(kind)
    ref = getattr(hooks, which) if hooks is not None else None
    return area.resolve(ref) if ref else None


# --- the delivery being handled (set by the SQS wrapper: receive count, first send) --------------------------------


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


# --- reading --------------------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    case: FollowUpCaseItem | None
    transaction: TransactionItem | None
    profile: CustomerItem | None
    points: PointsStateItem | None = None

    def held_tier(self) -> TierDefinition | None:
        """The tier the member holds today (``points.accounts.held_tier``), None for an unknown member."""
        if self.profile is None:
            return None
        return accounts.held_tier(MemberItems(self.profile.customer_id, self.profile, self.points, []))


def _load(customer_id: str, transaction_id: str, *, consistent: bool = True) -> Loaded:
    """The case, its transaction, the member's profile and points state: one BatchGetItem (same partition)."""
    pk = keys.customer_pk(customer_id)
    sks = {f"{CASE_PREFIX}{transaction_id}": "case", f"{TXN_PREFIX}{transaction_id}": "txn", PROFILE_SK: "profile",
           POINTS_SK: "points"}
    table = settings().table_name
    request: dict[str, Any] = {
        table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for sk in sks], "ConsistentRead": consistent}
    }
    found: dict[str, dict[str, Any]] = {}
    client = shared_connection().client
    while request:
        page = client.batch_get_item(RequestItems=request)
        for raw in page.get("Responses", {}).get(table, []):
            found[sks[raw["sk"]["S"]]] = raw
        request = page.get("UnprocessedKeys") or {}
    return Loaded(
        FollowUpCaseItem.from_raw_data(found["case"]) if "case" in found else None,
        TransactionItem.from_raw_data(found["txn"]) if "txn" in found else None,
        CustomerItem.from_raw_data(found["profile"]) if "profile" in found else None,
        PointsStateItem.from_raw_data(found["points"]) if "points" in found else None,
    )


def _attempts(value: Any) -> list[dict[str, Any]]:
    """A transaction's attempts (a list attribute, or JSON in older records) as plain dicts."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return [dict(a) for a in (value or []) if isinstance(a, dict)]


# --- opening a case (the follow-up queue's handler) -----------------------------------------------------------------


def open_case(message: dict[str, Any]) -> str | None:
    """Turn a follow-up message into a case; idempotent on the transaction. Returns the case ID, or None when the
    transaction had already settled (no case needed). Raises to have SQS deliver the message again."""
    transaction_id = message.get("transaction_id")
    customer_id = message.get("customer_id")
    if not isinstance(transaction_id, str) or not isinstance(customer_id, str) or not transaction_id or not customer_id:
        raise MalformedMessage("a follow-up message needs transaction_id and customer_id")
    kind = str(message.get("kind") or "unknown")
    with transaction_log_keys(transaction_id):
        for attempt in retry.attempts(OPEN_ATTEMPTS):
            try:
                return _open_case(customer_id, transaction_id, kind, message)
            except Exception as exc:
                # A moved message keeps its receive count, so the follow-up queue allows it few deliveries: ride out
                # throttling and conflicts here rather than spend them.
                if attempt == OPEN_ATTEMPTS - 1 or not retry.is_transient(exc):
                    raise
                logger.info("opening the case hit a transient error; trying again", extra={"attempt": attempt})
        raise AssertionError("unreachable")


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
        pk=f"CUST#{customer_id}", sk=f"{CASE_PREFIX}{transaction_id}", case_id=case_id, customer_id=customer_id,
        transaction_id=transaction_id, kind=kind,
        reference=message.get("reference") or (txn.reference if txn is not None else None),
        message=message, status="open", tier_code=tier_code, tier_rank=rank, opened_at=opened_at,
        respond_by=clock.iso(now + RESPOND_WITHIN), close_by=clock.iso(now + CLOSE_WITHIN),
        failed_at=txn.created_at if txn is not None else None, receive_count=delivery.receive_count,
        last_error=last_error, attempts=[*attempts, handover],
        actions=[{"at": opened_at, "by": "system", "action": "opened",
                  "detail": "transaction not found" if txn is None else f"transaction was {txn.status}"}],
        notes=[], updated_at=opened_at, gsi2pk=f"{QUEUE_PREFIX}open", gsi2sk=queue_sort_key(rank, opened_at, case_id),
    )
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


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# --- views ----------------------------------------------------------------------------------------------------------


def _due(case: FollowUpCaseItem, now: datetime) -> dict[str, Any]:
    respond_by, close_by = _parse(case.respond_by), _parse(case.close_by)
    responded = _parse(case.first_response_at)
    closed = _parse(case.resolved_at)
    return {
        "respond_by": case.respond_by,
        "close_by": case.close_by,
        "response_overdue": bool(respond_by and (responded or now) > respond_by),
        "close_overdue": bool(close_by and (closed or now) > close_by),
    }


def summary_view(case: FollowUpCaseItem, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    return {
        "case_id": case.case_id,
        "status": case.status,
        "kind": case.kind,
        "transaction_id": case.transaction_id,
        "customer_id": case.customer_id,
        "reference": case.reference,
        "priority": {"tier_code": case.tier_code, "tier_rank": int(case.tier_rank or 0)},
        "opened_at": case.opened_at,
        **_due(case, now),
        "last_error": case.last_error,
        "claimed_by": case.claimed_by,
        "claimed_at": case.claimed_at,
        "resolution": case.resolution,
        "resolved_by": case.resolved_by,
        "resolved_at": case.resolved_at,
    }


def _transaction_view(txn: TransactionItem | None) -> dict[str, Any] | None:
    if txn is None:
        return None
    return {
        "transaction_id": txn.transaction_id,
        "kind": txn.kind,
        "status": txn.status,
        "reference": txn.reference,
        "payload": dict(txn.payload or {}),
        "created_at": txn.created_at,
        "updated_at": txn.updated_at,
        "attempt_count": int(getattr(txn, "attempt_count", None) or len(_attempts(txn.attempts))),
        "last_error": getattr(txn, "last_error", None),
    }


def _all_attempts(case: FollowUpCaseItem, txn: TransactionItem | None) -> list[dict[str, Any]]:
    """The transaction's live attempts (request, retries, agent retries) plus the case's own hand-over."""
    own = _attempts(case.attempts)
    if txn is None:
        return own
    live = _attempts(txn.attempts)
    extra = [a for a in own if a.get("where") == "follow_up_queue"]
    return sorted([*live, *extra], key=lambda a: str(a.get("at", "")))


def member_contact(profile: CustomerItem | None, customer_id: str, reveal: bool) -> dict[str, Any]:
    phone = profile.phone if profile is not None else None
    return {
        "customer_id": profile.customer_id if profile is not None else customer_id,
        "member_no": profile.member_no if profile is not None else None,
        "name": profile.name if profile is not None else None,
        "tier_code": profile.tier_code if profile is not None else None,
        "phone_masked": mask_phone(phone) if phone else None,
        "phone": phone if reveal and phone else None,
        "contact_revealed": bool(reveal and phone),
    }


def case_view(loaded: Loaded, staff_id: str | None) -> dict[str, Any]:
    case = loaded.case
    assert case is not None
    holder = case.status == "claimed" and case.claimed_by == staff_id
    view = summary_view(case)
    describe = _hook(case.kind, "describe")
    view.update(
        {
            "transaction": _transaction_view(loaded.transaction),
            "attempts": _all_attempts(case, loaded.transaction),
            "member": member_contact(loaded.profile, case.customer_id, holder),
            "resolution_note": case.resolution_note,
            "notes": [dict(n) for n in (case.notes or [])],
            "actions": [dict(a) for a in (case.actions or [])],
            "record": describe(case) if describe else None,
        }
    )
    return view


def get_case(case_id: str, staff_id: str | None) -> dict[str, Any]:
    customer_id, transaction_id = parse_case_id(case_id)
    loaded = _load(customer_id, transaction_id)
    if loaded.case is None:
        raise AppError("not_found")
    return case_view(loaded, staff_id)


def _cursor(sort_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"k": sort_key}, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, str]:
    """``(gsi2sk, pk, sk)`` of the last case of the previous page."""
    invalid = AppError("validation_error", details=[{"field": "cursor", "issue": "is not a valid cursor"}])
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        sort_key = data["k"]
        case_id = sort_key.split("#", 2)[2]
        pk, sk = case_key(*parse_case_id(case_id))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, AppError):
        raise invalid from None
    return sort_key, pk, sk


def list_cases(status: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The agents' queue: one Query on ``gsi2`` (highest tier first, then oldest)."""
    partition = f"{QUEUE_PREFIX}{status}"
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": "gsi2",
        "KeyConditionExpression": "gsi2pk = :p",
        "ExpressionAttributeValues": {":p": {"S": partition}},
        "Limit": limit + 1,
    }
    if cursor:
        sort_key, pk, sk = _decode_cursor(cursor)
        kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": sk}, "gsi2pk": {"S": partition},
                                       "gsi2sk": {"S": sort_key}}
    raw = shared_connection().client.query(**kwargs).get("Items", [])
    cases = [FollowUpCaseItem.from_raw_data(r) for r in raw[:limit]]
    now = clock.now()
    return {
        "items": [summary_view(c, now) for c in cases],
        "next_cursor": _cursor(cases[-1].gsi2sk) if len(raw) > limit and cases else None,
    }


def cases_of(customer_id: str, limit: int = 50) -> list[FollowUpCaseItem]:
    """A member's cases (one Query on the ``CASE#`` prefix of the partition)."""
    raw = shared_connection().client.query(
        TableName=settings().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": f"CUST#{customer_id}"}, ":c": {"S": CASE_PREFIX}},
        Limit=limit,
    ).get("Items", [])
    return [FollowUpCaseItem.from_raw_data(r) for r in raw]


# --- acting on a case -----------------------------------------------------------------------------------------------


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


def claim(case_id: str, staff_id: str) -> dict[str, Any]:
    customer_id, transaction_id = parse_case_id(case_id)
    with transaction_log_keys(transaction_id, case_id=case_id), _busy_is_503():
        loaded = _require_case(customer_id, transaction_id)
        case = loaded.case
        assert case is not None
        if case.status == "resolved":
            raise AppError("case_already_resolved")
        if case.status == "claimed":
            if case.claimed_by == staff_id:
                return case_view(loaded, staff_id)
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
                return case_view(again, staff_id)
            raise AppError(
                "case_already_resolved" if again.case.status == "resolved" else "case_claimed_by_other"
            ) from None
        logger.info("case claimed", extra={"staff_id": staff_id})
        loaded.case = case
        return case_view(loaded, staff_id)


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
        case = FollowUpCaseItem(pk=f"CUST#{customer_id}", sk=f"{CASE_PREFIX}{transaction_id}")
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


# --- resolving ------------------------------------------------------------------------------------------------------


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
    notifications.put_in(tx, case.customer_id, NOTIFY[txn_status],
                         {"transaction_id": case.transaction_id, "status": txn_status, "kind": case.kind})


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


def resolve(case_id: str, staff_id: str, resolution: str, note: str | None) -> dict[str, Any]:
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
        view = case_view(_require_case(customer_id, transaction_id), staff_id)
        if outcome:
            view["compensation"] = outcome
        return view


# --- retry now ------------------------------------------------------------------------------------------------------


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
            FollowUpCaseItem(pk=case.pk, sk=case.sk).update(
                actions=[_append(FollowUpCaseItem.actions,
                                 {"at": at, "by": staff_id, "action": "retried", "ok": False, "error": error[:500]}),
                         FollowUpCaseItem.last_error.set(error[:500]), FollowUpCaseItem.updated_at.set(at)],
                add_version_condition=False,
            )
            metrics.add_metric(name="AgentRetryFailed", unit="Count", value=1)
            outcome = {"ok": False, "error": error[:500]}
        view = case_view(_require_case(customer_id, transaction_id), staff_id)
        view["retry"] = outcome
        return view


__all__ = [
    "Delivery", "MalformedMessage", "Resolution",
    "add_note", "case_id_for", "claim", "close_in", "current_delivery", "get_case", "list_cases",
    "open_case", "parse_case_id", "release", "resolve", "retry_now",
]


RECENT_360 = 10
MAX_CASES_360 = 50


def _transaction_360(item: TransactionItem) -> dict[str, Any]:
    return {
        "transaction_id": item.transaction_id, "kind": item.kind, "status": item.status, "reference": item.reference,
        "created_at": item.created_at, "updated_at": item.updated_at,
        "attempt_count": int(getattr(item, "attempt_count", None) or 0),
        "last_error": getattr(item, "last_error", None),
    }


def _read_360(customer_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return (paging.newest(customer_id, TXN_PREFIX, RECENT_360),
            paging.newest(customer_id, CASE_PREFIX, MAX_CASES_360, newest_first=False))


def _render_360(read: tuple[list[dict[str, Any]], list[dict[str, Any]]], _member: Any, now: datetime
                ) -> dict[str, Any]:
    transactions, raw_cases = read
    cases = [FollowUpCaseItem.from_raw_data(r) for r in raw_cases]
    open_cases = sorted((c for c in cases if c.status != "resolved"), key=lambda c: c.opened_at)
    return {
        "transactions": [_transaction_360(TransactionItem.from_raw_data(r)) for r in transactions],
        "open_cases": [summary_view(c, now) for c in open_cases],
        "case_counts": {s: sum(1 for c in cases if c.status == s) for s in STATUSES},
    }


member_360 = Section360(read=_read_360, render=_render_360)
