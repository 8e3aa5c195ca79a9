"""Finding the customer of a signing-in identity, or creating one: the identity itself, then unionid, then phone.

A customer holds at most one identity per channel. Attaching never takes over an account that already has an
identity of the same channel: that is ``identity_conflict`` (409). Concurrent first sign-ins of one person converge
on one customer: the key items are put if absent in one transaction, and a lost race looks again.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.expressions.condition import Condition

from chalicelib.core import clock
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity.directory import (
    MAX_ATTEMPTS,
    Identity,
    TxExtra,
    create_customer,
    key_item,
    load_customer,
    lookup_many,
    phone_key,
    union_key,
)
from chalicelib.identity.models import PROFILE_SK, CustomerItem, KeyItem

RACE_LABELS = frozenset({"identity", "unionid", "phone"})


@dataclass
class Resolved:
    customer_id: str
    new_member: bool
    customer: CustomerItem | None = None
    """The profile, when the path read or wrote it (a returning identity reads it only on request)."""
    extra_written: bool = False
    """True when the caller's ``extra`` items were committed with the create/attach transaction."""


def _attach_condition(channel: str) -> Condition:
    condition: Condition = (
        CustomerItem.pk.exists()
        & CustomerItem.merged_into.does_not_exist()
        & ~CustomerItem.channels.contains(channel)
    )
    return condition


def attach_identity(
    customer: CustomerItem,
    identity: Identity,
    *,
    unionid: str | None = None,
    extra: TxExtra | None = None,
) -> CustomerItem:
    """Bind ``identity`` to an existing customer; 409 if it already has one of that channel."""
    if identity.channel in customer.channels:
        raise AppError("identity_conflict")
    tx = Tx()
    tx.put("identity", key_item(identity.key, customer.customer_id), KeyItem.pk.does_not_exist())
    actions = [
        CustomerItem.identities.set(CustomerItem.identities.append([identity.label])),
        CustomerItem.channels.set(CustomerItem.channels.append([identity.channel])),
        CustomerItem.updated_at.set(clock.iso()),
    ]
    if unionid and not customer.unionid:
        tx.put("unionid", key_item(union_key(unionid), customer.customer_id), KeyItem.pk.does_not_exist())
        actions.append(CustomerItem.unionid.set(unionid))
    tx.update("customer", CustomerItem(pk=customer.pk, sk=PROFILE_SK), actions, _attach_condition(identity.channel))
    if extra:
        extra(tx, customer.customer_id, False)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "customer" in exc.failed and "identity" not in exc.failed:
            fresh = load_customer(customer.customer_id)
            if fresh is not None and fresh.customer_id != customer.customer_id:
                return attach_identity(fresh, identity, unionid=unionid, extra=extra)
            raise AppError("identity_conflict") from None
        raise
    customer.identities = [*customer.identities, identity.label]
    customer.channels = [*customer.channels, identity.channel]
    if unionid and not customer.unionid:
        customer.unionid = unionid
    return customer


def find_or_create(
    identity: Identity,
    *,
    unionid: str | None = None,
    phone: str | None = None,
    channel: str | None = None,
    extra: TxExtra | None = None,
    need_profile: bool = False,
) -> Resolved:
    """Find or create the customer of ``identity``: the identity itself, then unionid, then verified phone.

    ``extra`` adds items to the transaction that binds or creates; for a returning identity nothing
    is written here and the caller writes its own items. The identity, unionid and phone keys are read
    in one call; a returning identity needs nothing more (its key always names the live customer:
    merges repoint it) unless ``need_profile``.
    """
    def once(_attempt: int) -> Resolved:
        keys = [identity.key, *([union_key(unionid)] if unionid else []), *([phone_key(phone)] if phone else [])]
        found = lookup_many(keys)
        customer_id = found.get(identity.key)
        if customer_id is not None:
            profile = load_customer(customer_id) if need_profile else None
            if need_profile and profile is None:
                raise AppError("service_unavailable")
            return Resolved(customer_id, new_member=False, customer=profile)
        owner = (found.get(union_key(unionid)) if unionid else None) or (found.get(phone_key(phone)) if phone else None)
        try:
            if owner is not None:
                customer = load_customer(owner)
                if customer is None:
                    raise AppError("service_unavailable")
                if identity.label in customer.identities:  # bound by a concurrent sign-in a moment ago
                    return Resolved(customer.customer_id, new_member=False, customer=customer)
                attached = attach_identity(customer, identity, unionid=unionid, extra=extra)
                return Resolved(attached.customer_id, False, customer=attached, extra_written=extra is not None)
            customer = create_customer(identity, unionid=unionid, phone=phone, channel=channel, extra=extra)
            return Resolved(customer.customer_id, True, customer=customer, extra_written=extra is not None)
        except TxCancelled as exc:
            if not (exc.failed & RACE_LABELS or exc.conflict):
                raise  # the caller's own condition failed (a wrong code, a spent state)
            # Another request bound one of these keys a moment ago: look again.
            logger.info("sign-in raced, resolving again", extra={"failed": sorted(exc.failed)})
            raise retry.Again from None
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="sign-in resolution")
