"""A member's segments follow their facts: each entry or exit is one transaction (the membership item, the facts
item's ``segs`` entry conditioned on the facts ``ver`` evaluated, one of the segment's counter shards), run by the
stream handler of the facts record within seconds of the write, or by a rebuild worker over a part of the table.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.dynamo import retry
from chalicelib.core.observability import metrics
from chalicelib.segments import rules, store


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
    and the facts are read again, consistently). Still moving after eight reads: raised, so the stream record or the
    rebuild part is delivered again."""
    moved = 0
    current = facts

    def attempt(n: int) -> int:
        nonlocal moved, current
        if n:
            current = store.read_facts(customer_id)
        if current is None or "ver" not in current:
            return moved
        now_facts = store.facts_now(current)
        in_segs = current.get("segs") or {}
        for d in store.definitions():
            sid = d["sk"]
            if only is not None and sid not in only:
                continue
            want = d.get("status") == "active" and not current.get("gone") and rules.matches(d["rule"], now_facts)
            if want == (sid in in_segs):
                continue
            outcome = _move(customer_id, current, sid, want)
            if outcome == "done":
                moved += 1
                current["segs"] = {**in_segs, sid: clock.iso()} if want else {
                    k: v for k, v in in_segs.items() if k != sid}
                in_segs = current["segs"]
            elif outcome == "stale":
                raise retry.Again
        return moved

    def kept_moving(_last: BaseException) -> int:
        raise RuntimeError(f"segments of {customer_id} kept moving; the record is retried")

    return retry.until_committed_or(kept_moving, attempt, limit=8, what="segment evaluation",
                                    customer_id=customer_id)


def handle_facts_record(raw: dict[str, Any]) -> None:
    """The stream handler of ``FACTS`` records: the member's segments follow their facts within seconds."""
    ddb = raw.get("dynamodb") or {}
    image = ddb.get("NewImage")
    if raw.get("eventName") == "REMOVE" or not image:
        return
    facts = store.plain(image)
    evaluate(str(facts["customer_id"]), facts)


# ------------------------------------------------------------------------------------------------ reading
