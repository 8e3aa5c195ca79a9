"""Merging: one customer absorbed into another, and binding a verified phone (which merges when another owns it).

Identities, unionid, channels and profile fields move to the survivor in one transaction, the absorbed profile stays
as an alias (``merged_into``) so its customer ID keeps resolving, and a merge record keeps what was moved. Other areas
(points, vouchers) register a ``MergeContributor`` to move what they own in the same transaction. A merge never takes
over an account that already has an identity of the same channel: ``identity_conflict`` (409).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from chalicelib.core import area, clock
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity.directory import key_item, load_customer, lookup, phone_key, union_key
from chalicelib.identity.models import PROFILE_SK, CustomerItem, KeyItem, MergeRecordItem

MergeContributor = Callable[[Tx, CustomerItem, CustomerItem], None]
"""``Area.merge``: ``(tx, absorbed, survivor)`` moves what another area owns within the merge transaction."""


def merge(absorbed: CustomerItem, survivor: CustomerItem, reason: str) -> CustomerItem:
    """Absorb ``absorbed`` into ``survivor``; 409 ``identity_conflict`` if they share a channel."""
    if absorbed.customer_id == survivor.customer_id:
        return survivor
    shared = set(absorbed.channels) & set(survivor.channels)
    if shared:
        raise AppError("identity_conflict")
    now = clock.iso()
    survivor_condition = CustomerItem.merged_into.does_not_exist() & CustomerItem.pk.exists()
    for channel in absorbed.channels:
        survivor_condition &= ~CustomerItem.channels.contains(channel)
    actions = [
        CustomerItem.identities.set(CustomerItem.identities.append(list(absorbed.identities))),
        CustomerItem.channels.set(CustomerItem.channels.append(list(absorbed.channels))),
        CustomerItem.updated_at.set(now),
    ]
    for field in ("name", "birthday", "gender"):
        if getattr(absorbed, field) and not getattr(survivor, field):
            actions.append(getattr(CustomerItem, field).set(getattr(absorbed, field)))
    if absorbed.birthday and not survivor.birthday and absorbed.gsi2pk:  # the birthday index moves with it
        actions += [CustomerItem.gsi2pk.set(absorbed.gsi2pk), CustomerItem.gsi2sk.set(f"Y0000#{survivor.customer_id}")]
    tx = Tx()
    if absorbed.unionid and not survivor.unionid:
        actions.append(CustomerItem.unionid.set(absorbed.unionid))
        tx.put(
            "unionid",
            key_item(union_key(absorbed.unionid), survivor.customer_id),
            KeyItem.customer_id == absorbed.customer_id,
        )
    tx.update("survivor", CustomerItem(pk=survivor.pk, sk=PROFILE_SK), actions, survivor_condition)
    tx.update(
        "absorbed",
        CustomerItem(pk=absorbed.pk, sk=PROFILE_SK),
        [CustomerItem.merged_into.set(survivor.customer_id), CustomerItem.updated_at.set(now),
         CustomerItem.gsi2pk.remove(), CustomerItem.gsi2sk.remove()],
        CustomerItem.merged_into.does_not_exist() & (CustomerItem.updated_at == absorbed.updated_at),
    )
    for label in absorbed.identities:
        tx.put(
            f"identity:{label}",
            key_item(f"IDENT#{label}", survivor.customer_id),
            KeyItem.customer_id == absorbed.customer_id,
        )
    tx.put(
        "record",
        MergeRecordItem(
            pk=survivor.pk,
            sk=f"MERGE#{now}#{absorbed.customer_id}",
            absorbed_customer_id=absorbed.customer_id,
            moved=json.dumps(
                {"identities": absorbed.identities, "channels": absorbed.channels, "reason": reason},
                ensure_ascii=False,
            ),
        ),
    )
    for contribute in area.refs(lambda a: (a.merge,) if a.merge else ()):
        contribute(tx, absorbed, survivor)
    try:
        tx.commit()
    except TxCancelled as exc:
        logger.warning("merge refused", extra={"failed": sorted(exc.failed)})
        if "survivor" in exc.failed:
            raise AppError("identity_conflict") from None
        raise AppError("service_unavailable") from None
    logger.info(
        "customers merged",
        extra={"absorbed_customer_id": absorbed.customer_id, "survivor_customer_id": survivor.customer_id},
    )
    return load_customer(survivor.customer_id) or survivor


def bind_verified_phone(customer: CustomerItem, phone: str) -> tuple[CustomerItem, bool]:
    """Give ``customer`` a verified phone; if another customer owns it, merge into that one.

    Returns the live customer and whether a merge happened. The phone's owner survives: it is the
    older account (the phone was verified there first) and usually the one with history.
    """
    if customer.phone == phone:
        return customer, False
    if customer.phone:
        raise AppError("phone_already_bound")
    owner_id = lookup(phone_key(phone))
    if owner_id is None:
        tx = Tx()
        tx.put("phone", key_item(phone_key(phone), customer.customer_id), KeyItem.pk.does_not_exist())
        tx.update(
            "customer",
            CustomerItem(pk=customer.pk, sk=PROFILE_SK),
            [CustomerItem.phone.set(phone), CustomerItem.updated_at.set(clock.iso())],
            CustomerItem.phone.does_not_exist() & CustomerItem.merged_into.does_not_exist(),
        )
        try:
            tx.commit()
        except TxCancelled as exc:
            if "phone" in exc.failed:  # someone verified this phone a moment ago: merge instead
                return bind_verified_phone(customer, phone)
            raise AppError("phone_already_bound") from None
        customer.phone = phone
        return customer, False
    owner = load_customer(owner_id)
    if owner is None:
        raise AppError("service_unavailable")
    if owner.customer_id == customer.customer_id:
        return owner, False
    return merge(customer, owner, reason="verified_phone"), True
