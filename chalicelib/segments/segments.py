"""Segments: operators' definitions, and each member's membership kept exact.

A member enters or leaves a segment in one transaction: the membership item (put if absent / deleted if present),
the facts item's ``segs`` entry (conditioned on the facts ``ver`` that was evaluated, so a decision on stale facts
is retried on fresh ones) and one of the segment's ``COUNT_SHARDS`` counters (+1/-1). The size is therefore exact
(the sum of the counters, one Query), whoever evaluates: the stream handler of the facts record (within seconds of
the write) or a rebuild worker scanning a part of the table (``rebuild.py``), any number of times.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.dynamo import paging, retry
from chalicelib.core.errors import AppError
from chalicelib.core.observability import metrics
from chalicelib.segments import rules, store

_cache: tuple[float, list[dict[str, Any]]] | None = None
CACHE_SECONDS = 10  # a changed definition reaches the stream evaluation within this (its rebuild covers the rest)


def reset_cache() -> None:
    global _cache
    _cache = None


def definitions(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Every definition (deleted ones too, until their members have left), one Query, cached a few seconds."""
    global _cache
    if not fresh and _cache and time.monotonic() - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": store.table(), "KeyConditionExpression": "pk = :pk",
                              "ExpressionAttributeValues": {":pk": {"S": store.DEF_PK}}, "ConsistentRead": True}
    while True:
        page = store.client().query(**kwargs)
        out += [store.plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    _cache = (time.monotonic(), out)
    return out


def get(segment_id: str) -> dict[str, Any]:
    got = store.client().get_item(TableName=store.table(), ConsistentRead=True,
                                  Key={"pk": {"S": store.DEF_PK}, "sk": {"S": segment_id}}).get("Item")
    if not got or store.plain(got).get("status") == "deleted":
        raise AppError("not_found")
    return store.plain(got)


def size(segment_id: str) -> int:
    page = store.client().query(
        TableName=store.table(), ConsistentRead=True, KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": store.segment_pk(segment_id)}, ":c": {"S": store.COUNT_PREFIX}})
    return sum(int(i.get("size", {}).get("N", "0")) for i in page.get("Items", []))


def view(d: dict[str, Any], *, with_size: bool = True) -> dict[str, Any]:
    return {"segment_id": d["sk"], "name": d["name"], "rule": d["rule"], "size": size(d["sk"]) if with_size else 0,
            "rebuilding": d.get("rebuild_parts", 0) > len(d.get("rebuild_done") or []),
            "updated_at": d["updated_at"]}


def _write_definition(segment_id: str, name: str, rule: dict[str, Any], status: str, version: int,
                      created_at: str, condition: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    from chalicelib.segments import rebuild

    at = clock.iso()
    item = {"pk": store.DEF_PK, "sk": segment_id, "name": name, "rule": rule, "status": status, "version": version,
            "created_at": created_at, "updated_at": at, "rebuild_parts": rebuild.TOTAL_SEGMENTS}
    kwargs: dict[str, Any] = {"TableName": store.table(), "Item": {k: store.raw(v) for k, v in item.items()},
                              "ConditionExpression": condition}
    if values:
        kwargs["ExpressionAttributeValues"] = values
    try:
        store.client().put_item(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise AppError("segment_changed") from exc
        raise
    reset_cache()
    rebuild.start([segment_id], reason=status)
    return item


def create(name: str, rule: Any) -> dict[str, Any]:
    checked = _checked(rule)
    if sum(1 for d in definitions(fresh=True) if d.get("status") != "deleted") >= store.MAX_SEGMENTS:
        raise AppError("too_many_segments")
    segment_id = "sg_" + uuid.uuid4().hex[:16]
    item = _write_definition(segment_id, name, checked, "active", 1, clock.iso(), "attribute_not_exists(pk)")
    return view(store.plain({k: store.raw(v) for k, v in item.items()}), with_size=True)


def _checked(rule: Any) -> dict[str, Any]:
    try:
        return rules.checked(rule)
    except rules.RuleError as exc:
        raise AppError("validation_error", details=exc.issues) from exc


def patch(segment_id: str, name: str | None, rule: Any | None) -> dict[str, Any]:
    current = get(segment_id)
    new_rule = _checked(rule) if rule is not None else current["rule"]
    item = _write_definition(segment_id, name or current["name"], new_rule, "active", int(current["version"]) + 1,
                             current["created_at"], "version = :v", {":v": {"N": str(current["version"])}})
    return view(store.plain({k: store.raw(v) for k, v in item.items()}))


def delete(segment_id: str) -> None:
    """Marked deleted (hidden at once); its rebuild moves every member out, then the counters read 0."""
    current = get(segment_id)
    _write_definition(segment_id, current["name"], current["rule"], "deleted", int(current["version"]) + 1,
                      current["created_at"], "version = :v", {":v": {"N": str(current["version"])}})


def listing(limit: int, cursor: str | None) -> dict[str, Any]:
    live = sorted((d for d in definitions(fresh=True) if d.get("status") != "deleted"), key=lambda d: d["sk"])
    if cursor:
        after = paging.decode_cursor(cursor, "sg_")
        live = [d for d in live if d["sk"] > after]
    page = live[:limit]
    return {"items": [view(d) for d in page],
            "next_cursor": paging.encode_cursor(page[-1]["sk"]) if len(live) > limit else None}


# ------------------------------------------------------------------------------------------------ membership


def _move(customer_id: str, facts: dict[str, Any], segment_id: str, enter: bool) -> str:
    """One entry or exit; ``"done"``, ``"stale"`` (the facts moved on: evaluate again) or ``"already"``."""
    at = clock.iso()
    member_key = {"pk": {"S": store.segment_pk(segment_id)}, "sk": {"S": store.MEMBER_PREFIX + customer_id}}
    if enter:
        membership = {"Put": {"TableName": store.table(), "ConditionExpression": "attribute_not_exists(pk)",
                              "Item": {**member_key, "customer_id": {"S": customer_id},
                                       "member_no": store.raw(facts.get("member_no") or ""),
                                       "tier": store.raw(facts.get("tier") or "base"), "entered_at": {"S": at}}}}
        segs = "SET #segs.#id = :at"
        values: dict[str, Any] = {":at": {"S": at}}
    else:
        membership = {"Delete": {"TableName": store.table(), "Key": member_key,
                                 "ConditionExpression": "attribute_exists(pk)"}}
        segs, values = "REMOVE #segs.#id", {}
    count_key = {"pk": {"S": store.segment_pk(segment_id)},
                 "sk": {"S": f"{store.COUNT_PREFIX}{store.count_shard(customer_id)}"}}
    try:
        store.client().transact_write_items(TransactItems=[
            membership,
            {"Update": {"TableName": store.table(), "Key": store.facts_key(customer_id), "UpdateExpression": segs,
                        "ConditionExpression": "#ver = :ver", "ExpressionAttributeNames": {
                            "#segs": "segs", "#id": segment_id, "#ver": "ver"},
                        "ExpressionAttributeValues": {**values, ":ver": {"N": str(facts["ver"])}}}},
            {"Update": {"TableName": store.table(), "Key": count_key, "UpdateExpression": "ADD #s :d",
                        "ExpressionAttributeNames": {"#s": "size"},
                        "ExpressionAttributeValues": {":d": {"N": "1" if enter else "-1"}}}},
        ])
    except ClientError as exc:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[1] == "ConditionalCheckFailed":
            return "stale"
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return "already"
        if retry.is_transient(exc):
            return "stale"
        raise
    metrics.add_metric(name="SegmentEntries" if enter else "SegmentExits", unit="Count", value=1)
    return "done"


def evaluate(customer_id: str, facts: dict[str, Any] | None, only: list[str] | None = None) -> int:
    """Bring the member's memberships in line with their facts (of ``only`` those segments); how many moved.

    ``facts`` is the plain facts item as read (a scan's copy may be stale: a move conditioned on its ``ver`` fails
    and the facts are read again, consistently)."""
    moved = 0
    for attempt in range(8):
        if facts is None:
            return moved
        if "ver" not in facts:
            return moved
        now_facts = store.facts_now(facts)
        in_segs = facts.get("segs") or {}
        stale = False
        for d in definitions():
            sid = d["sk"]
            if only is not None and sid not in only:
                continue
            want = d.get("status") == "active" and not facts.get("gone") and rules.matches(d["rule"], now_facts)
            if want == (sid in in_segs):
                continue
            outcome = _move(customer_id, facts, sid, want)
            if outcome == "done":
                moved += 1
                facts["segs"] = {**in_segs, sid: clock.iso()} if want else {
                    k: v for k, v in in_segs.items() if k != sid}
                in_segs = facts["segs"]
            elif outcome == "stale":
                stale = True
                break
        if not stale:
            return moved
        retry.backoff(attempt)
        facts = store.read_facts(customer_id)
    raise RuntimeError(f"segments of {customer_id} kept moving; the record is retried")


def handle_facts_record(raw: dict[str, Any]) -> None:
    """The stream handler of ``FACTS`` records: the member's segments follow their facts within seconds."""
    ddb = raw.get("dynamodb") or {}
    image = ddb.get("NewImage")
    if raw.get("eventName") == "REMOVE" or not image:
        return
    facts = store.plain(image)
    evaluate(str(facts["customer_id"]), facts)


# ------------------------------------------------------------------------------------------------ reading


def members(segment_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    after = paging.decode_cursor(cursor, store.MEMBER_PREFIX) if cursor else None  # a bad cursor: 400 first
    get(segment_id)
    kwargs: dict[str, Any] = {
        "TableName": store.table(), "Limit": limit, "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)",
        "ExpressionAttributeValues": {":pk": {"S": store.segment_pk(segment_id)}, ":c": {"S": store.MEMBER_PREFIX}}}
    if after:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": store.segment_pk(segment_id)}, "sk": {"S": after}}
    page = store.client().query(**kwargs)
    items = [store.plain(i) for i in page.get("Items", [])]
    return {"items": [{"customer_id": i["customer_id"], "member_no": i.get("member_no") or None,
                       "tier": i.get("tier"), "entered_at": i["entered_at"]} for i in items],
            "next_cursor": paging.encode_cursor(items[-1]["sk"]) if items and "LastEvaluatedKey" in page else None}


def why(segment_id: str, customer_id: str) -> dict[str, Any]:
    d = get(segment_id)
    stored = store.read_facts(customer_id)
    if stored is None:
        raise AppError("not_found")
    explained = rules.explain(d["rule"], store.facts_now(stored))
    return {"in_segment": segment_id in (stored.get("segs") or {}), "evaluated_at": clock.iso(),
            "matches_now": explained["in_segment"], "facts": explained["facts"],
            "conditions": explained["conditions"]}


def member_facts(customer_id: str) -> dict[str, Any]:
    stored = store.read_facts(customer_id)
    if stored is None:
        raise AppError("not_found")
    return member_facts_of(customer_id, stored)


def member_facts_of(customer_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    live = {d["sk"]: d["name"] for d in definitions() if d.get("status") == "active"}
    return {"customer_id": customer_id, "facts": store.facts_now(stored),
            "segments": [{"segment_id": s, "name": live[s], "entered_at": at}
                         for s, at in sorted((stored.get("segs") or {}).items()) if s in live],
            "updated_at_version": int(stored.get("ver") or 0)}

