"""One person, one customer ID, whichever channel they arrive from: the customer directory.

An identity is ``(provider, app_id, subject)``: the app's verified phone, a mini-program openid, an
official-account openid. Each maps to exactly one customer through a unique ``IDENT#`` key item.
The WeChat unionid and a verified phone are attributes of the customer, also held unique by key
items (``UNION#``, ``PHONE#``), and they are how a new identity finds its customer: unionid first,
then a verified phone (``customer_resolution.py``). Here: the key items, reading a customer (following merge
aliases) and creating one. Merging is ``merges.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from chalicelib.core import area, clock
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.identity import member_no
from chalicelib.identity.models import PROFILE_SK, CustomerItem, KeyItem

KEY_SK = "KEY"
PROVIDER_CHANNEL = {"app": "app", "wechat_mp": "miniprogram", "wechat_oa": "wechat_oa", "store": "store"}
MAX_ATTEMPTS = 4


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


def key_item(key: str, customer_id: str) -> KeyItem:
    """A key item (identity, unionid, phone, member number) naming ``customer_id``."""
    return KeyItem(pk=key, sk=KEY_SK, customer_id=customer_id, created_at=clock.iso())


def _new_customer_id() -> str:
    return "c_" + secrets.token_hex(10)


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
    def once(_attempt: int) -> CustomerItem:
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
        tx.put("identity", key_item(identity.key, customer_id), KeyItem.pk.does_not_exist())
        tx.put("member_no", key_item(member_no_key(number), customer_id), KeyItem.pk.does_not_exist())
        if unionid:
            tx.put("unionid", key_item(union_key(unionid), customer_id), KeyItem.pk.does_not_exist())
        if phone:
            tx.put("phone", key_item(phone_key(phone), customer_id), KeyItem.pk.does_not_exist())
        if extra:
            extra(tx, customer_id, True)
        for hook in area.refs(lambda a: a.enrolment):
            hook(tx, customer)
        try:
            tx.commit()
        except TxCancelled as exc:
            if exc.failed & {"member_no", "customer"} and not exc.failed - {"member_no", "customer"}:
                raise retry.Again from None  # a random collision: draw again
            raise
        logger.info("customer created", extra={"new_customer_id": customer_id, "channel": identity.channel})
        return customer
    return retry.until_committed(once, limit=MAX_ATTEMPTS, what="customer creation")
