"""PynamoDB models of the single application table.

One table, generic keys ``pk``/``sk``, two generic indexes (``gsi1``, ``gsi2``) and a TTL attribute
``ttl``; every item type is a model over the same table. The key scheme is listed in the README
("Data model"). A customer's partition is ``CUST#<customer_id>``; sort keys beginning ``M#`` hold
what ``GET /v1/me`` needs, so one Query (or one GetItem) answers it.

The table name and endpoint are read from settings when a connection is first made (see
``_LazyMeta``): importing this module creates no AWS client.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.config import settings


class _LazyMeta(type):
    """Makes ``Meta.table_name``/``host``/``region`` read settings at use, not at import."""

    @property
    def table_name(cls) -> str:
        return settings().table_name

    @property
    def host(cls) -> str | None:
        return settings().dynamodb_endpoint

    @property
    def region(cls) -> str:
        return settings().region


class TableMeta(metaclass=_LazyMeta):
    connect_timeout_seconds = 2
    read_timeout_seconds = 5
    max_retry_attempts = 2
    max_pool_connections = 50


class Gsi1(GlobalSecondaryIndex["Any"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["Any"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class Item(Model):
    """Base of every item: generic keys and an optional expiry (DynamoDB TTL, epoch seconds)."""

    Meta = TableMeta

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    ttl = NumberAttribute(null=True)  # epoch seconds; the table's TTL attribute

    @classmethod
    def _get_connection(cls):  # type: ignore[no-untyped-def]
        """Share one botocore client across every item type (see ``connection.py``)."""
        from chalicelib.adapters.dynamo.connection import shared_connection

        table_conn = super()._get_connection()
        shared = shared_connection()
        if table_conn.connection._client is not shared.client:
            table_conn.connection._client = shared.client
        return table_conn


PROFILE_SK = "M#PROFILE"


class ConsentsAttribute(MapAttribute[str, Any]):
    marketing = BooleanAttribute(default=False)
    profiling = BooleanAttribute(default=False)


class CustomerItem(Item):
    """``CUST#<id>`` / ``M#PROFILE``: the member's profile and tier (points live on ``M#POINTS``).

    An absorbed customer keeps this item with ``merged_into`` set, so its ID keeps resolving.
    """

    customer_id = UnicodeAttribute()
    member_no = UnicodeAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)
    gender = UnicodeAttribute(null=True)
    consents = ConsentsAttribute(default=dict)
    preferences = JSONAttribute(null=True)
    unionid = UnicodeAttribute(null=True)
    identities = ListAttribute(of=UnicodeAttribute, default=list)
    channels = ListAttribute(of=UnicodeAttribute, default=list)
    tier_code = UnicodeAttribute(default="base")
    created_at = UnicodeAttribute()
    created_channel = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    # Birthday index, set with the birthday: ``BDAY#<MM>#<shard>`` / ``Y<year last issued>#<id>`` (benefits_birthday)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)


class KeyItem(Item):
    """A unique key pointing at a customer: ``IDENT#...``, ``PHONE#...``, ``UNION#...``, ``MEMBERNO#...``.

    Conditional puts on these items are what makes identities, phones and member numbers unique.
    """

    customer_id = UnicodeAttribute()
    created_at = UnicodeAttribute(null=True)


class MergeRecordItem(Item):
    """``CUST#<survivor>`` / ``MERGE#<at>#<absorbed>``: what a merge moved, kept for agents and audits."""

    absorbed_customer_id = UnicodeAttribute()
    moved = UnicodeAttribute()


class OtpItem(Item):
    """``OTP#<phone>`` / ``OTP``: the current SMS code, stored as an HMAC, with its tries."""

    code_hash = UnicodeAttribute()
    expires_at = NumberAttribute()
    sent_at = NumberAttribute()
    attempts = NumberAttribute(default=0)
    used = BooleanAttribute(null=True)


class CounterItem(Item):
    """``RATE#<scope>#<key>#<window>`` / ``RATE``: a fixed-window rate-limit counter."""

    count = NumberAttribute(default=0)


class OaStateItem(Item):
    """``OASTATE#<state>`` / ``OASTATE``: single-use OAuth state, remembering the code it was used with."""

    redirect_uri = UnicodeAttribute()
    scope = UnicodeAttribute()
    expires_at = NumberAttribute()
    code_hash = UnicodeAttribute(null=True)
    used_at = NumberAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    new_member = BooleanAttribute(null=True)


class RefreshTokenItem(Item):
    """``RT#<sha256>`` / ``RT``: a refresh token, stored hashed; ``spent_at`` once rotated."""

    family_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    role = UnicodeAttribute()
    customer_id = UnicodeAttribute(null=True)
    staff_id = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    spent_at = NumberAttribute(null=True)


class TokenFamilyItem(Item):
    """``RTFAM#<family>`` / ``RTFAM``: exists only once a family is revoked (reuse or logout)."""

    revoked_at = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)


class StaffItem(Item):
    """``STAFF#<username>`` / ``STAFF``."""

    staff_id = UnicodeAttribute()
    username = UnicodeAttribute()
    role = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    disabled = BooleanAttribute(default=False)


class ApiKeyItem(Item):
    """``APIKEY#<sha256>`` / ``APIKEY``: an integration key, stored hashed."""

    name = UnicodeAttribute()
    created_at = UnicodeAttribute(null=True)
    disabled = BooleanAttribute(default=False)


class WechatTokenItem(Item):
    """``WXTOKEN#<app_id>`` / ``WXTOKEN``: the cached server access token from ``stable_token``."""

    access_token = UnicodeAttribute()
    expires_at = NumberAttribute()


class SmsOutboxItem(Item):
    """``SMSOUT#<phone>`` / ``<sent_at iso>#<id>``: the local stage's simulated SMS outbox."""

    phone = UnicodeAttribute()
    code = UnicodeAttribute()
    sent_at = UnicodeAttribute()


def reset_connections() -> None:
    """Forget cached connections (tests call this after pointing settings at another endpoint)."""
    from chalicelib.adapters.dynamo.connection import reset_shared_connection

    reset_shared_connection()
    pending: list[type[Item]] = [Item]
    while pending:
        model = pending.pop()
        model._connection = None
        pending.extend(model.__subclasses__())
