"""``migrate_member_partition``: move the growing kinds an earlier version kept under the member's ``M#`` prefix to
their ``H#`` keys (``core.dynamo.member_layout``), so the bounded member read stays bounded on a deployed table.

What moves: every old prefix the areas declare (``Area.moved_kinds``) and the core's (idempotency records). Each
item moves in one TransactWriteItems: put at its ``H#`` key if absent, delete the old key on condition that it still
exists; an area's ``migrate_seed`` may add items put if absent in the same transaction (the benefits area seeds the
current quota counter and this year's birthday grant from the old layout's). If the ``H#`` key already exists (a
write of the new code came first), only the old item is deleted: the newer one wins.

Safe while the API serves: readers find an item in either place while ``MEMBER_PARTITION_MIGRATING`` is set (keep it
until this job reports ``done``), and every move is atomic.

Resumable: a checkpoint item ``CONFIG#MIGRATION`` / ``member_partition`` keeps the scan's last key and the counts;
a run stops before its Lambda time runs out (or after ``max_items``) and the next run goes on from there. Once the
scan has ended, ``status`` is ``done`` and later runs do nothing (one GetItem). Idempotent: a second pass finds
nothing to move. ``MEMBER_PARTITION_DRY_RUN=1`` (or ``dry_run=True``) only counts what would move, by kind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.core import area, clock
from chalicelib.core.config import live_flag, settings
from chalicelib.core.dynamo import member_layout
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.tx import TxCancelled
from chalicelib.core.observability import logger

CHECKPOINT_PK = "CONFIG#MIGRATION"
CHECKPOINT_SK = "member_partition"
PAGE = 200
SAFETY_MS = 20_000  # stop this long before the Lambda's time runs out


class CheckpointItem(Item):
    """``CONFIG#MIGRATION`` / ``member_partition``: where the scan stopped, what moved, and whether it is done."""

    status = UnicodeAttribute()  # running | done
    last_key = JSONAttribute(null=True)
    counts = JSONAttribute(null=True)
    updated_at = UnicodeAttribute()


class _RawItem(Item):
    """Any item, by its keys (the default condition of a seed)."""


def moved_kinds() -> dict[str, str]:
    """Old ``M#`` prefix -> ``H#`` prefix, for every area and the core."""
    out = dict(member_layout.CORE_MOVED)
    for a in area.installed():
        out.update(a.moved_kinds)
    return out


def _seeds() -> list[Callable[[str, dict[str, Any]], list[Item]]]:
    return [area.resolve(a.migrate_seed) for a in area.installed() if a.migrate_seed]


def _kind(sk: str, kinds: dict[str, str]) -> str | None:
    return next((old for old in kinds if sk.startswith(old)), None)


def checkpoint() -> CheckpointItem | None:
    try:
        return CheckpointItem.get(CHECKPOINT_PK, CHECKPOINT_SK, consistent_read=True)
    except CheckpointItem.DoesNotExist:
        return None


def _scan(start: dict[str, Any] | None, kinds: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    values = {f":p{i}": {"S": old} for i, old in enumerate(kinds)}
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        # a customer's partition, or a staff member's (their idempotency records)
        "FilterExpression": " OR ".join(f"begins_with(sk, {v})" for v in values),
        "ExpressionAttributeValues": values,
        "Limit": PAGE,
        "ConsistentRead": True,
    }
    if start:
        kwargs["ExclusiveStartKey"] = start
    page = shared_connection().client.scan(**kwargs)
    return page.get("Items", []), page.get("LastEvaluatedKey")


def _put(label: str, item: dict[str, Any], condition: str, values: dict[str, Any] | None = None,
         names: dict[str, str] | None = None) -> tuple[str, dict[str, Any]]:
    put: dict[str, Any] = {"TableName": settings().table_name, "Item": item, "ConditionExpression": condition}
    if values:
        put["ExpressionAttributeValues"] = values
    if names:
        put["ExpressionAttributeNames"] = names
    return label, {"Put": put}


def _seed_put(label: str, seed: Any) -> tuple[str, dict[str, Any]]:
    """An area's seed (a model, or ``(model, condition)``) as a raw Put."""
    item, condition = seed if isinstance(seed, tuple) else (seed, _RawItem.pk.does_not_exist())
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    expression = condition.serialize(names, values)
    return _put(label, item.serialize(), expression, values, {v: k for k, v in names.items()})


def _commit(actions: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """One raw TransactWriteItems (the items keep every attribute, whatever model wrote them); the labels whose
    condition failed (empty: committed). A conflict with a live write raises ``TxCancelled`` with ``conflict``."""
    try:
        shared_connection().client.transact_write_items(TransactItems=[a for _, a in actions])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = exc.response.get("CancellationReasons", [])
        failed = {actions[i][0] for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"}
        if not failed:
            raise TxCancelled(set(), conflict=True) from exc
        return failed
    return set()


def move(raw: dict[str, Any]) -> str:
    """Move one old-layout item: ``moved``, ``superseded`` (the new key existed: the old one is only deleted) or
    ``gone`` (another run moved it meanwhile).

    The areas' seeds (``migrate_seed``) come as items to put if absent (dropped if one exists already) or as
    ``(item, condition)`` pairs that must commit with the move (made again from a fresh read when the condition
    fails: a live write came in between)."""
    old_sk = raw["sk"]["S"]
    pk = raw["pk"]["S"]
    table = settings().table_name
    new = _put("new", {**raw, "sk": {"S": member_layout.history_key(old_sk)}}, "attribute_not_exists(pk)")
    old = ("old", {"Delete": {"TableName": table, "Key": {"pk": {"S": pk}, "sk": {"S": old_sk}},
                              "ConditionExpression": "attribute_exists(pk)"}})
    optional_on = True
    for _attempt in range(8):
        seeds = [s for f in _seeds() for s in f(pk.removeprefix("CUST#"), raw)]
        optional = [s for s in seeds if not isinstance(s, tuple)] if optional_on else []
        required = [s for s in seeds if isinstance(s, tuple)]
        for put in (True, False):
            actions = [new, *(_seed_put(f"seed:{n}", s) for n, s in enumerate(optional)),
                       *(_seed_put(f"required:{n}", s) for n, s in enumerate(required)), old] if put else [old]
            try:
                failed = _commit(actions)
            except TxCancelled:
                break  # a live write of the same member: read the seeds again
            if not failed:
                return "moved" if put else "superseded"
            if "old" in failed:
                return "gone"
            if any(f.startswith("required:") for f in failed):
                break
            if any(f.startswith("seed:") for f in failed):
                optional_on = False
                break
            # the new key exists: the newer item wins, the old one is only deleted
    raise RuntimeError(f"could not move {old_sk}")


def migrate(*, dry_run: bool = False, max_items: int | None = None,
            remaining_ms: Callable[[], int] | None = None) -> dict[str, Any]:
    """One run: from the checkpoint, move (or count) old-layout items until the scan ends, ``max_items`` were seen
    or the time is nearly up. Returns ``{status, counts}`` (``done`` when nothing old is left)."""
    kinds = moved_kinds()
    found = checkpoint()
    if found is not None and found.status == "done" and not dry_run:
        return {"status": "done", "counts": found.counts or {}}
    start = None if dry_run or found is None else found.last_key
    counts: Counter[str] = Counter() if dry_run or found is None else Counter(found.counts or {})
    seen = 0
    while True:
        items, last = _scan(start, kinds)
        for raw in items:
            kind = _kind(raw["sk"]["S"], kinds) or "?"
            if dry_run:
                counts[f"would_move:{kind}"] += 1
            else:
                counts[f"{move(raw)}:{kind}"] += 1
            seen += 1
        start = last
        done = last is None
        if not dry_run:
            CheckpointItem(CHECKPOINT_PK, CHECKPOINT_SK, status="done" if done else "running", last_key=last,
                           counts=dict(counts), updated_at=clock.iso()).save()
        if done:
            break
        if max_items is not None and seen >= max_items:
            break
        if remaining_ms is not None and remaining_ms() < SAFETY_MS:
            break
    status = "dry_run" if dry_run else ("done" if start is None else "running")
    logger.info("member partition migration", extra={"status": status, "counts": dict(counts)})
    return {"status": status, "counts": dict(counts)}


def run(context: Any = None) -> dict[str, Any]:
    """The job's handler (scheduled, one-off Lambda or ``python -m tools.run_job migrate_member_partition``)."""
    dry = live_flag("MEMBER_PARTITION_DRY_RUN")
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return migrate(dry_run=dry, remaining_ms=remaining)
