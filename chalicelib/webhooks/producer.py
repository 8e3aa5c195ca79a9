"""The stream handler: a source record -> its events, each numbered in the member's sequence, with one delivery per
endpoint that wants it, queued.

For each event, one transaction: the event item (put if absent: the event ID is stable, so a record the stream
delivers again finds it and changes nothing), the member's ``WHSEQ`` counter (``seq`` + 1, conditioned on the value
read, so two writers never give out one number), and per endpoint the delivery and its place in the member's line.
Then one message per delivery. A replayed record whose event exists queues its still-pending deliveries again (a
crash between the commit and the send loses nothing; the worker ignores duplicates).

The sequence is given when the stream is read, in the order the member's records arrive (DynamoDB Streams keeps a
key's changes in order; a member's items share a partition key); it counts only events some endpoint wanted.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.dynamo import batch
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.observability import metrics
from chalicelib.identity.public import PROFILE_SK
from chalicelib.webhooks import events, store
from chalicelib.webhooks.models import DELIVERY_PREFIX, DELIVERY_SK, EVENT_PREFIX, LINE_PREFIX, STATE_SK

MAX_TRIES = 8


def delivery_id(endpoint_id: str, event_id: str) -> str:
    return "dlv_" + hashlib.sha256(f"{endpoint_id}|{event_id}".encode()).hexdigest()[:24]


def line_pk(endpoint_id: str, customer_id: str) -> str:
    return f"{LINE_PREFIX}{endpoint_id}#{customer_id}"


def seq_sk(seq: int) -> str:
    return f"{seq:012d}"


def _when(raw: dict[str, Any]) -> str | None:
    created = (raw.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    if isinstance(created, (int, float)):
        return clock.iso(datetime.fromtimestamp(created, UTC))
    return None


def _read(customer_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The member's webhook state and profile: one BatchGetItem (consistent)."""
    pk = customer_pk(customer_id)
    found = {sk: raw for (_pk, sk), raw in batch.batch_get([(pk, STATE_SK), (pk, PROFILE_SK)]).items()}
    state = store.plain(found[STATE_SK]) if STATE_SK in found else {}
    return state, (store.plain(found[PROFILE_SK]) if PROFILE_SK in found else None)


def body_of(draft: events.Draft, seq: int, member_no: str | None) -> str:
    """The payload every endpoint receives, as JSON text (compact, keys sorted: the signed bytes)."""
    return json.dumps({"id": draft.event_id, "type": draft.type, "occurred_at": draft.occurred_at,
                       "customer_id": draft.customer_id, "member_no": member_no, "sequence": seq,
                       "data": draft.data}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _state_update(customer_id: str, read_seq: int, new_seq: int, tier: str | None, now: str) -> dict[str, Any]:
    sets, values = ["seq = :n", "updated_at = :now"], {":n": {"N": str(new_seq)}, ":now": {"S": now}}
    if tier is not None:
        sets.append("tier = :t")
        values[":t"] = {"S": tier}
    update: dict[str, Any] = {
        "TableName": store.table(), "Key": {"pk": {"S": customer_pk(customer_id)}, "sk": {"S": STATE_SK}},
        "UpdateExpression": "SET " + ", ".join(sets), "ExpressionAttributeValues": values}
    if read_seq:
        update["ConditionExpression"] = "seq = :r"
        values[":r"] = {"N": str(read_seq)}
    else:
        update["ConditionExpression"] = "attribute_not_exists(seq) OR seq = :zero"
        values[":zero"] = {"N": "0"}
    return update


def _commit(draft: events.Draft, wanted: list[str], state: dict[str, Any], member_no: str | None,
            tier: str | None) -> tuple[list[str], bool] | None:
    """One event's transaction: the delivery IDs to queue and whether the event is new (False: it existed), or None
    when the member's counter moved meanwhile."""
    now = clock.iso(clock.now().astimezone(UTC))
    read_seq = int(state.get("seq") or 0)
    seq = read_seq + 1
    pk = customer_pk(draft.customer_id)
    ids = [delivery_id(e, draft.event_id) for e in wanted]
    items: list[dict[str, Any]] = [
        {"Put": {"TableName": store.table(), "ConditionExpression": "attribute_not_exists(pk)",
                 "Item": store.raw_item({"pk": pk, "sk": f"{EVENT_PREFIX}{draft.event_id}", "event_id": draft.event_id,
                                         "type": draft.type, "seq": seq, "customer_id": draft.customer_id,
                                         "occurred_at": draft.occurred_at, "endpoints": wanted,
                                         "body": body_of(draft, seq, member_no)})}},
        {"Update": _state_update(draft.customer_id, read_seq, seq, tier, now)},
    ]
    for endpoint_id, did in zip(wanted, ids, strict=True):
        order = f"{now}#{did}"
        items.append({"Put": {"TableName": store.table(), "ConditionExpression": "attribute_not_exists(pk)",
                              "Item": store.raw_item({
                                  "pk": f"{DELIVERY_PREFIX}{did}", "sk": DELIVERY_SK, "delivery_id": did,
                                  "endpoint_id": endpoint_id, "event_id": draft.event_id, "event_type": draft.type,
                                  "customer_id": draft.customer_id, "seq": seq, "status": "pending", "attempts": 0,
                                  "in_line": True, "created_at": now, "updated_at": now,
                                  "gsi1pk": f"WHDS#{endpoint_id}#pending", "gsi1sk": order,
                                  "gsi2pk": f"WHDA#{endpoint_id}", "gsi2sk": order})}})
        items.append({"Put": {"TableName": store.table(), "Item": store.raw_item({
            "pk": line_pk(endpoint_id, draft.customer_id), "sk": seq_sk(seq), "delivery_id": did})}})
    try:
        store.client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":  # the event exists: a record delivered again
            return _still_pending(draft), False
        if len(reasons) > 1 and reasons[1] in ("ConditionalCheckFailed", "TransactionConflict"):
            return None  # another event of the member took the number: read again
        raise
    metrics.add_metric(name="WebhookEvents", unit="Count", value=1)
    return ids, True


def _still_pending(draft: events.Draft) -> list[str]:
    event = store.get(customer_pk(draft.customer_id), f"{EVENT_PREFIX}{draft.event_id}") or {}
    ids = [delivery_id(e, draft.event_id) for e in event.get("endpoints") or []]
    pending = []
    for did in ids:
        d = store.get(f"{DELIVERY_PREFIX}{did}", DELIVERY_SK)
        if d and d.get("status") == "pending":
            pending.append(did)
    return pending


def _set_baseline(customer_id: str, tier: str) -> None:
    store.client().update_item(
        TableName=store.table(), Key={"pk": {"S": customer_pk(customer_id)}, "sk": {"S": STATE_SK}},
        UpdateExpression="SET tier = :t, seq = if_not_exists(seq, :zero)",
        ExpressionAttributeValues={":t": {"S": tier}, ":zero": {"N": "0"}})


def handle_raw(raw: dict[str, Any]) -> None:
    """The stream handler (``Area.stream_handlers``)."""
    active = store.endpoints()
    if not active:
        return
    ddb = raw.get("dynamodb") or {}
    keys = ddb.get("Keys") or ddb.get("NewImage")
    if not keys:
        return
    image = ddb.get("NewImage") or {}
    event_name = str(raw.get("eventName"))
    customer_id = events.customer_of(keys, image)
    if customer_id is None:
        return
    # the tier this record shows (a profile's, not an absorbed one's): the baseline of the next tier.changed
    tier = events.shown_tier(event_name, keys, image)
    for _ in range(MAX_TRIES):
        state, profile = _read(customer_id)
        drafts = events.drafts(event_name, keys, image, last_tier=state.get("tier"), when=_when(raw))
        member_no = (profile or {}).get("member_no")
        queued: list[str] = []
        moved = False
        for draft in drafts:
            wanted = [e["endpoint_id"] for e in active if draft.type in (e.get("events") or [])]
            if not wanted:
                continue
            outcome = _commit(draft, wanted, state, member_no, tier)
            if outcome is None:
                moved = True
                break
            ids, created = outcome
            queued += ids
            if created:
                state = {**state, "seq": int(state.get("seq") or 0) + 1, "tier": tier or state.get("tier")}
        store.enqueue(queued)
        if moved:
            continue
        if tier is not None and state.get("tier") != tier:
            _set_baseline(customer_id, tier)
        return
    raise RuntimeError("the member's webhook sequence kept moving; the record is retried")
