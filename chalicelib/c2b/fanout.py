"""Telling every supporter of an event (the threshold, a status change, the launch and its voucher), page by page.

The event's transaction writes a ``FanoutItem`` (on ``gsi1`` partition ``C2B#FANOUT`` while it runs). ``run`` (the
``c2b_fanout_job``, every minute; ``process`` may also be called at once) takes a page of supports after the task's
``cursor`` and commits, in one transaction, each supporter's notification (and on ``launched`` their voucher and a
marker ``M#C2BGIFT#<request_id>`` put only if absent) with the cursor moved on, conditioned on the cursor read.
Two workers on the same task cannot both commit a page: each supporter is told exactly once, however often the job
runs or crashes, and thousands of supporters are told in pages of ``PAGE``.
"""

from __future__ import annotations

import time
from typing import Any

from chalicelib.benefits import public as benefits
from chalicelib.benefits.public import GiftMarkerItem
from chalicelib.c2b.models import (
    FANOUT_INDEX_PK,
    GIFT_PREFIX,
    SUPPORT_PREFIX,
    FanoutItem,
    SupportItem,
    request_pk,
)
from chalicelib.core import clock, notifications
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, member_layout, paging, retry
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import logger

PAGE = 25  # three items a supporter at most (notification, voucher, marker): 76 of a transaction's 100


def _supports_after(request_id: str, cursor: str | None) -> tuple[list[SupportItem], bool]:
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name, "ConsistentRead": True, "Limit": PAGE,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": request_pk(request_id)}, ":p": {"S": SUPPORT_PREFIX}},
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": request_pk(request_id)}, "sk": {"S": cursor}}
    out = shared_connection().client.query(**kwargs)
    return [SupportItem.from_raw_data(r) for r in out.get("Items", [])], "LastEvaluatedKey" in out


def _told_in(tx: Tx, task: FanoutItem, support: SupportItem, n: int, at: Any) -> None:
    cid = support.customer_id
    data = dict(task.data or {})
    if task.voucher:
        grant = task.voucher
        voucher = benefits.new_voucher(cid, benefit_id=f"c2b:{task.request_id}", name=grant["name"],
                                       kind=grant["kind"], valid_days=int(grant["valid_days"]), source="c2b_launch",
                                       at=at)
        benefits.put_in(tx, voucher, f"voucher:{n}")
        tx.put(f"gift:{n}", GiftMarkerItem(pk=keys.customer_pk(cid), sk=f"{GIFT_PREFIX}{task.request_id}",
                                           issued={f"c2b:{task.request_id}": 1}, vouchers=[voucher.voucher_id],
                                           created_at=clock.iso(at)),
               GiftMarkerItem.pk.does_not_exist())
        member_layout.check_old_absent(tx, f"gift:{n}", GiftMarkerItem, keys.customer_pk(cid),
                                       f"{GIFT_PREFIX}{task.request_id}")
        data["voucher_id"] = voucher.voucher_id
    notifications.put_in(tx, cid, task.template, data, label=f"notification:{n}")


def process(request_id: str, fanout_sk: str) -> int:
    """Tell the task's supporters, page by page, until it is done; returns how many this call told."""
    told = 0
    already_gifted: set[str] = set()
    for _ in range(100_000):
        try:
            task = FanoutItem.get(request_pk(request_id), fanout_sk, consistent_read=True)
        except FanoutItem.DoesNotExist:
            return told
        if task.status != "pending":
            return told
        page, more = _supports_after(request_id, task.cursor)
        at = clock.now()
        tx = Tx()
        chosen = [s for s in page if s.customer_id != task.skip and (s.early or not task.only_early)
                  and s.customer_id not in already_gifted]
        for n, support in enumerate(chosen):
            _told_in(tx, task, support, n, at)
        actions: list[Any] = [FanoutItem.told.add(len(chosen))]
        if page:
            actions.append(FanoutItem.cursor.set(page[-1].sk))
        if not more:
            actions += [FanoutItem.status.set("done"), FanoutItem.gsi1pk.remove(), FanoutItem.gsi1sk.remove()]
        cursor_read = (FanoutItem.cursor == task.cursor) if task.cursor else FanoutItem.cursor.does_not_exist()
        tx.update("task", FanoutItem(pk=task.pk, sk=task.sk), actions,
                  (FanoutItem.status == "pending") & cursor_read)
        try:
            tx.commit()
        except TxCancelled as exc:
            gifted = {chosen[int(label.split(":")[1])].customer_id for label in exc.failed
                      if label.startswith("gift:")}
            if gifted:  # already holds this request's launch voucher (a merged account): not twice
                already_gifted |= gifted
                continue
            if exc.conflict or "task" in exc.failed:
                retry.backoff(1)
                continue  # another worker moved the cursor: read the task again
            raise
        told += len(chosen)
        if not more:
            logger.info("c2b fan-out done", extra={"request_id": request_id, "template": task.template})
            return told
    return told


def run(context: Any = None) -> dict[str, Any]:
    """``c2b_fanout_job``: every fan-out still pending, oldest first, while the Lambda has time."""
    started = time.monotonic()
    raw, _more = paging.index_page("gsi1", FANOUT_INDEX_PK, 50)
    done = 0
    for item in raw:
        if context is not None and context.get_remaining_time_in_millis() < 20_000:
            break
        if context is None and time.monotonic() - started > 240:
            break
        done += process(item["request_id"]["S"], item["sk"]["S"])
    return {"tasks": len(raw), "told": done}
