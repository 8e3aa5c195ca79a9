"""Counting facts exactly once: each counted fact is one transaction of its marker (put if absent) and the ADDs to
its day's and month's counter shards.

A stream record delivered twice (Lambda retries a batch from its first failed record; a handler that failed after
counting half a record's facts is offered the whole record again) finds the markers of what it already counted and
counts only the rest: the marker's condition fails and its transaction writes nothing. Markers are keyed by a digest
of the fact's identity (the item and the state it reached), carry no member data and expire after
``store.MARKER_TTL_DAYS`` (the first-paid-Plus marker, which tells a start from a renewal, never expires).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.observability import logger, metrics
from chalicelib.insights import facts as facts_
from chalicelib.insights import store
from chalicelib.insights.facts import Fact, PlusPaid


def _tier_of(customer_id: str) -> str:
    out = store.client().get_item(TableName=store.table(),
                                  Key=store.member_item_key(customer_id, "M#PROFILE"),
                                  ProjectionExpression="tier_code")
    return str(((out.get("Item") or {}).get("tier_code") or {}).get("S") or "base")


def _trial_used(customer_id: str) -> bool:
    out = store.client().get_item(TableName=store.table(),
                                  Key=store.member_item_key(customer_id, "M#PLUS"),
                                  ProjectionExpression="trial_used")
    return bool(((out.get("Item") or {}).get("trial_used") or {}).get("BOOL"))


def _marker(ident: str, *, expires: bool = True) -> dict[str, Any]:
    item = {**store.marker_key(ident)}
    if expires:
        item["ttl"] = {"N": str(store.marker_expiry())}
    return {"Put": {"TableName": store.table(), "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}


def add_update(key: dict[str, Any], adds: dict[str, int]) -> dict[str, Any]:
    names = {f"#c{n}": name for n, name in enumerate(sorted(adds))}
    values = {f":c{n}": {"N": str(adds[name])} for n, name in enumerate(sorted(adds))}
    return {"Update": {"TableName": store.table(), "Key": key,
                       "UpdateExpression": "ADD " + ", ".join(f"#c{n} :c{n}" for n in range(len(adds))),
                       "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}}


def counter_writes(fact: Fact, tier: str | None) -> list[dict[str, Any]]:
    """The ADDs of one fact: its day's shard and/or its month's shard."""
    adds = {k: v for k, v in fact.adds.items() if v}
    for name in fact.tiered:
        if tier and name in adds:
            adds[f"{name}_t_{tier}"] = adds[name]
    if not adds:
        return []
    shard = store.shard_of(fact.ident)
    writes = []
    if fact.scope in ("day", "both"):
        writes.append(add_update(store.day_key(fact.day, shard), adds))
    if fact.scope in ("month", "both"):
        writes.append(add_update(store.month_key(fact.day[:7], shard), adds))
    if "enrolled" in adds:  # the programme's running total of members (``nightly`` copies it onto the month)
        writes.append(add_update(store.total_key(shard), {"members": adds["enrolled"]}))
    return writes


def _cancelled_by(exc: ClientError) -> list[str]:
    """The cancellation reason of each item of a cancelled transaction (``[]``: not a cancellation)."""
    if exc.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    return [str(r.get("Code") or "None") for r in exc.response.get("CancellationReasons") or []]


def transact(writes: list[dict[str, Any]]) -> list[str] | None:
    """Run the transaction: None when it committed, else each item's cancellation reason (a failed marker
    condition is ``ConditionalCheckFailed``). Anything else raises (the record is retried)."""
    try:
        store.client().transact_write_items(TransactItems=writes)
        return None
    except ClientError as exc:
        reasons = _cancelled_by(exc)
        if "ConditionalCheckFailed" in reasons:
            return reasons
        raise


def _counted(ident: str) -> dict[str, Any]:
    """A condition that ``ident`` was counted (its marker exists)."""
    return {"ConditionCheck": {"TableName": store.table(), "Key": store.marker_key(ident),
                               "ConditionExpression": "attribute_exists(pk)"}}


def count(fact: Fact, tier: str | None = None) -> bool:
    """Count one fact once; False when its marker says it was counted already (or what it takes back never was)."""
    writes = counter_writes(fact, tier)
    if not writes:
        return False
    required = [_counted(fact.requires)] if fact.requires else []
    return transact([_marker(fact.ident), *required, *writes]) is None


def count_plus_paid(paid: PlusPaid) -> str | None:
    """A paid Plus order: ``started`` when it is the member's first paid order (and ``plus_trial_converted`` when
    they had a trial), else ``renewed``; None when this order was counted already."""
    shard = store.shard_of(paid.ident)
    started = {"plus_started": 1, **({"plus_trial_converted": 1} if _trial_used(paid.customer_id) else {})}
    first = [_marker(paid.ident), _marker(f"plus_first|{paid.customer_id}", expires=False),
             add_update(store.day_key(paid.day, shard), started),
             add_update(store.month_key(paid.day[:7], shard), started)]
    reasons = transact(first)
    if reasons is None:
        return "started"
    if reasons[0] == "ConditionalCheckFailed":
        return None
    renewal = {"plus_renewed": 1}
    again = [_marker(paid.ident), add_update(store.day_key(paid.day, shard), renewal),
             add_update(store.month_key(paid.day[:7], shard), renewal)]
    return "renewed" if transact(again) is None else None


def _record_day(raw: dict[str, Any]) -> str:
    from datetime import UTC, datetime

    from chalicelib.insights import rules

    created = (raw.get("dynamodb") or {}).get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(float(created), UTC) if created else datetime.now(UTC)
    return rules.day_of(moment.isoformat())


def handle_raw(raw: dict[str, Any]) -> None:
    """The stream handler (``Area.stream_handlers``): count what the record says, each fact once."""
    ddb = raw.get("dynamodb") or {}
    keys = ddb.get("Keys") or ddb.get("NewImage") or {}
    found = facts_.of_record(str(raw.get("eventName")), keys, ddb.get("NewImage") or {}, _record_day(raw))
    if not found:
        return
    tiers: dict[str, str] = {}
    counted = 0
    for fact in found:
        if isinstance(fact, PlusPaid):
            counted += count_plus_paid(fact) is not None
            continue
        tier = None
        if fact.tiered and fact.customer_id:
            if fact.customer_id not in tiers:
                tiers[fact.customer_id] = _tier_of(fact.customer_id)
            tier = tiers[fact.customer_id]
        counted += count(fact, tier)
    if counted:
        metrics.add_metric(name="InsightsFactsCounted", unit="Count", value=counted)
    else:
        logger.debug("insights: record already counted")
