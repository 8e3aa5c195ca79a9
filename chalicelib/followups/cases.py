"""Follow-up cases: what a case is (its keys, its queue order, its targets) and how agents read them.

A transaction that ran out of retries becomes a case (``intake.py``) in the member's partition beside the transaction
(``CASE#<txn_id>``); the agents' queue is the ``gsi2`` partition ``FOLLOWUP#<status>``, sort key
``<99 - rank>#<opened_at>#<case_id>``: one Query gives the highest tier first, then the oldest. No Scan. Agents act
on a case through ``actions.py``.

Contact: the member's phone is masked on the case page unless the caller holds the claim: the agent who is going to
call back sees the number, the rest of the floor does not. The claim itself is the audited moment.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core import area, clock
from chalicelib.core.area import Section360
from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, keys, paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.errors import AppError
from chalicelib.core.redaction import mask_phone
from chalicelib.core.retry import dispatch
from chalicelib.core.retry.transactions import TXN_PREFIX, TransactionItem
from chalicelib.followups.models import CASE_PREFIX, QUEUE_PREFIX, FollowUpCaseItem
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.points import public as points_area
from chalicelib.points.public import POINTS_SK, MemberItems, PointsStateItem, TierDefinition

RESPOND_WITHIN = timedelta(minutes=15)


CLOSE_WITHIN = timedelta(hours=24)


STATUSES = ("open", "claimed", "resolved")


RESOLUTIONS = ("completed_manually", "refunded", "cancelled")


# The transaction's status after each resolution (the outline's transaction statuses).
TRANSACTION_STATUS = {"completed_manually": "completed", "refunded": "refunded", "cancelled": "failed",
                      "completed_by_retry": "completed"}


NOTIFY = {"completed": "completed", "refunded": "refunded", "failed": "failed"}


SETTLED = frozenset({"completed", "refunded", "failed"})


# Cases opened with no transaction behind them (the surveys area's callback of an unhappy answer): their resolution
# has no transaction outcome to tell the member, and is no service that asks for a survey.
NO_TRANSACTION_KINDS = frozenset({"callback"})


UNSETTLED = ("pending", "retrying", "needs_follow_up")


MAX_NOTE = 2000


_ID_PART = re.compile(r"^[A-Za-z0-9_-]{1,80}$")


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
    return keys.customer_pk(customer_id), f"{CASE_PREFIX}{transaction_id}"


def queue_sort_key(rank: int, opened_at: str, case_id: str) -> str:
    return f"{99 - max(0, min(99, rank)):02d}#{opened_at}#{case_id}"


def _hook(kind: str, which: str) -> Any:
    """The ``which`` hook (settle, compensate, describe) the owning area declares for ``kind``, or None."""
    hooks = dispatch.followup_hooks().get(kind)
    ref = getattr(hooks, which) if hooks is not None else None
    return area.resolve(ref) if ref else None


@dataclass
class Loaded:
    case: FollowUpCaseItem | None
    transaction: TransactionItem | None
    profile: CustomerItem | None
    points: PointsStateItem | None = None

    def held_tier(self) -> TierDefinition | None:
        """The tier the member holds today (``points.held_tier``), None for an unknown member."""
        if self.profile is None:
            return None
        return points_area.held_tier(MemberItems(self.profile.customer_id, self.profile, self.points, None))


def _load(customer_id: str, transaction_id: str, *, consistent: bool = True) -> Loaded:
    """The case, its transaction, the member's profile and points state: one BatchGetItem (same partition)."""
    pk = keys.customer_pk(customer_id)
    sks = {f"{CASE_PREFIX}{transaction_id}": "case", f"{TXN_PREFIX}{transaction_id}": "txn", PROFILE_SK: "profile",
           POINTS_SK: "points"}
    read = batch.batch_get([(pk, sk) for sk in sks], consistent=consistent)
    found = {sks[sk]: raw for (_pk, sk), raw in read.items()}
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


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


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


SUBJECT_KEYS = {"name": ("reward_name", "item_name", "name"), "points": ("points_spent", "points"),
                "amount_fen": ("amount_fen",), "quantity": ("quantity",)}


def subject_of(record: dict[str, Any] | None) -> dict[str, Any] | None:
    """What failed, for the queue's row, from the kind's ``describe`` record: its name (a reward's, an item's), the
    points and the amount (fen) at stake, the quantity -- whichever the record has (by those keys' usual names)."""
    if not record:
        return None
    out: dict[str, Any] = {}
    for key, names in SUBJECT_KEYS.items():
        value = next((record[n] for n in names if record.get(n) is not None), None)
        if value is not None:
            out[key] = value if key == "name" else int(value)
    return out or None


def summary_view(case: FollowUpCaseItem, now: datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    return {
        "case_id": case.case_id,
        "status": case.status,
        "kind": case.kind,
        "transaction_id": case.transaction_id,
        "customer_id": case.customer_id,
        "member_no": case.member_no,
        "reference": case.reference,
        "subject": dict(case.subject) if case.subject else None,
        "attempt_count": int(case.attempt_count or 0),
        "priority": {"tier_code": case.tier_code, "tier_rank": int(case.tier_rank or 0)},
        "opened_at": case.opened_at,
        **_due(case, now),
        "responded_at": case.first_response_at,
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


def _decode_cursor(cursor: str) -> tuple[str, str, str]:
    """``(gsi2sk, pk, sk)`` of the last case of the previous page (the one cursor codec: ``core.dynamo.paging``)."""
    invalid = AppError("validation_error", details=[{"field": "cursor", "issue": "is not a valid cursor"}])
    sort_key = paging.decode_cursor(cursor, "")
    try:
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
        "next_cursor": paging.encode_cursor(cases[-1].gsi2sk) if len(raw) > limit and cases else None,
    }


def cases_of(customer_id: str, limit: int = 50) -> list[FollowUpCaseItem]:
    """A member's cases (one Query on the ``CASE#`` prefix of the partition)."""
    raw = shared_connection().client.query(
        TableName=settings().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": keys.customer_pk(customer_id)}, ":c": {"S": CASE_PREFIX}},
        Limit=limit,
    ).get("Items", [])
    return [FollowUpCaseItem.from_raw_data(r) for r in raw]


def resolved_count(customer_id: str, since: datetime, until: datetime) -> int:
    """How many of the member's cases were resolved in ``[since, until)``: one Query of the partition's ``CASE#``
    prefix (paged; only status and resolved_at read). Cases of an account merged into this one stay under that
    account's ID and are not counted."""
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)",
        "ExpressionAttributeValues": {":pk": {"S": keys.customer_pk(customer_id)}, ":c": {"S": CASE_PREFIX}},
        "ProjectionExpression": "#s, resolved_at",
        "ExpressionAttributeNames": {"#s": "status"},
    }
    count = 0
    while True:
        page = client.query(**kwargs)
        for raw in page.get("Items", []):
            at = raw.get("resolved_at", {}).get("S")
            if raw.get("status", {}).get("S") == "resolved" and at and since <= datetime.fromisoformat(at) < until:
                count += 1
        if "LastEvaluatedKey" not in page:
            return count
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]




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
