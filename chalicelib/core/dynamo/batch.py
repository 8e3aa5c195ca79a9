"""Known keys, whatever their kinds, in batches: one consistent BatchGetItem, or BatchWriteItem deletes (unprocessed
keys asked again)."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.errors import AppError


def batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Consistent BatchGetItem of ``keys`` (at most 100): ``{(pk, sk): raw item}`` of those that exist. Keys
    DynamoDB leaves unprocessed (under load) are asked again after a short pause."""
    table = settings().table_name
    pending = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    client = shared_connection().client
    for attempt in range(8):
        if not pending:
            return found
        if attempt:
            time.sleep(0.01 * 2 ** attempt)
        out = client.batch_get_item(RequestItems={table: {"Keys": pending, "ConsistentRead": True}})
        for raw in out.get("Responses", {}).get(table, []):
            found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
        pending = out.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    raise AppError("service_unavailable", retry_after=1)


def batch_delete(keys: list[tuple[str, str]]) -> None:
    """Delete the items at ``keys`` (absent ones too: nothing happens), 25 to a BatchWriteItem; what DynamoDB leaves
    unprocessed is sent again after a short pause."""
    table = settings().table_name
    client = shared_connection().client
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 25):
        chunk = unique[start:start + 25]
        pending = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in chunk]
        for attempt in range(8):
            if not pending:
                break
            if attempt:
                time.sleep(0.01 * 2 ** attempt)
            out = client.batch_write_item(RequestItems={table: pending})
            pending = out.get("UnprocessedItems", {}).get(table, [])
        else:
            raise AppError("service_unavailable", retry_after=1)
