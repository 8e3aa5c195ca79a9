"""Identity's front door: resolving and loading a customer, the member read, and the keys other areas write.

Other areas import these names from here (or the manifest ``AREA``) and nothing else of this area: a test
checks it. Each name is the area's own; the line under it says what it is for."""

from __future__ import annotations

from chalicelib.identity import access_token, directory, member, models, otp

signing_secret = access_token.signing_secret
"""The stage's signing secret (tokens; other areas derive their own keys from it)."""

create_customer = directory.create_customer
"""Create a customer owning an identity (and unionid, verified phone) in one transaction."""

follow_merged = directory.follow_merged
"""Read a customer, then the survivor while what was read is a merged alias."""

Identity = directory.Identity
"""A sign-in identity (channel and id) of a customer."""

load_customer = directory.load_customer
"""The live profile of a customer, following merge aliases."""

lookup = directory.lookup
"""The customer id a key item (phone, member number, unionid) names, if any."""

lookup_many = directory.lookup_many
"""Resolve several key items in one call."""

member_no_key = directory.member_no_key
"""The key item of a member number."""

phone_key = directory.phone_key
"""The key item of a phone number."""

resolve_customer_id = directory.resolve_customer_id
"""The live customer id for an id that may have been merged away."""

union_key = directory.union_key
"""The key item of a WeChat unionid."""

load = member.load
"""The member read: a live member's bounded items, following merge aliases; 404 for an unknown customer."""

MemberRead = member.MemberRead
"""What the member read returned: the profile, parsed, and every item, raw."""

query = member.query
"""The member read of one customer id, without following aliases: one Query."""

refuse_closed = member.refuse_closed
"""401 when the request's member token names this profile and its account is closed."""

CustomerItem = models.CustomerItem
"""The member's profile and tier (``CUST#<id>`` / ``M#PROFILE``)."""

PROFILE_SK = models.PROFILE_SK
"""The sort key of the profile item."""

code_hash = otp.code_hash
"""The stored hash of a one-time code."""

keys_of = otp.keys_of
"""The items keyed by a phone itself (its code and sending counters), for erasure."""
