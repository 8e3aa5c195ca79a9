"""Paging: one cursor codec (an opaque, URL-safe token naming the last sort key) and one index-page reader.

A cursor that was tampered with, or names a key outside the listing's prefix, is 400 ``validation_error``,
never a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.errors import AppError


def encode_cursor(sk: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sk": sk}, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, prefix: str) -> str:
    """The sort key a cursor stands for; anything else is 400 ``validation_error`` (never a 500)."""
    invalid = AppError("validation_error", details=[{"field": "cursor", "issue": "is not a valid cursor"}])
    if len(cursor) > 512:
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise invalid from None
    sk = data.get("sk") if isinstance(data, dict) else None
    if not isinstance(sk, str) or not sk.startswith(prefix) or len(sk) > 300:
        raise invalid
    return sk


def index_page(
    index: str, partition: str, limit: int, *, ascending: bool = True, start: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], bool]:
    """One Query on a generic index (``gsi1``/``gsi2``): ``limit`` raw items and whether more exist.

    ``start`` is the last item's keys (``pk``, ``sk`` and the index's two keys) when continuing a page.
    """
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "IndexName": index,
        "KeyConditionExpression": f"{index}pk = :p",
        "ExpressionAttributeValues": {":p": {"S": partition}},
        "ScanIndexForward": ascending,
        "Limit": limit + 1,
    }
    if start:
        kwargs["ExclusiveStartKey"] = {k: {"S": v} for k, v in start.items()}
    page = shared_connection().client.query(**kwargs)
    items = page.get("Items", [])
    return items[:limit], len(items) > limit


def query_all(**kwargs: Any) -> list[dict[str, Any]]:
    """Every item a Query of the application table answers (``kwargs`` as boto3 takes them), page after page."""
    client, found = shared_connection().client, []
    kwargs["TableName"] = settings().table_name
    while True:
        page = client.query(**kwargs)
        found += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def index_all(index: str, partition: str) -> list[dict[str, Any]]:
    """Every item of an index partition (for the daily jobs), page after page."""
    out: list[dict[str, Any]] = []
    start: dict[str, str] | None = None
    while True:
        items, more = index_page(index, partition, 500, start=start)
        out.extend(items)
        if not more or not items:
            return out
        last = items[-1]
        start = {k: last[k]["S"] for k in ("pk", "sk", f"{index}pk", f"{index}sk")}


def newest(customer_id: str, prefix: str, limit: int, *, newest_first: bool = True) -> list[dict[str, Any]]:
    """At most ``limit`` raw items of a customer's sort-key ``prefix`` (one Query, whatever the partition's size)."""
    items: list[dict[str, Any]] = shared_connection().client.query(
        TableName=settings().table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": customer_pk(customer_id)}, ":p": {"S": prefix}},
        ScanIndexForward=not newest_first,
        Limit=limit,
    ).get("Items", [])
    return items


def newest_page(customer_id: str, prefix: str, limit: int, cursor: str | None, *, consistent: bool = False
                ) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a customer's items under ``prefix``, newest first, and the cursor of the next page (None at the
    end): one Query with ``Limit`` (``limit + 1`` read, so there is no empty last page), the same cost at any size."""
    pk = customer_pk(customer_id)
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":p": {"S": prefix}},
        "ScanIndexForward": False,
        "Limit": limit + 1,
        "ConsistentRead": consistent,
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": decode_cursor(cursor, prefix)}}
    raw: list[dict[str, Any]] = shared_connection().client.query(**kwargs).get("Items", [])
    more = len(raw) > limit
    raw = raw[:limit]
    return raw, (encode_cursor(raw[-1]["sk"]["S"]) if more and raw else None)
