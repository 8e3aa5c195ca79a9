"""The delivery worker: one message (kind ``webhook_delivery``) -> one signed POST, at least once, in member order.

A member's undelivered events to one endpoint form a line (``WHQ#<endpoint>#<customer>``, by sequence). Only the
first of a line is attempted: a message for a later one is dropped, and whoever finishes the first (delivered, or
dead after ``webhook_max_attempts``) queues the next. So while an earlier event of the member keeps failing, later
ones wait, and the receiver gets them in sequence order once it answers again. A dead event leaves the line (it is
listed, and can be replayed): the member's later events go on.

An attempt is claimed first (a conditional update: ``lease_until`` and ``attempts`` + 1), so two copies of a message
(SQS delivers at least once) make one POST; a copy that finds the lease held fails, and SQS brings it back after the
retry queue's backoff (by then the delivery is finished, or its lease released or expired).

A failed attempt queues the message again with ``DelaySeconds`` =
``base x 2^(attempts-1)`` (+-20 %, capped: SQS allows 15 minutes) and succeeds, so the retry queue's own redrive
is reserved for a worker that cannot reach DynamoDB or SQS; if that runs out, ``exhausted`` marks the delivery dead.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.observability import logger, metrics
from chalicelib.webhooks import signing, store
from chalicelib.webhooks.models import DELIVERY_PREFIX, DELIVERY_SK, ENDPOINT_PREFIX, ENDPOINTS_PK, EVENT_PREFIX
from chalicelib.webhooks.producer import line_pk, seq_sk

JITTER = 0.2
LEASE_SECONDS = 60
_http: Any = None


def _pool() -> Any:
    global _http
    if _http is None:
        import urllib3

        _http = urllib3.PoolManager(num_pools=10, maxsize=4, retries=False)
    return _http


def backoff_seconds(attempts: int, *, jitter: bool = True) -> int:
    cfg = settings()
    delay = min(cfg.webhook_backoff_max_seconds, cfg.webhook_backoff_base_seconds * 2 ** max(0, attempts - 1))
    if jitter:
        delay *= random.uniform(1 - JITTER, 1 + JITTER)
    return int(max(0, min(store.MAX_DELAY_SECONDS, round(delay))))


def _now() -> str:
    return clock.iso(clock.now())


def _delivery(delivery_id: str) -> dict[str, Any] | None:
    return store.get(f"{DELIVERY_PREFIX}{delivery_id}", DELIVERY_SK)


def _ahead(d: dict[str, Any]) -> bool:
    """Whether an earlier event of the member to this endpoint is still undelivered (one consistent Query)."""
    out = store.client().query(
        TableName=store.table(), KeyConditionExpression="pk = :p AND sk < :s", Limit=1, ConsistentRead=True,
        ExpressionAttributeValues={":p": {"S": line_pk(d["endpoint_id"], d["customer_id"])},
                                   ":s": {"S": seq_sk(int(d["seq"]))}})
    return bool(out.get("Items"))


def _kick_next(d: dict[str, Any]) -> None:
    """Queue the first of the line (after ``d`` left it)."""
    out = store.client().query(
        TableName=store.table(), KeyConditionExpression="pk = :p", Limit=1, ConsistentRead=True,
        ExpressionAttributeValues={":p": {"S": line_pk(d["endpoint_id"], d["customer_id"])}})
    for item in out.get("Items", []):
        store.enqueue([item["delivery_id"]["S"]])


def _claim(d: dict[str, Any]) -> dict[str, Any] | None:
    now = int(time.time())
    try:
        out = store.client().update_item(
            TableName=store.table(), Key=store.delivery_key(d["delivery_id"]),
            UpdateExpression="SET lease_until = :until, updated_at = :at ADD attempts :one",
            ConditionExpression="#s = :pending AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":until": {"N": str(now + LEASE_SECONDS)}, ":at": {"S": _now()},
                                       ":one": {"N": "1"}, ":pending": {"S": "pending"}, ":now": {"N": str(now)}},
            ReturnValues="ALL_NEW")
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return store.plain(out["Attributes"])


def _finish(d: dict[str, Any], status: str, code: int | None, error: str | None) -> None:
    """Delivered or dead: the delivery's outcome and its leaving the line, in one transaction."""
    did, endpoint_id = d["delivery_id"], d["endpoint_id"]
    at = _now()
    values: dict[str, Any] = {":s": {"S": status}, ":at": {"S": at}, ":g": {"S": f"WHDS#{endpoint_id}#{status}"},
                              ":pending": {"S": "pending"}}
    sets = ["#s = :s", "updated_at = :at", "gsi1pk = :g"]
    removes = ["lease_until", "next_attempt_at"]
    if status == "delivered":
        sets.append("delivered_at = :at")
    if code is not None:
        sets.append("last_status_code = :c")
        values[":c"] = {"N": str(code)}
    if error:
        sets.append("last_error = :e")
        values[":e"] = {"S": error[:300]}
    elif status == "delivered":
        removes.append("last_error")
    items: list[dict[str, Any]] = [{"Update": {
        "TableName": store.table(), "Key": store.delivery_key(did),
        "UpdateExpression": f"SET {', '.join(sets)} REMOVE {', '.join(removes)}",
        "ConditionExpression": "#s = :pending", "ExpressionAttributeNames": {"#s": "status"},
        "ExpressionAttributeValues": values}}]
    if d.get("in_line", True):
        items.append({"Delete": {"TableName": store.table(), "Key": {
            "pk": {"S": line_pk(endpoint_id, d["customer_id"])}, "sk": {"S": seq_sk(int(d["seq"]))}}}})
    try:
        store.client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        return  # finished by another copy meanwhile
    metrics.add_metric(name="WebhooksDelivered" if status == "delivered" else "WebhooksDead", unit="Count", value=1)
    if status == "dead":
        logger.warning("webhook delivery dead", extra={"delivery_id": did, "endpoint_id": endpoint_id,
                                                        "attempts": d.get("attempts"), "status_code": code})


def _retry_later(d: dict[str, Any], code: int | None, error: str) -> None:
    delay = backoff_seconds(int(d["attempts"]))
    values: dict[str, Any] = {":e": {"S": error[:300]}, ":at": {"S": _now()},
                              ":next": {"S": clock.iso(clock.now() + timedelta(seconds=delay))}}
    sets = ["last_error = :e", "updated_at = :at", "next_attempt_at = :next"]
    if code is not None:
        sets.append("last_status_code = :c")
        values[":c"] = {"N": str(code)}
    store.client().update_item(
        TableName=store.table(), Key=store.delivery_key(d["delivery_id"]),
        UpdateExpression=f"SET {', '.join(sets)} REMOVE lease_until", ExpressionAttributeValues=values)
    store.enqueue([d["delivery_id"]], delay)


def secrets_of(endpoint: dict[str, Any], now: float | None = None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its overlap."""
    eid = endpoint["endpoint_id"]
    found = [store.unseal(endpoint["secret_sealed"], eid)]
    until = endpoint.get("previous_until")
    if endpoint.get("previous_secret_sealed") and until and (now if now is not None else time.time()) < until:
        found.append(store.unseal(endpoint["previous_secret_sealed"], eid))
    return found


def post(endpoint: dict[str, Any], event_id: str, body: str) -> tuple[int | None, str | None]:
    """One signed POST: (status code, error) -- error None for a 2xx."""
    data = body.encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", signing.ID_HEADER: event_id,
               signing.HEADER: signing.header(secrets_of(endpoint, stamp), stamp, data),
               "User-Agent": "member-portal-webhooks/1"}
    import urllib3

    try:
        response = _pool().request("POST", endpoint["url"], body=data, headers=headers, redirect=False,
                                   timeout=urllib3.Timeout(total=settings().webhook_timeout_seconds))
    except Exception as exc:  # the receiver unreachable, a timeout, TLS...
        return None, type(exc).__name__
    if 200 <= response.status < 300:
        return response.status, None
    return response.status, f"HTTP {response.status}"


def handle(message: dict[str, Any]) -> None:
    """The ``webhook_delivery`` kind's handler (``Area.retry_handlers``)."""
    d = _delivery(str(message.get("delivery_id")))
    if d is None:
        return
    if d["status"] != "pending":
        if d.get("in_line", True):
            _kick_next(d)  # a copy of a finished one: make sure the line moved on (a crash before the kick)
        return
    if d.get("in_line", True) and _ahead(d):
        return  # held: the first of the line queues this one when it is done
    claimed = _claim(d)
    if claimed is None:  # another copy is attempting it: if that one fails, this one is SQS's next try
        raise AttemptInProgress(d["delivery_id"])
    try:
        _attempt(claimed)
    except Exception:
        _release(claimed)  # so the message SQS delivers again can claim it at once
        raise


class AttemptInProgress(Exception):
    """A delivery is leased by another worker: the message comes back after its backoff (finished by then, or the
    lease expired)."""


def _attempt(claimed: dict[str, Any]) -> None:
    endpoint = store.get(ENDPOINTS_PK, f"{ENDPOINT_PREFIX}{claimed['endpoint_id']}")
    event = store.get(f"CUST#{claimed['customer_id']}", f"{EVENT_PREFIX}{claimed['event_id']}")
    if endpoint is None or event is None or not event.get("body"):
        _finish(claimed, "dead", None, "endpoint deleted" if endpoint is None else "event erased")
    else:
        code, error = post(endpoint, claimed["event_id"], event["body"])
        if error is None:
            _finish(claimed, "delivered", code, None)
        elif int(claimed["attempts"]) >= settings().webhook_max_attempts:
            _finish(claimed, "dead", code, error)
        else:
            metrics.add_metric(name="WebhookAttemptsFailed", unit="Count", value=1)
            _retry_later(claimed, code, error)
            return
    if claimed.get("in_line", True):
        _kick_next(claimed)


def _release(claimed: dict[str, Any]) -> None:
    try:
        store.client().update_item(TableName=store.table(), Key=store.delivery_key(claimed["delivery_id"]),
                                   UpdateExpression="REMOVE lease_until")
    except Exception:  # the lease then runs out by itself (LEASE_SECONDS)
        logger.warning("could not release a webhook delivery's lease", exc_info=True)


def exhausted(message: dict[str, Any]) -> None:
    """The retry queue gave up on a message (its worker kept failing): the delivery is dead, the line moves on."""
    d = _delivery(str(message.get("delivery_id")))
    if d is None or d["status"] != "pending":
        return
    _finish(d, "dead", d.get("last_status_code"), d.get("last_error") or "retries exhausted")
    if d.get("in_line", True):
        _kick_next(d)
