"""A member's raw items, read straight from the table (consistent), for tests that check what was written."""

from __future__ import annotations

from typing import Any


def items_of(customer_id: str, prefix: str) -> list[dict[str, Any]]:
    """Every raw item of the member's partition (``CUST#<id>``) whose sort key starts with ``prefix``."""
    from chalicelib.core.config import settings
    from chalicelib.core.dynamo.connection import shared_connection

    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": f"CUST#{customer_id}"}, ":p": {"S": prefix}},
    }
    out: list[dict[str, Any]] = []
    while True:
        page = client.query(**kwargs)
        out += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
