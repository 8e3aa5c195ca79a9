"""The nightly reconciliation of member facts against their sources, fanned out through SQS like a rebuild.

The stream keeps each ``FACTS`` item current record by record; a record lost (a handler bug, a record past the
stream's 24 hours, a write made while the consumer was off) would leave it wrong for good. ``nightly`` sends one
``facts_reconcile`` message per part of the sparse ``facts`` index; each reads its members' facts
(``store.facts_page``), recomputes what every source item says through the stream handler's own reading
(``facts.update_of``: one place decides what a source means), compares, and corrects what differs with the same
UpdateItem the stream would have made (its ``ver`` moves, so the facts' own stream record moves the member's
segments). What differed is counted by fact in one item per message (``RECON#<run>`` / ``PART#...``, overwritten
when a message is delivered again) and ``summary`` adds them up.

The sources of one member: the ``M#`` items (profile, points, buckets, Plus: one Query, the bounded hot prefix),
their checked-in appointments (``H#APPT#``) and their newest orders (the ``ORDER`` items the newest ``LEDGER_LOOKBACK``
purchase or claim entries of their ledger reference: orders have no member key).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.observability import logger, metrics
from chalicelib.segments import facts, queue, store

KIND = "facts_reconcile"
TOTAL_PARTS = 8
PAGE = 100
PAGES_PER_MESSAGE = 5  # 500 members a message: a few reads each
LEDGER_LOOKBACK = 10
ORDER_KINDS = ("purchase", "claim")


def nightly(context: Any = None) -> dict[str, Any]:
    """``segments_reconcile``: one message per part of the facts index."""
    run_id = clock.now().strftime("%Y%m%dT%H%M%S")
    queue.send([{"kind": KIND, "part": n, "total": TOTAL_PARTS, "start_key": None, "run_id": run_id}
                for n in range(TOTAL_PARTS)])
    return {"run_id": run_id, "parts": TOTAL_PARTS}


def _query(customer_id: str, prefix: str, **extra: Any) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"TableName": store.table(), "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
                              "ExpressionAttributeValues": {":pk": {"S": keys.customer_pk(customer_id)},
                                                            ":p": {"S": prefix}}, **extra}
    items: list[dict[str, Any]] = []
    while True:
        page = store.client().query(**kwargs)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page or "Limit" in extra:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _newest_orders(customer_id: str) -> list[dict[str, Any]]:
    """The orders behind the member's newest purchase and claim entries (a page of the ledger, newest first)."""
    refs: list[str] = []
    kwargs: dict[str, Any] = {"ScanIndexForward": False, "Limit": 50, "ProjectionExpression": "#k, #r",
                              "ExpressionAttributeNames": {"#k": "kind", "#r": "reference"}}
    for entry in _query(customer_id, "L#", **kwargs):
        if entry.get("kind", {}).get("S") in ORDER_KINDS and "reference" in entry:
            refs.append(entry["reference"]["S"])
        if len(refs) >= LEDGER_LOOKBACK:
            break
    wanted = [{"pk": {"S": f"ORDER#{ref}"}, "sk": {"S": "ORDER"}} for ref in dict.fromkeys(refs)]
    return [o for o in store.batch_get(wanted) if o.get("customer_id", {}).get("S") == customer_id]


def expected(customer_id: str) -> dict[str, Any]:
    """What the member's source items say, as the stream handler reads each (``facts.update_of``)."""
    out: dict[str, Any] = {}
    sources = _query(customer_id, "M#") + _query(customer_id, "H#APPT#") + _newest_orders(customer_id)
    for raw in sources:
        asked = facts.update_of("INSERT", {"pk": raw["pk"], "sk": raw["sk"]}, raw)
        if asked is None or asked[0] != customer_id:
            continue
        _cid, changes, newer = asked
        for attr, value in changes.items():
            if attr == newer and out.get(attr) is not None and value is not None and value <= out[attr]:
                continue  # a forward-only date: the newest source wins
            out[attr] = value
    return out


def differences(stored: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """``{attribute: the value it should have (None: remove)}`` where the facts item and its sources disagree.
    Buckets the item holds that no source has any more are removed."""
    diff = {attr: value for attr, value in wanted.items() if stored.get(attr) != value
            and not (value is None and attr not in stored)}
    for attr in stored:
        if attr.startswith(store.BUCKET_ATTR) and attr not in wanted:
            diff[attr] = None
    return diff


def reconcile_member(stored: dict[str, Any]) -> dict[str, Any]:
    """Compare one member's facts with their sources and correct them; what differed."""
    customer_id = str(stored["customer_id"])
    if stored.get("gone"):
        return {}  # merged away or erased: the facts only remember that
    diff = differences(stored, expected(customer_id))
    if diff:
        facts.apply(customer_id, diff)
    return diff


def handle(message: dict[str, Any]) -> None:
    """The ``facts_reconcile`` kind's handler (``Area.retry_handlers``)."""
    part, total, start_key = int(message["part"]), int(message["total"]), message.get("start_key")
    checked, by_fact = 0, Counter[str]()
    fixed = 0
    for _ in range(PAGES_PER_MESSAGE):
        items, start_key = store.facts_page(part, total, start_key, PAGE)
        for stored in items:
            checked += 1
            diff = reconcile_member(stored)
            if diff:
                fixed += 1
                by_fact.update(store.BUCKET_ATTR if a.startswith(store.BUCKET_ATTR) else a for a in diff)
        if not start_key:
            break
    where = hashlib.sha256(repr(message.get("start_key")).encode()).hexdigest()[:16]
    store.client().put_item(TableName=store.table(), Item={
        "pk": {"S": f"RECON#{message['run_id']}"}, "sk": {"S": f"PART#{part}#{where}"},
        "checked": {"N": str(checked)}, "fixed": {"N": str(fixed)}, "facts": store.raw(dict(by_fact)),
        "done": {"BOOL": not start_key}, "at": {"S": clock.iso()}})
    if fixed:
        metrics.add_metric(name="MemberFactsCorrected", unit="Count", value=fixed)
        logger.warning("member facts differed from their sources: corrected",
                       extra={"run_id": message["run_id"], "part": part, "fixed": fixed, "facts": dict(by_fact)})
    if start_key:
        queue.send([{**message, "start_key": start_key}])


def summary(run_id: str) -> dict[str, Any]:
    """A run's totals: members checked, corrected, corrections by fact, parts finished."""
    out: dict[str, Any] = {"run_id": run_id, "checked": 0, "fixed": 0, "facts": Counter(), "parts_done": 0}
    for item in (store.plain(i) for i in paging.query_all(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": f"RECON#{run_id}"}},
            ConsistentRead=True)):
        out["checked"] += int(item["checked"])
        out["fixed"] += int(item["fixed"])
        out["facts"].update({k: int(v) for k, v in (item.get("facts") or {}).items()})
        out["parts_done"] += bool(item.get("done"))
    out["facts"] = dict(out["facts"])
    return out


def exhausted(message: dict[str, Any]) -> None:
    """A reconciliation message that ran out of retries: logged (the next night covers its part), never a case."""
    logger.error("facts reconciliation message exhausted its retries", extra={"part": message.get("part")})
