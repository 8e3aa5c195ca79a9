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
    UnicodeSetAttribute,
)

from chalicelib.core.dynamo.items import Item

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
    closed_at = UnicodeAttribute(null=True)  # erased after the member closed the account: no session goes on
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)
    gender = UnicodeAttribute(null=True)
    consents = ConsentsAttribute(default=dict)
    preferences = JSONAttribute(null=True)
    # What the member's participation taught (an event's tags at check-in), kept only with the profiling consent.
    tags = UnicodeSetAttribute(null=True)
    unionid = UnicodeAttribute(null=True)
    identities = ListAttribute[Any](of=UnicodeAttribute, default=list)
    channels = ListAttribute[Any](of=UnicodeAttribute, default=list)
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
    mergeable = BooleanAttribute(null=True)  # the session's customer had no verified phone (Principal.mergeable)
    staff_gen = NumberAttribute(null=True)  # a staff session: the account's ``session_gen`` when it signed in


class TokenFamilyItem(Item):
    """``RTFAM#<family>`` / ``RTFAM``: exists only once a family is revoked (reuse or logout)."""

    revoked_at = NumberAttribute(null=True)
    reason = UnicodeAttribute(null=True)


STAFF_SK = "STAFF"


def staff_pk(username: str) -> str:
    return f"STAFF#{username}"


STAFF_DIRECTORY = "STAFFDIR"  # gsi1 partition of every staff account, by username (the admins' list)


def staff_id_pk(staff_id: str) -> str:
    return f"STAFFID#{staff_id}"


class StaffItem(Item):
    """``STAFF#<username>`` / ``STAFF``; listed on gsi1 ``STAFFDIR`` / ``<username>``."""

    staff_id = UnicodeAttribute()
    username = UnicodeAttribute()
    role = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    disabled = BooleanAttribute(default=False)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # TOTP (identity/staff_mfa.py): the secret sealed, once confirmed; one being enrolled; the last time step used.
    totp_secret = UnicodeAttribute(null=True)
    totp_pending = UnicodeAttribute(null=True)
    totp_last_step = NumberAttribute(null=True)
    # Raised by a password reset: refresh tokens issued before it (another ``staff_gen``) stop (sessions.rotate).
    session_gen = NumberAttribute(null=True)


class StaffIdItem(Item):
    """``STAFFID#<staff_id>`` / ``STAFF``: which username a staff ID names (the admins' routes take the ID)."""

    username = UnicodeAttribute()


class ApiKeyItem(Item):
    """``APIKEY#<sha256>`` / ``APIKEY``: an integration key, stored hashed."""

    name = UnicodeAttribute()
    created_at = UnicodeAttribute(null=True)
    disabled = BooleanAttribute(default=False)






