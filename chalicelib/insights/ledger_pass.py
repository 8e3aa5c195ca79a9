"""A pass over every ledger entry and every live bucket of the programme, fanned out through SQS: never a Scan on a
request path.

``start(run)`` sends ``segments_for(members)`` messages of kind ``insights_pass``, one per part of the table
(``Scan``'s ``Segment``/``TotalSegments``): one per ``MEMBERS_PER_SEGMENT`` members enrolled, at least
``MIN_SEGMENTS`` and at most ``MAX_SEGMENTS``, so that a part's chain of messages (which run one after another) stays
about as long as the programme grows while the parts run on as many retry workers at once. Each worker scans its
part for at most ``PAGES_PER_MESSAGE`` pages and puts its partial sums as one item named by where its scan started,
with where the next message starts (``next``). It then sends its continuation, or at the end of its part adds the
part to the run's set of parts done (a number set: adding a part twice is adding it once). The message that
completes the set assembles the sums: for each part, the chain of partial items from the part's start, following
``next``. So a duplicated message rewrites its own partial item with the same sums, and even a duplicate whose scan
ended elsewhere (rows written in between) leaves a side chain that no part's chain reaches: nothing is counted twice.

The sums (``Sums``), over entries created in the run's window ``[start, end)`` and over everything:

- ``w_<figure>``: issued / redeemed / expired / reversed / moved in the window (``rules.classify``);
- ``upto_net``, ``upto_expired``, ``upto_redeemed``: all deltas, expiries and redemptions before the window's end;
- ``ledger_sum``: all deltas; ``buckets_sum``: all live buckets' points; ``expiring``: bucket points by month of
  expiry (both as the pass reads them).
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from chalicelib.core.area import resolve
from chalicelib.core.dynamo import keys
from chalicelib.core.observability import logger
from chalicelib.core.retry import fanout as queue
from chalicelib.insights import rules, store

KIND = "insights_pass"
MIN_SEGMENTS = 8
MEMBERS_PER_SEGMENT = 10_000
MAX_SEGMENTS = 100  # the first messages are sent ten a call, from the close's request: 10 calls at most
PAGE = 1000
PAGES_PER_MESSAGE = 5
START = "start"


class Run(NamedTuple):
    """One pass: its items' partition, its window (ISO instants) and what assembles its sums (a ``Ref``)."""

    pk: str
    window_start: str
    window_end: str
    finish: str  # "module:function" (pk, sums) -> None


def segments_for(members: int) -> int:
    return max(MIN_SEGMENTS, min(MAX_SEGMENTS, -(-members // MEMBERS_PER_SEGMENT)))


def start(run: Run, members: int | None = None) -> int:
    """Send the pass's first messages (``members``: the programme's members enrolled, read when not given)."""
    total = segments_for(store.members_total() if members is None else members)
    queue.send([{"kind": KIND, "pk": run.pk, "window": [run.window_start, run.window_end], "finish": run.finish,
                 "part": n, "total": total, "start_key": None} for n in range(total)])
    return total


def _where(start_key: dict[str, Any] | None) -> str:
    return START if not start_key else store.digest(repr(sorted((k, repr(v)) for k, v in start_key.items())))


def _scan_page(part: int, total: int, start_key: dict[str, Any] | None) -> tuple[list[dict[str, Any]], Any]:
    kwargs: dict[str, Any] = {
        "TableName": store.table(), "Segment": part, "TotalSegments": total, "Limit": PAGE,
        "FilterExpression": "begins_with(pk, :c) AND (begins_with(sk, :l) OR begins_with(sk, :b))",
        "ProjectionExpression": "sk, #k, delta, created_at, points, expires_on",
        "ExpressionAttributeNames": {"#k": "kind"},
        "ExpressionAttributeValues": {":c": {"S": keys.CUSTOMER_PREFIX}, ":l": {"S": "L#"}, ":b": {"S": "M#BUCKET#"}}}
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    out = store.client().scan(**kwargs)
    return out.get("Items", []), out.get("LastEvaluatedKey")


def add_item(sums: Counter[str], item: dict[str, Any], start: str, end: str) -> None:
    """One raw ledger entry or bucket into the sums (``start``/``end``: the window, ISO instants in UTC)."""
    sk = item["sk"]["S"]
    if sk.startswith("M#BUCKET#"):
        points = int(item["points"]["N"])
        sums["buckets_sum"] += points
        sums["buckets"] += 1
        sums[f"exp_{sk[len('M#BUCKET#'):][:7]}"] += points
        return
    delta, kind = int(item["delta"]["N"]), item.get("kind", {}).get("S", "")
    at = _utc(item["created_at"]["S"])
    figure, amount = rules.amount(kind, delta)
    sums["ledger_sum"] += delta
    sums["entries"] += 1
    if at < end:
        sums["upto_net"] += delta
        if figure in ("expired", "redeemed"):
            sums[f"upto_{figure}"] += amount
        if at >= start:
            sums[f"w_{figure}"] += amount


def _utc(instant: str) -> str:
    """An instant as comparable UTC text (ledger times are UTC already: the common case costs a check)."""
    if instant.endswith("+00:00") and len(instant) == 29:
        return instant
    from datetime import UTC, datetime

    return datetime.fromisoformat(instant).astimezone(UTC).isoformat(timespec="milliseconds")


def handle(message: dict[str, Any]) -> None:
    """The ``insights_pass`` kind's handler (``Area.retry_handlers``)."""
    part, total, pk = int(message["part"]), int(message["total"]), str(message["pk"])
    start, end = (_utc(t) for t in message["window"])
    first_key = message.get("start_key")
    start_key = first_key
    sums: Counter[str] = Counter()
    for _ in range(PAGES_PER_MESSAGE):
        items, start_key = _scan_page(part, total, start_key)
        for item in items:
            add_item(sums, item, start, end)
        if not start_key:
            break
    store.client().put_item(TableName=store.table(), Item={
        "pk": {"S": pk}, "sk": {"S": f"PART#{part}#{_where(first_key)}"},
        "next": {"S": _where(start_key) if start_key else ""}, "sums": store.raw(dict(sums))})
    if start_key:
        queue.send([{**message, "start_key": start_key}])
        return
    out = store.client().update_item(
        TableName=store.table(), Key={"pk": {"S": pk}, "sk": {"S": "RUN"}}, UpdateExpression="ADD parts :p",
        ExpressionAttributeValues={":p": {"NS": [str(part)]}}, ReturnValues="ALL_NEW")
    if len(out["Attributes"]["parts"]["NS"]) >= total:
        resolve(str(message["finish"]))(pk, assemble(pk, total))


def assemble(pk: str, total: int) -> dict[str, int]:
    """The run's sums: each part's chain of partial items from its start (``next`` to ``next``)."""
    by_part: dict[int, dict[str, dict[str, Any]]] = {}
    for raw in store.query_all(pk, "PART#"):
        _, part, where = raw["sk"]["S"].split("#", 2)
        by_part.setdefault(int(part), {})[where] = store.plain(raw)
    sums: Counter[str] = Counter()
    for part in range(total):
        chain, where, seen = by_part.get(part, {}), START, set()
        while where and where not in seen:
            seen.add(where)
            item = chain.get(where)
            if item is None:
                raise RuntimeError(f"{pk}: part {part} has no partial sums from {where}")
            sums.update({k: int(v) for k, v in item["sums"].items()})
            where = str(item.get("next") or "")
    return dict(sums)


def exhausted(message: dict[str, Any]) -> None:
    """A pass message that ran out of retries: logged; the run stays ``running`` (its pk says which) and is
    started again by asking for it again (a close) or by the next night (a reconciliation)."""
    logger.error("insights pass message exhausted its retries", extra={"pk": message.get("pk"),
                                                                      "part": message.get("part")})
