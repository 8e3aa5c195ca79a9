"""Operators' use cases: register, list, read and delete endpoints, rotate a secret, list and replay deliveries.

A secret is 32 random bytes (``whsec_`` + hex), shown once (the answer to the create or the rotation) and stored
sealed; it never reaches a log or a later answer.
"""

from __future__ import annotations

import secrets as random_secrets
import time
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.paging import decode_cursor, encode_cursor
from chalicelib.core.errors import AppError
from chalicelib.webhooks import store
from chalicelib.webhooks.models import DELIVERY_PREFIX, DELIVERY_SK, ENDPOINT_PREFIX, ENDPOINTS_PK, EVENT_PREFIX


def _new_secret() -> str:
    return "whsec_" + random_secrets.token_hex(32)


_now = clock.now_iso


def view(item: dict[str, Any]) -> dict[str, Any]:
    until = item.get("previous_until")
    overlap = bool(item.get("previous_secret_sealed") and until and time.time() < until)
    previous_until = clock.iso(datetime.fromtimestamp(int(until), UTC)) if overlap and until else None
    return {"webhook_id": item["endpoint_id"], "url": item["url"], "events": list(item.get("events") or []),
            "description": item.get("description"), "created_at": item["created_at"],
            "secret_rotated_at": item.get("rotated_at"), "previous_secret_valid_until": previous_until}


def _get(webhook_id: str) -> dict[str, Any]:
    if not webhook_id.startswith("wh_") or len(webhook_id) > 40:
        raise AppError("not_found")
    item = store.get(ENDPOINTS_PK, f"{ENDPOINT_PREFIX}{webhook_id}")
    if item is None:
        raise AppError("not_found")
    return item


def create(url: str, events: list[str], description: str | None, staff_id: str | None) -> dict[str, Any]:
    if len(store.endpoints(fresh=True)) >= settings().webhook_max_endpoints:
        raise AppError("too_many_webhooks")
    endpoint_id = "wh_" + random_secrets.token_hex(8)
    secret = _new_secret()
    item = {"pk": ENDPOINTS_PK, "sk": f"{ENDPOINT_PREFIX}{endpoint_id}", "endpoint_id": endpoint_id, "url": url,
            "events": sorted(set(events)), "description": description, "secret_sealed": store.seal(secret, endpoint_id),
            "created_at": _now(), "created_by": staff_id}
    store.client().put_item(TableName=store.table(), Item=store.raw_item(item),
                            ConditionExpression="attribute_not_exists(pk)")
    store.reset_cache()
    return {**view(item), "secret": secret}


def listing() -> dict[str, Any]:
    return {"items": [view(e) for e in sorted(store.endpoints(fresh=True), key=lambda e: e["created_at"])]}


def get(webhook_id: str) -> dict[str, Any]:
    return view(_get(webhook_id))


def delete(webhook_id: str) -> None:
    """Gone at once for new events (within the stream consumers' 5 s cache); its pending deliveries end dead."""
    _get(webhook_id)
    store.client().delete_item(TableName=store.table(), Key={"pk": {"S": ENDPOINTS_PK},
                                                             "sk": {"S": f"{ENDPOINT_PREFIX}{webhook_id}"}})
    store.reset_cache()


def rotate(webhook_id: str) -> dict[str, Any]:
    """A new secret; the current one keeps signing (a second ``v1``) for ``webhook_secret_overlap_seconds``.
    Conditioned on the secret read, so two rotations at once cannot both keep a previous one."""
    item = _get(webhook_id)
    secret = _new_secret()
    until = int(time.time()) + settings().webhook_secret_overlap_seconds
    try:
        store.client().update_item(
            TableName=store.table(), Key={"pk": {"S": ENDPOINTS_PK}, "sk": {"S": f"{ENDPOINT_PREFIX}{webhook_id}"}},
            UpdateExpression="SET secret_sealed = :new, previous_secret_sealed = :old, previous_until = :until, "
                             "rotated_at = :at",
            ConditionExpression="secret_sealed = :old",
            ExpressionAttributeValues={":new": {"S": store.seal(secret, webhook_id)},
                                       ":old": {"S": item["secret_sealed"]}, ":until": {"N": str(until)},
                                       ":at": {"S": _now()}})
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise AppError("service_unavailable", retry_after=1) from None
        raise
    store.reset_cache()
    return {**get(webhook_id), "secret": secret}


# --- deliveries ----------------------------------------------------------------------------------------------------


def delivery_view(d: dict[str, Any]) -> dict[str, Any]:
    return {"delivery_id": d["delivery_id"], "webhook_id": d["endpoint_id"], "event_id": d["event_id"],
            "event_type": d["event_type"], "customer_id": d["customer_id"], "sequence": int(d["seq"]),
            "status": d["status"], "attempts": int(d.get("attempts") or 0),
            "last_status_code": d.get("last_status_code"), "last_error": d.get("last_error"),
            "next_attempt_at": d.get("next_attempt_at") if d["status"] == "pending" else None,
            "created_at": d["created_at"], "updated_at": d["updated_at"], "delivered_at": d.get("delivered_at"),
            "replays": int(d.get("replays") or 0)}


def deliveries(webhook_id: str, status: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """Newest first; ``status`` reads its own index partition (one Query a page either way)."""
    index, partition = (("gsi1", f"WHDS#{webhook_id}#{status}") if status else ("gsi2", f"WHDA#{webhook_id}"))
    kwargs: dict[str, Any] = {
        "TableName": store.table(), "IndexName": index, "KeyConditionExpression": f"{index}pk = :p",
        "ExpressionAttributeValues": {":p": {"S": partition}}, "ScanIndexForward": False, "Limit": limit + 1}
    if cursor:  # a bad cursor is a 400 whatever the endpoint
        order = decode_cursor(cursor, "")
        did = order.rpartition("#")[2]
        if not did.startswith("dlv_"):
            raise AppError("validation_error", details=[{"field": "cursor", "issue": "is not a valid cursor"}])
        kwargs["ExclusiveStartKey"] = {"pk": {"S": f"{DELIVERY_PREFIX}{did}"}, "sk": {"S": DELIVERY_SK},
                                       f"{index}pk": {"S": partition}, f"{index}sk": {"S": order}}
    _get(webhook_id)
    items = [store.plain(i) for i in store.client().query(**kwargs).get("Items", [])]
    page = items[:limit]
    more = len(items) > limit
    return {"items": [delivery_view(d) for d in page],
            "next_cursor": encode_cursor(page[-1][f"{index}sk"]) if more and page else None}


def replay(webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """Deliver the same event (same ID, same body) again, outside the member's line; attempts start over."""
    _get(webhook_id)
    d = store.get(f"{DELIVERY_PREFIX}{delivery_id}", DELIVERY_SK) if delivery_id.startswith("dlv_") else None
    if d is None or d["endpoint_id"] != webhook_id:
        raise AppError("not_found")
    if d["status"] == "pending":
        raise AppError("delivery_in_progress")
    event = store.get(f"CUST#{d['customer_id']}", f"{EVENT_PREFIX}{d['event_id']}")
    if event is None or not event.get("body"):
        raise AppError("not_found")
    try:
        out = store.client().update_item(
            TableName=store.table(), Key=store.delivery_key(delivery_id),
            UpdateExpression="SET #s = :pending, attempts = :zero, in_line = :false, gsi1pk = :g, updated_at = :at "
                             "ADD replays :one REMOVE lease_until, next_attempt_at",
            ConditionExpression="#s = :was", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":pending": {"S": "pending"}, ":zero": {"N": "0"}, ":false": {"BOOL": False},
                                       ":g": {"S": f"WHDS#{webhook_id}#pending"}, ":at": {"S": _now()},
                                       ":one": {"N": "1"}, ":was": {"S": d["status"]}},
            ReturnValues="ALL_NEW")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise AppError("delivery_in_progress") from None
        raise
    try:
        store.enqueue([delivery_id])
    except Exception:  # nothing queued: put the delivery back as it was, so the replay can be asked again
        store.client().update_item(
            TableName=store.table(), Key=store.delivery_key(delivery_id),
            UpdateExpression="SET #s = :was, gsi1pk = :g", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":was": {"S": d["status"]}, ":g": {"S": f"WHDS#{webhook_id}#{d['status']}"}})
        raise AppError("service_unavailable", retry_after=5) from None
    return delivery_view(store.plain(out["Attributes"]))
