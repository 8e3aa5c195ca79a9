"""One person, one customer ID, whichever channel they arrive from.

An identity is ``(provider, app_id, subject)``: the app's verified phone, a mini-program openid, an
official-account openid. Each maps to exactly one customer through a unique ``IDENT#`` key item.
The WeChat unionid and a verified phone are attributes of the customer, also held unique by key
items (``UNION#``, ``PHONE#``), and they are how a new identity finds its customer: unionid first,
then a verified phone.

A customer holds at most one identity per channel. Attaching or merging never takes over an
account that already has an identity of the same channel: that is ``identity_conflict`` (409).

Merging absorbs one customer into another: identities, unionid, channels and profile fields move to
the survivor in one transaction, the absorbed profile stays as an alias (``merged_into``) so its
customer ID keeps resolving, and a merge record keeps what was moved. Other areas (points, vouchers)
register a ``MergeContributor`` to move what they own in the same transaction.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from pynamodb.expressions.condition import Condition

from chalicelib.core import area, clock
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity import member_no
from chalicelib.identity.models import PROFILE_SK, CustomerItem, KeyItem, MergeRecordItem

KEY_SK = "KEY"
PROVIDER_CHANNEL = {"app": "app", "wechat_mp": "miniprogram", "wechat_oa": "wechat_oa", "store": "store"}
MAX_ATTEMPTS = 4
RACE_LABELS = frozenset({"identity", "unionid", "phone"})


@dataclass(frozen=True)
class Identity:
    provider: str
    app_id: str
    subject: str

    @property
    def key(self) -> str:
        return f"IDENT#{self.provider}#{self.app_id}#{self.subject}"

    @property
    def label(self) -> str:
        return f"{self.provider}#{self.app_id}#{self.subject}"

    @property
    def channel(self) -> str:
        return PROVIDER_CHANNEL[self.provider]


@dataclass
class Resolved:
    customer_id: str
    new_member: bool
    customer: CustomerItem | None = None
    """The profile, when the path read or wrote it (a returning identity reads it only on request)."""
    extra_written: bool = False
    """True when the caller's ``extra`` items were committed with the create/attach transaction."""


def phone_key(phone: str) -> str:
    return f"PHONE#{phone}"


def union_key(unionid: str) -> str:
    return f"UNION#{unionid}"


def member_no_key(number: str) -> str:
    return f"MEMBERNO#{number}"


def lookup(key: str) -> str | None:
    try:
        return KeyItem.get(key, KEY_SK, attributes_to_get=["customer_id"]).customer_id
    except KeyItem.DoesNotExist:
        return None


def lookup_many(keys: list[str]) -> dict[str, str]:
    """Resolve several key items in one call (a GetItem for one key, a BatchGetItem for more)."""
    if len(keys) == 1:
        customer_id = lookup(keys[0])
        return {keys[0]: customer_id} if customer_id else {}
    return {item.pk: item.customer_id for item in KeyItem.batch_get([(k, KEY_SK) for k in keys])}


T = TypeVar("T")


def follow_merged(customer_id: str, read: Callable[[str], T], alias_of: Callable[[T], str | None],
                  exists: Callable[[T], bool]) -> T:
    """``read(customer_id)``; while what was read is an absorbed customer (``alias_of`` names the survivor), read the
    survivor (each hop is one more read). 404 ``not_found`` for an unknown customer or a loop of aliases."""
    seen: set[str] = set()
    while customer_id not in seen:
        seen.add(customer_id)
        found = read(customer_id)
        if not exists(found):
            break
        alias = alias_of(found)
        if not alias:
            return found
        customer_id = alias
    raise AppError("not_found")


def _read_profile(customer_id: str) -> CustomerItem | None:
    try:
        return CustomerItem.get(keys.customer_pk(customer_id), PROFILE_SK)
    except CustomerItem.DoesNotExist:
        return None


def load_customer(customer_id: str, follow_merges: bool = True) -> CustomerItem | None:
    """The live profile of ``customer_id``, following merge aliases (each hop is one more read)."""
    if not follow_merges:
        return _read_profile(customer_id)
    try:
        return follow_merged(customer_id, _read_profile, lambda item: item.merged_into if item else None,
                             lambda item: item is not None)
    except AppError:
        return None


def resolve_customer_id(customer_id: str) -> str:
    item = load_customer(customer_id)
    if item is None:
        raise AppError("not_found")
    return item.customer_id


def _key_item(key: str, customer_id: str) -> KeyItem:
    return KeyItem(pk=key, sk=KEY_SK, customer_id=customer_id, created_at=clock.iso())


def _new_customer_id() -> str:
    return "c_" + secrets.token_hex(10)


def _attach_condition(channel: str) -> Condition:
    condition: Condition = (
        CustomerItem.pk.exists()
        & CustomerItem.merged_into.does_not_exist()
        & ~CustomerItem.channels.contains(channel)
    )
    return condition


TxExtra = Callable[[Tx, str, bool], None]
"""Adds the caller's items (e.g. the refresh token) to the sign-in transaction: ``(tx, customer_id, new_member)``."""

EnrolmentHook = Callable[[Tx, CustomerItem], None]
"""``Area.enrolment``: ``(tx, new_customer)`` adds another area's items to the transaction creating a customer (the
opening gift pack): they exist exactly when the customer does, so concurrent first sign-ins issue them once."""


def create_customer(
    identity: Identity,
    *,
    unionid: str | None = None,
    phone: str | None = None,
    channel: str | None = None,
    extra: TxExtra | None = None,
) -> CustomerItem:
    """Create a customer owning ``identity`` (and unionid / verified phone) in one transaction.

    Raises ``TxCancelled`` with labels ``identity``/``unionid``/``phone`` when another request took
    one of those keys first; the caller resolves again.
    """
    for _attempt in retry.attempts(MAX_ATTEMPTS):
        customer_id = _new_customer_id()
        number = member_no.generate()
        now = clock.iso()
        customer = CustomerItem(
            pk=keys.customer_pk(customer_id),
            sk=PROFILE_SK,
            customer_id=customer_id,
            member_no=number,
            phone=phone,
            unionid=unionid,
            identities=[identity.label],
            channels=[identity.channel],
            created_at=now,
            updated_at=now,
            created_channel=channel or identity.channel,
        )
        tx = Tx()
        tx.put("customer", customer, CustomerItem.pk.does_not_exist())
        tx.put("identity", _key_item(identity.key, customer_id), KeyItem.pk.does_not_exist())
        tx.put("member_no", _key_item(member_no_key(number), customer_id), KeyItem.pk.does_not_exist())
        if unionid:
            tx.put("unionid", _key_item(union_key(unionid), customer_id), KeyItem.pk.does_not_exist())
        if phone:
            tx.put("phone", _key_item(phone_key(phone), customer_id), KeyItem.pk.does_not_exist())
        if extra:
            extra(tx, customer_id, True)
        for hook in area.refs(lambda a: a.enrolment):
            hook(tx, customer)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed & {"member_no", "customer"} and not exc.failed - {"member_no", "customer"}:
                continue  # a random collision: draw again
            raise
        logger.info("customer created", extra={"new_customer_id": customer_id, "channel": identity.channel})
        return customer
    retry.give_up("customer creation")


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
    tx.put("identity", _key_item(identity.key, customer.customer_id), KeyItem.pk.does_not_exist())
    actions = [
        CustomerItem.identities.set(CustomerItem.identities.append([identity.label])),
        CustomerItem.channels.set(CustomerItem.channels.append([identity.channel])),
        CustomerItem.updated_at.set(clock.iso()),
    ]
    if unionid and not customer.unionid:
        tx.put("unionid", _key_item(union_key(unionid), customer.customer_id), KeyItem.pk.does_not_exist())
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


def sign_in(
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
    for _attempt in retry.attempts(MAX_ATTEMPTS):
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
            continue
    retry.give_up("sign-in resolution")


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
            _key_item(union_key(absorbed.unionid), survivor.customer_id),
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
            _key_item(f"IDENT#{label}", survivor.customer_id),
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
        tx.put("phone", _key_item(phone_key(phone), customer.customer_id), KeyItem.pk.does_not_exist())
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
