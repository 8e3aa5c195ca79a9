"""Closing the account (注销, PIPL Art. 47): a request, a cooling-off (``DELETION_COOLING_OFF_DAYS``, default 7) in
which the member can still sign in, read and cancel, then the erasure.

The request lives on ``M#PRIVACY`` (``deletion_requested_at``, ``deletion_effective_at``): the bounded member read
every hot path makes returns it, so spending points and booking refuse with one check in one place
(``core.personal_data.deletion_pending``). It is also on ``gsi1`` (``DELETION`` / ``<effective_at>#<customer>``):
agents list requests and the erasure job finds the due ones without a Scan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, NamedTuple

from pynamodb.exceptions import UpdateError

from chalicelib.core import clock
from chalicelib.core.calendar import add_working_days, business_day
from chalicelib.core.config import live, settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.member_layout import newest
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.core.personal_data import DELETION_FIELD
from chalicelib.identity import public as identity
from chalicelib.membership import public as membership
from chalicelib.membership.public import MEMBERSHIP_SK, MembershipItem
from chalicelib.points import public as points
from chalicelib.privacy import bundle
from chalicelib.privacy.consents import state_of
from chalicelib.privacy.models import STATE_SK, PrivacyStateItem

DELETION_INDEX = "DELETION"
ANSWER_WORKING_DAYS = 15  # the consumer association's bar: a deletion answered within 15 working days
RETRYING = ("pending", "retrying")
BLOCKED_BY = {"transaction_retrying": "open.transactions_retrying"}  # a blocking code -> the preview's field
OPEN_REGISTRATIONS = ("registered", "waitlisted")  # what the erasure cancels through the events' own rule
REGISTRATIONS_AT = "gsi2:EVM#~#REG"  # the member's registrations: the events area's index of them (see bundle)


def cooling_off_days() -> int:
    return int(live("DELETION_COOLING_OFF_DAYS"))


def _open(customer_id: str, others: list[dict[str, Any]]) -> tuple[dict[str, int], list[dict[str, str]]]:
    """What is still open for the member, and what stops the deletion (work in flight)."""
    txns = newest(customer_id, "TXN#", 200)
    retrying = sum(1 for t in txns if t.get("status", {}).get("S") in RETRYING)
    held = next((r for r in others if r["sk"]["S"] == "M#APPTSTATE"), None)
    appointments = len(held.get("held", {}).get("M", {})) if held else 0
    registrations = sum(1 for r in bundle.located(customer_id, REGISTRATIONS_AT)
                        if r.get("status", {}).get("S") in OPEN_REGISTRATIONS)
    pledges = len(newest(customer_id, "H#C2BS#", 200))
    cases = sum(1 for c in newest(customer_id, "CASE#", 200)
                if c.get("status", {}).get("S") not in ("completed", "cancelled", "resolved"))
    opened = {"appointments": appointments, "registrations": registrations, "pledges": pledges, "cases": cases,
              "transactions_retrying": retrying}
    blocking = ([{"code": "transaction_retrying",
                  "message": "A payment, refund or other transaction is still being completed"}]
                if retrying else [])
    return opened, blocking


def preview(customer_id: str) -> dict[str, Any]:
    """``GET /v1/me/deletion/preview``: what the member gives up, what is open and what stops the deletion."""
    items = points.load_member(customer_id)
    summary = points.points_summary(items)
    raw = next((r for r in items.others if r["sk"]["S"] == MEMBERSHIP_SK), None)
    held = membership.membership(MembershipItem.from_raw_data(raw) if raw else None)
    now = clock.now()
    active = held.status(now) in ("active", "trial")
    days_left = max(0, (held.expires_at - now).days) if active and held.expires_at else 0
    opened, blocking = _open(items.customer_id, items.others)
    return {"points_balance": summary["balance"],
            "points_expiring_30d": summary["expiring"]["points"],
            "plus": {"active": active, "days_left": days_left}, "open": opened, "blocking": blocking}


def due_by(requested_at: str) -> str:
    """The last day (Shanghai) the deletion must be done by: 15 working days from the request."""
    return add_working_days(business_day(clock.parse(requested_at)), ANSWER_WORKING_DAYS).isoformat()


def overdue(state: PrivacyStateItem) -> bool:
    return bool(state.deletion_requested_at and not state.erased_at
                and business_day(clock.now()).isoformat() > due_by(state.deletion_requested_at))


def agents_list() -> dict[str, Any]:
    """``GET /v1/agent/privacy/deletions``: the requests not yet erased, soonest first, with their deadline."""
    items = [PrivacyStateItem.from_raw_data(raw) for raw in _deletion_index()]
    return {"items": [{"customer_id": i.pk.removeprefix("CUST#"), **view(i), "due_by": due_by(i.deletion_requested_at),
                       "overdue": overdue(i), "case_opened_at": i.overdue_case_at, "channel": i.deletion_channel,
                       "recorded_by": i.deletion_recorded_by}
                      for i in items if i.deletion_requested_at]}


def _deletion_index(upper: str | None = None) -> list[dict[str, Any]]:
    client = shared_connection().client
    condition = "gsi1pk = :p" + (" AND gsi1sk <= :u" if upper else "")
    values = {":p": {"S": DELETION_INDEX}, **({":u": {"S": upper}} if upper else {})}
    kwargs: dict[str, Any] = {"TableName": settings().table_name, "IndexName": "gsi1",
                              "KeyConditionExpression": condition, "ExpressionAttributeValues": values}
    found: list[dict[str, Any]] = []
    while True:
        page = client.query(**kwargs)
        found += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def view(state: PrivacyStateItem | None) -> dict[str, Any]:
    if state is None or not getattr(state, DELETION_FIELD, None):
        return {"status": "none", "requested_at": None, "effective_at": None, "reason": None}
    return {"status": "cooling_off" if clock.parse(state.deletion_effective_at) > clock.now() else "erasing",
            "requested_at": state.deletion_requested_at, "effective_at": state.deletion_effective_at,
            "reason": state.deletion_reason}


class Hotline(NamedTuple):
    """An agent recording a member's request made on the hotline: who, and how the caller was verified."""

    staff_id: str
    verification: str


def request(customer_id: str, reason: str | None, channel: str | None,
            hotline: Hotline | None = None) -> dict[str, Any]:
    """``POST /v1/me/deletion`` (and an agent's ``POST /v1/agent/members/{id}/deletion``, ``hotline``): 202
    ``cooling_off`` (again: the same request, whoever recorded it first); 409 ``deletion_blocked``. The same
    cooling-off, the same erasure."""
    read = identity.load(customer_id, consistent=True)
    state = state_of(read.items)
    if state is not None and state.deletion_effective_at:
        return view(state)
    _opened, blocking = _open(read.customer_id, read.items)
    if blocking:
        # the envelope's details name a field and its issue: the preview's count of what is open, and why it blocks
        raise AppError("deletion_blocked", details=[{"field": BLOCKED_BY[b["code"]], "issue": b["message"]}
                                                    for b in blocking])
    now = clock.now()
    effective = clock.iso(now + timedelta(days=cooling_off_days()))
    item = PrivacyStateItem(pk=customer_pk(read.customer_id), sk=STATE_SK)
    try:
        item.update(actions=[PrivacyStateItem.deletion_requested_at.set(clock.iso(now)),
                             PrivacyStateItem.deletion_effective_at.set(effective),
                             PrivacyStateItem.deletion_reason.set(reason) if reason
                             else PrivacyStateItem.deletion_reason.remove(),
                             PrivacyStateItem.deletion_channel.set("hotline" if hotline else channel or "app"),
                             *([PrivacyStateItem.deletion_recorded_by.set(hotline.staff_id),
                                PrivacyStateItem.deletion_verification.set(hotline.verification)] if hotline else
                               [PrivacyStateItem.deletion_recorded_by.remove(),
                                PrivacyStateItem.deletion_verification.remove()]),
                             PrivacyStateItem.gsi1pk.set(DELETION_INDEX),
                             PrivacyStateItem.gsi1sk.set(f"{effective}#{read.customer_id}"),
                             PrivacyStateItem.updated_at.set(clock.iso(now))],
                    condition=PrivacyStateItem.deletion_effective_at.does_not_exist(), add_version_condition=False)
    except UpdateError:
        return status(customer_id)
    logger.info("deletion requested", extra={"customer_id": read.customer_id, "effective_at": effective,
                                             "recorded_by": hotline.staff_id if hotline else None})
    return view(item)


def status(customer_id: str) -> dict[str, Any]:
    return view(state_of(identity.load(customer_id, consistent=True).items))


def cancel(customer_id: str) -> None:
    """``DELETE /v1/me/deletion``: only while cooling off (409 ``deletion_not_cancellable`` after, 404 without one)."""
    read = identity.load(customer_id, consistent=True)
    state = state_of(read.items)
    if state is None or not state.deletion_effective_at:
        raise AppError("not_found")
    item = PrivacyStateItem(pk=customer_pk(read.customer_id), sk=STATE_SK)
    try:
        item.update(actions=[PrivacyStateItem.deletion_requested_at.remove(),
                             PrivacyStateItem.deletion_effective_at.remove(), PrivacyStateItem.deletion_reason.remove(),
                             PrivacyStateItem.deletion_channel.remove(), PrivacyStateItem.deletion_recorded_by.remove(),
                             PrivacyStateItem.deletion_verification.remove(), PrivacyStateItem.gsi1pk.remove(),
                             PrivacyStateItem.gsi1sk.remove(), PrivacyStateItem.updated_at.set(clock.iso())],
                    condition=PrivacyStateItem.deletion_effective_at > clock.iso(), add_version_condition=False)
    except UpdateError:
        raise AppError("deletion_not_cancellable") from None
    logger.info("deletion cancelled", extra={"customer_id": read.customer_id})
