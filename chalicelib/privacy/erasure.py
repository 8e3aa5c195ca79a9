"""The erasure after the cooling-off (PIPL Art. 47): a scheduled job finds the due requests on ``gsi1`` (``DELETION``,
never a Scan) and fans out one retry-pipeline message per member (``privacy_erasure``: SQS, retried, a follow-up case
if it keeps failing); the worker erases that member.

What the worker does, for the member and every customer merged into them, driven by the personal-data registry: the
identity keys (``IDENT#``, ``PHONE#``, ``UNION#``) are deleted, so the same phone or openid signs up later as a new
customer; every attribute a kind declares ``erase`` is removed (or, where the item needs it, replaced by
``a member``); ``keep`` attributes (the ledger, orders, payments, savings) stay under the customer ID, now a
pseudonym, so the programme's totals still reconcile. Bookings, registrations and pledges are ended first
through their own use cases (``_end_open``). Each step is idempotent (removing what is gone changes nothing),
so a message delivered twice, or a run stopped halfway and run again, ends in the same state; the erasure is recorded
on ``M#PRIVACY`` (``erased_at``), a receipt with no personal data.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from pynamodb.attributes import Attribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo import member_layout
from chalicelib.core.dynamo.batch import batch_delete
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.idempotency import IDEM_PREFIX
from chalicelib.core.observability import logger
from chalicelib.core.retry import outbox
from chalicelib.core.retry.transactions import Transaction
from chalicelib.core.sms import sms_sender
from chalicelib.identity import public as identity
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.privacy import bundle, deletion
from chalicelib.privacy.models import STATE_SK, PrivacyStateItem

KIND = "privacy_erasure"
PLACEHOLDER = "a member"


def erase_due() -> dict[str, int]:
    """The job: one message per member whose cooling-off has ended (``gsi1`` ``DELETION`` up to now); a request still
    not erased 15 working days after it was made becomes an agent's follow-up case (once)."""
    queued = escalated = 0
    for raw in deletion._deletion_index(upper=clock.iso()):
        state = PrivacyStateItem.from_raw_data(raw)
        customer_id = state.pk.removeprefix("CUST#")
        txn = Transaction(transaction_id=f"erase_{customer_id}", customer_id=customer_id, kind=KIND,
                          reference=customer_id, payload={})
        tx = Tx()
        outbox.retry_port().record_in(tx, txn, status="pending")
        with suppress(TxCancelled):  # queued by an earlier run: send it again (the worker is idempotent)
            tx.commit()
        if deletion.overdue(state) and not state.overdue_case_at and outbox.escalate(txn):
            PrivacyStateItem(pk=state.pk, sk=STATE_SK).update(
                actions=[PrivacyStateItem.overdue_case_at.set(clock.iso())], add_version_condition=False)
            escalated += 1
            logger.warning("deletion overdue: follow-up case opened", extra={"customer_id": customer_id})
        outbox.retry_port().enqueue(txn)
        queued += 1
    return {"queued": queued, **({"overdue_cases": escalated} if escalated else {})}


def _client() -> Any:
    return shared_connection().client


def _free_keys(profile: CustomerItem, requested_at: str) -> None:
    """The identity keys (so the phone and openids sign up anew), and what is keyed by the phone itself: its one-time
    code, its sending counters since the request (the member could still sign in while cooling off) and the SMS
    gateway's record (the local stage's simulated outbox). Short TTLs, but they name the phone."""
    if profile.phone:
        since = int(clock.parse(requested_at).timestamp())
        batch_delete(identity.keys_of(profile.phone, since))
        sms_sender().forget(profile.phone)
    keys = [f"IDENT#{label}" for label in profile.identities or ()]
    keys += [identity.phone_key(profile.phone)] if profile.phone else []
    keys += [identity.union_key(profile.unionid)] if profile.unionid else []
    for pk in keys:
        _client().delete_item(TableName=settings().table_name, Key={"pk": {"S": pk}, "sk": {"S": "KEY"}},
                              ConditionExpression="attribute_not_exists(pk) OR customer_id = :c",
                              ExpressionAttributeValues={":c": {"S": profile.customer_id}})


def _drop_idempotency_records(customer_id: str) -> None:
    """The member's stored first responses to Idempotency-Keys (``core.idempotency``, 24-hour TTL): they repeat
    what the member was answered, personal data among it; the erased member sends no request again."""
    prefixes = [IDEM_PREFIX, *([member_layout.old_key(IDEM_PREFIX)] if member_layout.migrating() else [])]
    found = [raw for prefix in prefixes for raw in bundle.located(customer_id, prefix)]
    batch_delete([(raw["pk"]["S"], raw["sk"]["S"]) for raw in found])


def _erase_item(raw: dict[str, Any], model: Any, names: frozenset[str]) -> None:
    attributes: dict[str, Attribute[Any]] = model.get_attributes()
    present = [n for n in sorted(names) if n in raw]
    if not present:
        return
    # text the item cannot lack (a proposal's title) reads "a member"; anything else goes
    blanks = [n for n in present if not attributes[n].null and isinstance(attributes[n], UnicodeAttribute)]
    removes = [n for n in present if n not in blanks]
    values = {f"#{i}": n for i, n in enumerate(present)}
    by_name = {n: f"#{i}" for i, n in enumerate(present)}
    expression = []
    if blanks:
        expression.append("SET " + ", ".join(f"{by_name[n]} = :blank" for n in blanks))
    if removes:
        expression.append("REMOVE " + ", ".join(by_name[n] for n in removes))
    kwargs: dict[str, Any] = {"TableName": settings().table_name, "Key": {"pk": raw["pk"], "sk": raw["sk"]},
                              "UpdateExpression": " ".join(expression), "ExpressionAttributeNames": values}
    if blanks:
        kwargs["ExpressionAttributeValues"] = {":blank": {"S": PLACEHOLDER}}
    _client().update_item(**kwargs)


def _end_open(customer_id: str) -> int:
    """Bookings, registrations and pledges ended through their own use cases first (seats freed, the waitlist moved,
    demand recounted); what their rules refuse (an appointment past its cut-off) stays as it is. Idempotent: each use
    case answers an ended one the same again."""
    from chalicelib.appointments import public as appointments
    from chalicelib.c2b import public as c2b
    from chalicelib.events import public as events

    ended = 0
    held = bundle.located(customer_id, "M#APPTSTATE")
    for appointment_id in sorted(held[0].get("held", {}).get("M", {}) if held else {}):
        with suppress(AppError):
            appointments.cancel(customer_id, appointment_id)
            ended += 1
    for raw in bundle.located(customer_id, deletion.REGISTRATIONS_AT):
        if raw.get("status", {}).get("S") in deletion.OPEN_REGISTRATIONS:
            with suppress(AppError):
                events.cancel(customer_id, raw["event_id"]["S"])
                ended += 1
    for raw in bundle.located(customer_id, "H#C2BS#"):
        with suppress(AppError):
            c2b.withdraw(customer_id, raw["request_id"]["S"])
            ended += 1
    return ended


def erase(message: dict[str, Any]) -> None:
    """The retry handler of ``privacy_erasure``: erase the member (idempotent, resumable)."""
    customer_id = message["customer_id"]
    try:
        state = PrivacyStateItem.get(customer_pk(customer_id), STATE_SK, consistent_read=True)
    except PrivacyStateItem.DoesNotExist:
        return
    if not state.deletion_effective_at or clock.parse(state.deletion_effective_at) > clock.now():
        return  # cancelled meanwhile, or not due
    customers = bundle.merged_into(customer_id)
    for cid in customers:
        try:
            profile = CustomerItem.get(customer_pk(cid), PROFILE_SK, consistent_read=True)
        except CustomerItem.DoesNotExist:
            continue
        # first: the identities are free even if a later step has to be run again
        _free_keys(profile, state.deletion_requested_at or state.deletion_effective_at)
        if not profile.closed_at:  # no refresh token of the customer's goes on (sessions.rotate checks it)
            profile.update(actions=[CustomerItem.closed_at.set(clock.iso())], add_version_condition=False)
    ended = sum(_end_open(cid) for cid in customers)
    for cid in customers:
        _drop_idempotency_records(cid)
        for _area, _name, model, kind in bundle.registries():
            names = kind.names("erase")
            if names:
                for raw in bundle.items_of(cid, kind):
                    _erase_item(raw, model, names)
    PrivacyStateItem(pk=customer_pk(customer_id), sk=STATE_SK).update(
        actions=[PrivacyStateItem.erased_at.set(clock.iso()), PrivacyStateItem.gsi1pk.remove(),
                 PrivacyStateItem.gsi1sk.remove()], add_version_condition=False)
    logger.info("member erased", extra={"customer_id": customer_id, "customers": len(customers), "ended": ended})
