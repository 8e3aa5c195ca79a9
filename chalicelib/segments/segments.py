"""Segments: operators' definitions, and each member's membership kept exact.

A member enters or leaves a segment in one transaction: the membership item (put if absent / deleted if present),
the facts item's ``segs`` entry (conditioned on the facts ``ver`` that was evaluated, so a decision on stale facts
is retried on fresh ones) and one of the segment's ``COUNT_SHARDS`` counters (+1/-1). The size is therefore exact
(the sum of the counters, one Query), whoever evaluates: the stream handler of the facts record (within seconds of
the write) or a rebuild worker scanning a part of the table (``rebuild.py``), any number of times
(``evaluation.py``). Here: the definitions' writes and the reads of a segment.
"""

from __future__ import annotations

import uuid
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.dynamo import paging
from chalicelib.core.errors import AppError
from chalicelib.segments import rebuild, rules, store


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
    store.reset_cache()
    rebuild.start([segment_id], reason=status)
    return item


def create(name: str, rule: Any) -> dict[str, Any]:
    checked = _checked(rule)
    if sum(1 for d in store.definitions(fresh=True) if d.get("status") != "deleted") >= store.MAX_SEGMENTS:
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
    live = sorted((d for d in store.definitions(fresh=True) if d.get("status") != "deleted"), key=lambda d: d["sk"])
    if cursor:
        after = paging.decode_cursor(cursor, "sg_")
        live = [d for d in live if d["sk"] > after]
    page = live[:limit]
    return {"items": [view(d) for d in page],
            "next_cursor": paging.encode_cursor(page[-1]["sk"]) if len(live) > limit else None}


# ------------------------------------------------------------------------------------------------ membership


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
    live = {d["sk"]: d["name"] for d in store.definitions() if d.get("status") == "active"}
    return {"customer_id": customer_id, "facts": store.facts_now(stored),
            "segments": [{"segment_id": s, "name": live[s], "entered_at": at}
                         for s, at in sorted((stored.get("segs") or {}).items()) if s in live],
            "updated_at_version": int(stored.get("ver") or 0)}

