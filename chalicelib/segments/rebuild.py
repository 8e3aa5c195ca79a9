"""Whole-table passes over the members' facts, fanned out through SQS: never a Scan on a request path.

``start(segment_ids)`` sends ``TOTAL_SEGMENTS`` messages of kind ``segment_scan``, one per part of the sparse
``facts`` index (``Scan``'s ``Segment``/``TotalSegments``: the facts items' keys, then their items by BatchGetItem,
``store.facts_page``); each worker reads its part for at most ``PAGES_PER_MESSAGE`` pages, evaluates each member
(``evaluation.evaluate``: exact, idempotent), then sends its own continuation (``start_key``) or, at the end of its
part, records it as done on each definition (a number set: adding a part twice is adding it once). A definition is
rebuilt when every part is done.

The nightly pass (``nightly``) is the same scan over every segment (time moves ``days_since_*``), and each part also
records the distribution of recency, frequency and spend; the last part to finish turns them into the RFM
quintile cutoffs the next evaluations use.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo import paging
from chalicelib.core.observability import logger
from chalicelib.segments import evaluation, queue, rules, store

KIND = "segment_scan"
TOTAL_SEGMENTS = 8
PAGE = 250
PAGES_PER_MESSAGE = 4  # 1,000 items a message: well within a Lambda's time, and parts spread over workers


def start(segment_ids: list[str] | None, *, reason: str, run_id: str | None = None) -> int:
    """Fan the pass out: one message per part (``None``: every segment, the nightly pass).

    The parts of a new or changed definition wait ``segment_rebuild_delay_seconds`` (longer than the stream workers
    cache definitions) before they scan: facts written after a part's scan are then evaluated by their own stream
    record with the definition known, and facts written before it are in the scan. Without the wait, facts written
    just after the scan and evaluated with definitions cached just before the change would miss the segment till the
    nightly pass."""
    versions = {d["sk"]: int(d["version"]) for d in store.definitions(fresh=True)}
    only = None if segment_ids is None else {s: versions.get(s, 0) for s in segment_ids}
    queue.send([{"kind": KIND, "segments": only, "part": n, "total": TOTAL_SEGMENTS, "start_key": None,
                 "run_id": run_id, "reason": reason} for n in range(TOTAL_SEGMENTS)],
               delay_seconds=settings().segment_rebuild_delay_seconds if segment_ids is not None else 0)
    return TOTAL_SEGMENTS


def _part_done(only: dict[str, int] | None, part: int) -> None:
    targets = only if only is not None else {d["sk"]: int(d["version"]) for d in store.definitions(fresh=True)}
    for sid, version in targets.items():
        try:
            store.client().update_item(
                TableName=store.table(), Key={"pk": {"S": store.DEF_PK}, "sk": {"S": sid}},
                UpdateExpression="ADD rebuild_done :p", ConditionExpression="version = :v",
                ExpressionAttributeValues={":p": {"NS": [str(part)]}, ":v": {"N": str(version)}})
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            # the definition changed since: its own rebuild covers it
    store.reset_cache()


def handle(message: dict[str, Any]) -> None:
    """The ``segment_scan`` kind's handler (``Area.retry_handlers``)."""
    part, total, only = int(message["part"]), int(message["total"]), message.get("segments")
    start_key = message.get("start_key")
    wanted = None if only is None else list(only)
    stats: dict[str, Counter[int]] = {"recency": Counter(), "frequency": Counter(), "monetary": Counter()}
    for _ in range(PAGES_PER_MESSAGE):
        items, start_key = store.facts_page(part, total, start_key, PAGE)
        for facts in items:
            evaluation.evaluate(str(facts["customer_id"]), facts, only=wanted)
            if message.get("run_id") and not facts.get("gone"):
                _observe(stats, facts)
        if not start_key:
            break
    if message.get("run_id"):
        _record_stats(message, stats)
    if start_key:
        queue.send([{**message, "start_key": start_key}])
        return
    _part_done(only, part)
    if message.get("run_id"):
        _finish_run(message)


# ------------------------------------------------------------------------------------------------ nightly


def _observe(stats: dict[str, Counter[int]], stored: dict[str, Any]) -> None:
    f = rules.facts_of(store.stored_of(stored), store.today())
    if f["days_since_last_order"] is not None:
        stats["recency"][int(f["days_since_last_order"])] += 1
    if f["orders_12m"]:
        stats["frequency"][int(f["orders_12m"])] += 1
    if f["spend_12m_fen"]:
        stats["monetary"][rules.coarse(int(f["spend_12m_fen"]))] += 1


def _record_stats(message: dict[str, Any], stats: dict[str, Counter[int]]) -> None:
    """This message's counts, put as one item named by where its scan started: a redelivered message overwrites
    its own item, so nothing is counted twice."""
    import hashlib

    where = hashlib.sha256(repr(message.get("start_key")).encode()).hexdigest()[:16]
    store.client().put_item(TableName=store.table(), Item={
        "pk": {"S": f"SEGRUN#{message['run_id']}"}, "sk": {"S": f"PART#{message['part']}#{where}"},
        **{dim[0]: store.raw({str(v): c for v, c in counts.items()}) for dim, counts in stats.items()}})


def _finish_run(message: dict[str, Any]) -> None:
    run_pk = f"SEGRUN#{message['run_id']}"
    out = store.client().update_item(
        TableName=store.table(), Key={"pk": {"S": run_pk}, "sk": {"S": "RUN"}}, UpdateExpression="ADD parts :p",
        ExpressionAttributeValues={":p": {"NS": [str(message["part"])]}}, ReturnValues="ALL_NEW")
    if len(out["Attributes"]["parts"]["NS"]) < int(message["total"]):
        return
    merged: dict[str, Counter[int]] = {"r": Counter(), "f": Counter(), "m": Counter()}
    for item in paging.query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :p)", ConsistentRead=True,
                                 ExpressionAttributeValues={":pk": {"S": run_pk}, ":p": {"S": "PART#"}}):
        for dim, counts in store.plain(item).items():
            if dim in merged:
                merged[dim].update({int(v): int(c) for v, c in counts.items()})
    cut = {name: [int(v) for v in rules.cutoffs_from_counts(merged[name[0]])]  # whole days, orders, fen
           for name in ("recency", "frequency", "monetary")}
    store.client().update_item(
        TableName=store.table(), Key=store.SETTINGS_KEY,
        UpdateExpression="SET recency = :r, frequency = :f, monetary = :m, cutoffs_at = :at, cutoffs_run = :run",
        ExpressionAttributeValues={":r": store.raw(cut["recency"]), ":f": store.raw(cut["frequency"]),
                                   ":m": store.raw(cut["monetary"]), ":at": {"S": clock.iso()},
                                   ":run": {"S": str(message["run_id"])}})
    logger.info("segments nightly pass done", extra={"run_id": message["run_id"], "cutoffs": cut})


def nightly(context: Any = None) -> dict[str, Any]:
    """``segments_nightly``: every segment re-evaluated over every member (time-driven facts), and the RFM cutoffs
    recomputed, by a pass fanned out through SQS."""
    run_id = clock.now().strftime("%Y%m%dT%H%M%S")
    return {"run_id": run_id, "parts": start(None, reason="nightly", run_id=run_id)}


def exhausted(message: dict[str, Any]) -> None:
    """A scan message that ran out of retries: logged (the next nightly pass covers its part), never a case."""
    logger.error("segment scan message exhausted its retries", extra={"part": message.get("part"),
                                                                      "reason": message.get("reason")})
