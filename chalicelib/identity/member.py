"""The bounded member read: one Query of a customer's ``M#`` sort keys, following a merged customer to the survivor.

Every hot path (``GET /v1/me``, points, check-in, benefit claims, redemptions, bookings, Plus) starts here, and
each area parses its own items from what it returns (``MemberRead.items``, raw DynamoDB items).

The bound
    Only kinds whose count is fixed by the programme's configuration live under ``M#``: one item per area state
    (profile, points state, Plus record and its year's savings total, notification counter, booking state, gift
    pack, this year's birthday grant), one live bucket per expiry day still ahead (bounded by the points' validity),
    one current quota counter per benefit (``M#QNOW#<benefit>``). So whatever the member does, for however long,
    this read returns at most ``8 + live buckets + benefits`` items, and none of them grows with the history (the
    booking state holds the slots of the booked appointments still ahead: bounded by the booking window). A few KB:
    one Query page, 0.5 to 1 RCU.
    Each area declares its ``M#`` kinds with why their count is bounded (``Area.member_kinds``; a contract test
    fails on an undeclared kind). Anything that grows with the member's history (appointments, Plus orders and
    savings lines, C2B supports, votes and gifts, past quota periods and birthdays, redemption-limit counters,
    idempotency records) lives under ``H#`` (``core.dynamo.member_layout``), read only by the use case that needs it.

Items of the old layout (growing kinds still under ``M#``, until ``migrate_member_partition`` has moved them) are
returned too, so readers find them in either place while the migration runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.member_layout import MEMBER_PREFIX
from chalicelib.core.errors import AppError
from chalicelib.core.http.principal import current as caller
from chalicelib.identity import directory
from chalicelib.identity.models import PROFILE_SK, CustomerItem


@dataclass
class MemberRead:
    """What one Query over a customer's ``M#`` sort keys returned: the profile, parsed, and every item, raw."""

    customer_id: str
    profile: CustomerItem | None
    items: list[dict[str, Any]]

    @property
    def merged_into(self) -> str | None:
        """The survivor, when this customer was absorbed by a merge (the profile or the points state says so)."""
        if self.profile is None:
            return None
        if self.profile.merged_into:
            return self.profile.merged_into
        for raw in self.items:
            alias = raw.get("merged_into", {}).get("S")
            if alias:
                return str(alias)
        return None


def query(customer_id: str, consistent: bool = False) -> MemberRead:
    """One Query (a second page only while old-layout items are still under ``M#``: see the module doc)."""
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
        "ExpressionAttributeValues": {":pk": {"S": customer_pk(customer_id)}, ":m": {"S": MEMBER_PREFIX}},
        "ConsistentRead": consistent,
    }
    profile: CustomerItem | None = None
    items: list[dict[str, Any]] = []
    while True:
        page = client.query(**kwargs)
        for raw in page.get("Items", []):
            if raw["sk"]["S"] == PROFILE_SK:
                profile = refuse_closed(CustomerItem.from_raw_data(raw))
            items.append(raw)
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return MemberRead(customer_id, profile, items)


def refuse_closed(profile: CustomerItem) -> CustomerItem:
    """401 ``invalid_token`` when the request's member token names this profile and its account is closed (erased):
    an access token is checked without a call (``access_token``), so the member's own bounded read, which every hot
    path makes anyway, is where it stops at once, at no call of its own. Refresh tokens stop at ``sessions.rotate``."""
    principal = caller.get()
    if (profile.closed_at and principal is not None and principal.role == "member"
            and principal.customer_id == profile.customer_id):
        raise AppError("invalid_token")
    return profile


T = TypeVar("T")


def follow(customer_id: str, read: Callable[[str], T], member_of: Callable[[T], MemberRead]) -> T:
    """``read`` the customer, then the survivor while what was read is a merged alias; 404 ``not_found`` for an
    unknown customer."""
    return directory.follow_merged(customer_id, read, lambda found: member_of(found).merged_into,
                                   lambda found: member_of(found).profile is not None)


def load(customer_id: str, consistent: bool = False) -> MemberRead:
    """The live member's bounded items, following merge aliases; 404 ``not_found`` for an unknown customer."""
    return follow(customer_id, lambda cid: query(cid, consistent), lambda found: found)
