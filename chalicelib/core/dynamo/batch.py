"""Known keys, whatever their kinds, in batches: BatchGetItem reads, or BatchWriteItem deletes (unprocessed keys asked
again after the core's backoff). Every batch read of the areas goes through here."""

from __future__ import annotations

from typing import Any

from chalicelib.core.config import settings
from chalicelib.core.dynamo import retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.errors import AppError


def batch_get(keys: list[tuple[str, str]], *, consistent: bool = True,
              attempts: int = 8) -> dict[tuple[str, str], dict[str, Any]]:
    """BatchGetItem of ``keys`` (any number: 100 to a call; consistent unless told): ``{(pk, sk): raw item}`` of those
    that exist. Keys DynamoDB leaves unprocessed (under load) are asked again after the core's backoff; still
    unprocessed after ``attempts`` calls of a batch, 503 ``service_unavailable`` (a queue handler's message is then
    delivered again). ``attempts`` bounds the calls where a route promises few."""
    table = settings().table_name
    unique = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in dict.fromkeys(keys)]
    found: dict[tuple[str, str], dict[str, Any]] = {}
    client = shared_connection().client
    for start in range(0, len(unique), 100):
        pending = unique[start:start + 100]
        for attempt in range(attempts):
            if not pending:
                break
            if attempt:
                retry.backoff(attempt - 1)
            out = client.batch_get_item(RequestItems={table: {"Keys": pending, "ConsistentRead": consistent}})
            for raw in out.get("Responses", {}).get(table, []):
                found[(raw["pk"]["S"], raw["sk"]["S"])] = raw
            pending = out.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        if pending:
            raise AppError("service_unavailable", retry_after=1)
    return found


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
                retry.backoff(attempt - 1)
            out = client.batch_write_item(RequestItems={table: pending})
            pending = out.get("UnprocessedItems", {}).get(table, [])
        else:
            raise AppError("service_unavailable", retry_after=1)
