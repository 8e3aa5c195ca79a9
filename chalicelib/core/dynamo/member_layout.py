"""Where a customer's items live: the bounded ``M#`` prefix and the ``H#`` prefix of the kinds that grow.

The member's hot read (``identity.member``) is one Query of ``M#``; only kinds bounded by the programme's
configuration stay there. A kind that grows with the member's history lives under ``H#<kind>#...``: the old layout's
``M#<kind>#...`` with ``H`` for ``M`` (``history_key``), listed by its own paged Query (``newest_page``).

A table written by an earlier version holds growing kinds under ``M#`` until ``migrate_member_partition`` has moved
them. While that runs, the stage sets ``MEMBER_PARTITION_MIGRATING=1`` (``migrating()``): lists and merges then read
both places (one more Query each), single items are looked up in both (one BatchGetItem), and writes that delete or
replace a moved item delete its old key too. Once the job reports done, the setting goes and so does the extra read.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.config import live_flag, settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.paging import decode_cursor, encode_cursor
from chalicelib.core.dynamo.paging import newest_page as _page

MEMBER_PREFIX = "M#"
HISTORY_PREFIX = "H#"


def history_key(old_sk: str) -> str:
    """``M#APPT#x`` -> ``H#APPT#x``: a growing kind's sort key in the current layout."""
    return HISTORY_PREFIX + old_sk.removeprefix(MEMBER_PREFIX)


def old_key(sk: str) -> str:
    """``H#APPT#x`` -> ``M#APPT#x``: where the same item sat in the old layout."""
    return MEMBER_PREFIX + sk.removeprefix(HISTORY_PREFIX)


def migrating() -> bool:
    """True while old-layout items may remain (``MEMBER_PARTITION_MIGRATING``, set until the migration is done)."""
    return live_flag("MEMBER_PARTITION_MIGRATING")


def current_sk(raw: dict[str, Any]) -> str:
    """A raw item's sort key in the current layout (an old-layout item's ``H#`` equivalent)."""
    sk: str = raw["sk"]["S"]
    return history_key(sk) if sk.startswith(MEMBER_PREFIX) else sk


def newest_page(customer_id: str, prefix: str, limit: int, cursor: str | None, *, consistent: bool = False
                ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a growing kind (``prefix`` under ``H#``), newest first: one Query (two while ``migrating()``,
    merged in the current layout's order; the cursor names a current-layout key)."""
    if not migrating():
        return _page(customer_id, prefix, limit, cursor, consistent=consistent)
    start = decode_cursor(cursor, prefix) if cursor else None
    found: list[dict[str, Any]] = []
    for p in (prefix, old_key(prefix)):
        found += _query(customer_id, p, limit + 1, consistent, (start if p == prefix else old_key(start))
                        if start else None)
    found.sort(key=current_sk, reverse=True)
    more = len(found) > limit
    found = found[:limit]
    return found, (encode_cursor(current_sk(found[-1])) if more and found else None)


def newest(customer_id: str, prefix: str, limit: int, *, consistent: bool = False) -> list[dict[str, Any]]:
    """At most ``limit`` items of a growing kind, newest first (both places while ``migrating()``)."""
    return newest_page(customer_id, prefix, limit, None, consistent=consistent)[0]


def _query(customer_id: str, prefix: str, limit: int, consistent: bool, start: str | None) -> list[dict[str, Any]]:
    pk = customer_pk(customer_id)
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":p": {"S": prefix}},
        "ScanIndexForward": False,
        "Limit": limit,
        "ConsistentRead": consistent,
    }
    if start:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": start}}
    items: list[dict[str, Any]] = shared_connection().client.query(**kwargs).get("Items", [])
    return items


def retire_old(tx: Any, label: str, model: Any, pk: str, sk: str) -> None:
    """While ``migrating()``: delete the old-layout copy of the item ``tx`` writes or deletes at ``sk`` (nothing
    otherwise), so an item is never left in both places."""
    if migrating():
        tx.delete(label, model(pk=pk, sk=old_key(sk)))


def check_old_absent(tx: Any, label: str, model: Any, pk: str, sk: str) -> None:
    """While ``migrating()``: ``tx`` fails on ``label`` if the old-layout copy of ``sk`` exists (a put-if-absent
    must see both places)."""
    if migrating():
        tx.check(label, model, pk, old_key(sk), model.pk.does_not_exist())


CORE_MOVED = {"M#IDEM#": "H#IDEM#"}
"""Growing kinds the core itself kept under ``M#`` (idempotency records); the areas declare theirs
(``Area.moved_kinds``)."""
