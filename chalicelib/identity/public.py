"""Identity's front door: resolving and loading a customer, the member read, and the keys other areas write.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.core.lazy import front_door

if TYPE_CHECKING:
    from chalicelib.identity.access_token import (
        signing_secret as signing_secret,
    )
    from chalicelib.identity.directory import (
        Identity as Identity,
    )
    from chalicelib.identity.directory import (
        create_customer as create_customer,
    )
    from chalicelib.identity.directory import (
        follow_merged as follow_merged,
    )
    from chalicelib.identity.directory import (
        load_customer as load_customer,
    )
    from chalicelib.identity.directory import (
        lookup as lookup,
    )
    from chalicelib.identity.directory import (
        lookup_many as lookup_many,
    )
    from chalicelib.identity.directory import (
        member_no_key as member_no_key,
    )
    from chalicelib.identity.directory import (
        phone_key as phone_key,
    )
    from chalicelib.identity.directory import (
        resolve_customer_id as resolve_customer_id,
    )
    from chalicelib.identity.directory import (
        union_key as union_key,
    )
    from chalicelib.identity.member import (
        MemberRead as MemberRead,
    )
    from chalicelib.identity.member import (
        load as load,
    )
    from chalicelib.identity.member import (
        query as query,
    )
    from chalicelib.identity.member import (
        refuse_closed as refuse_closed,
    )
    from chalicelib.identity.models import (
        PROFILE_SK as PROFILE_SK,
    )
    from chalicelib.identity.models import (
        CustomerItem as CustomerItem,
    )
    from chalicelib.identity.otp import (
        code_hash as code_hash,
    )
    from chalicelib.identity.otp import (
        keys_of as keys_of,
    )

# name -> (its home module in this area, what it is for)
NAMES = {
    "signing_secret": ("access_token",
        "The stage's signing secret (tokens; other areas derive their own keys from it)."),
    "create_customer": ("directory",
        "Create a customer owning an identity (and unionid, verified phone) in one transaction."),
    "follow_merged": ("directory", "Read a customer, then the survivor while what was read is a merged alias."),
    "Identity": ("directory", "A sign-in identity (channel and id) of a customer."),
    "load_customer": ("directory", "The live profile of a customer, following merge aliases."),
    "lookup": ("directory", "The customer id a key item (phone, member number, unionid) names, if any."),
    "lookup_many": ("directory", "Resolve several key items in one call."),
    "member_no_key": ("directory", "The key item of a member number."),
    "phone_key": ("directory", "The key item of a phone number."),
    "resolve_customer_id": ("directory", "The live customer id for an id that may have been merged away."),
    "union_key": ("directory", "The key item of a WeChat unionid."),
    "load": ("member",
        "The member read: a live member's bounded items, following merge aliases; 404 for an unknown customer."),
    "MemberRead": ("member", "What the member read returned: the profile, parsed, and every item, raw."),
    "query": ("member", "The member read of one customer id, without following aliases: one Query."),
    "refuse_closed": ("member", "401 when the request's member token names this profile and its account is closed."),
    "CustomerItem": ("models", "The member's profile and tier (``CUST#<id>`` / ``M#PROFILE``)."),
    "PROFILE_SK": ("models", "The sort key of the profile item."),
    "code_hash": ("otp", "The stored hash of a one-time code."),
    "keys_of": ("otp", "The items keyed by a phone itself (its code and sending counters), for erasure."),
}

if not TYPE_CHECKING:  # a name is imported from its home on first use: a door costs nothing until then
    __getattr__ = front_door(__name__, NAMES)
