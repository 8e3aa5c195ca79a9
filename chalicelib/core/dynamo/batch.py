"""One consistent BatchGetItem of known keys, whatever their kinds (unprocessed keys asked again)."""

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
