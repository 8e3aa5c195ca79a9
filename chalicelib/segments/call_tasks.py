"""The reactivation call list: a call-list campaign's treated members become tasks agents call, instead of messages.

A task is put in the member's reach transaction (``campaign_reach.reach``: the marker, consent and caps, the offer), so
a member is on a campaign's list once however often the fan-out is delivered. Agents see their claimed tasks and the
pool (``gsi2``, no Scan), claim one (one agent at a time: conditioned on the task's revision; at most the campaign's
``max_per_agent`` held at once: a counter moved in the same transaction) and record the outcome (reached, no answer,
declined: counted into the campaign's results in the same transaction). A claim lapses after the campaign's
``expires_days``: another agent may take it over, and the ``call_tasks_lapse`` job returns it to the pool.

Why not the follow-up queue's cases: a case follows a failed transaction (its ID names the transaction, resolving it
settles the transaction and tells the member), carries the 15-minute and 24-hour targets the ``CasesPastSla`` alarm
watches, and has no per-agent limit or lapse. A list of a thousand calls would set that alarm off and misreport the
floor's service level; the tasks reuse the queue's shape instead (the ``gsi2`` queue, the conditional claim).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.segments import store
from chalicelib.segments.campaign_models import (
    CALL_HELD,
    CALL_LAPSE,
    CALL_POOL,
    COUNT_PREFIX,
    HOLDER_PREFIX,
    TASK_PREFIX,
    CallHolderItem,
    CallTaskItem,
    CampaignItem,
    CounterItem,
    campaign_pk,
)

_ID = re.compile(r"^ct\.(cp_[0-9a-f]{16})\.([A-Za-z0-9_-]{1,80})$")
LAPSE_BATCH = 100


def task_id_of(campaign_id: str, customer_id: str) -> str:
    return f"ct.{campaign_id}.{customer_id}"


def _parse(task_id: str) -> tuple[str, str]:
    match = _ID.match(task_id)
    if not match:
        raise AppError("not_found")
    return match.group(1), match.group(2)


def put_in(tx: Tx, campaign: CampaignItem, customer_id: str, member_no: str | None, tier: str | None,
           at: str) -> None:
    """The member's task, open in the pool (put if absent: on a campaign's list once)."""
    task_id = task_id_of(campaign.campaign_id, customer_id)
    tx.put("task", CallTaskItem(
        pk=campaign_pk(campaign.campaign_id), sk=TASK_PREFIX + customer_id, task_id=task_id,
        campaign_id=campaign.campaign_id, campaign_name=campaign.name, customer_id=customer_id, member_no=member_no,
        tier=tier, status="open", rev=0, created_at=at, gsi2pk=CALL_POOL, gsi2sk=f"{at}#{task_id}"),
        CallTaskItem.pk.does_not_exist())


def view(task: CallTaskItem, now: Any = None) -> dict[str, Any]:
    lapsed = task.status == "claimed" and task.claim_until is not None and task.claim_until <= clock.iso(now)
    return {"task_id": task.task_id, "campaign_id": task.campaign_id, "campaign_name": task.campaign_name,
            "customer_id": task.customer_id, "member_no": task.member_no, "tier": task.tier,
            "status": "open" if lapsed else task.status, "created_at": task.created_at,
            "claimed_by": None if lapsed else task.claimed_by, "claimed_at": None if lapsed else task.claimed_at,
            "claim_until": None if lapsed else task.claim_until, "outcome": task.outcome, "note": task.note,
            "done_at": task.done_at}


def _get(task_id: str) -> CallTaskItem:
    campaign_id, customer_id = _parse(task_id)
    try:
        return CallTaskItem.get(campaign_pk(campaign_id), TASK_PREFIX + customer_id, consistent_read=True)
    except CallTaskItem.DoesNotExist as exc:
        raise AppError("not_found") from exc


def _query_index(index: str, key: str, value: str, *, below: str | None = None, limit: int | None = None,
                 start: dict[str, Any] | None = None) -> tuple[list[CallTaskItem], dict[str, Any] | None]:
    kwargs: dict[str, Any] = {"TableName": store.table(), "IndexName": index,
                              "KeyConditionExpression": f"{key}pk = :p" + (f" AND {key}sk < :b" if below else ""),
                              "ExpressionAttributeValues": {":p": {"S": value}, **({":b": {"S": below}} if below
                                                                                    else {})}}
    if limit:
        kwargs["Limit"] = limit
    if start:
        kwargs["ExclusiveStartKey"] = start
    out = store.client().query(**kwargs)
    return [CallTaskItem.from_raw_data(i) for i in out.get("Items", [])], out.get("LastEvaluatedKey")


def listing(staff_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The agent's claimed tasks (at most ``max_per_agent`` a campaign) and a page of the pool, oldest first."""
    from chalicelib.core.dynamo import paging

    start = None
    if cursor:
        after = paging.decode_cursor(cursor, "")
        match = _ID.match(after.rpartition("#")[2])
        if not match:  # a cursor this list never gave: 400, as every list answers a bad cursor
            raise AppError("validation_error", details=[{"field": "cursor", "issue": "is not a cursor of this list"}])
        campaign_id, customer_id = match.group(1), match.group(2)
        start = {"pk": {"S": campaign_pk(campaign_id)}, "sk": {"S": TASK_PREFIX + customer_id},
                 "gsi2pk": {"S": CALL_POOL}, "gsi2sk": {"S": after}}
    now = clock.now()
    held, _ = _query_index("gsi2", "gsi2", CALL_HELD + staff_id)
    mine = [t for t in held if (t.claim_until or "") > clock.iso(now)]
    pool, last = _query_index("gsi2", "gsi2", CALL_POOL, limit=limit, start=start)
    return {"mine": [view(t, now) for t in mine], "pool": [view(t, now) for t in pool],
            "next_cursor": paging.encode_cursor(last["gsi2sk"]["S"]) if last else None}


def _holder(campaign_id: str, staff_id: str) -> CallHolderItem:
    return CallHolderItem(pk=campaign_pk(campaign_id), sk=HOLDER_PREFIX + staff_id)


def claim(task_id: str, staff_id: str) -> dict[str, Any]:
    """Claim a task from the pool (or one whose claim lapsed); claiming your own again changes nothing."""
    task = _get(task_id)
    now = clock.now()
    at = clock.iso(now)
    lapsed = task.status == "claimed" and (task.claim_until or "") <= at
    if task.status == "done":
        raise AppError("call_task_done")
    if task.status == "claimed" and not lapsed:
        if task.claimed_by == staff_id:
            return view(task, now)
        raise AppError("call_task_claimed_by_other")
    campaign = CampaignItem.get(task.pk, "CAMP")
    settings = campaign.call_list or {}
    until = clock.iso(now + timedelta(days=int(settings.get("expires_days") or 7)))
    tx = Tx()
    tx.update("task", CallTaskItem(pk=task.pk, sk=task.sk), [
        CallTaskItem.status.set("claimed"), CallTaskItem.claimed_by.set(staff_id), CallTaskItem.claimed_at.set(at),
        CallTaskItem.claim_until.set(until), CallTaskItem.rev.add(1),
        CallTaskItem.gsi2pk.set(CALL_HELD + staff_id), CallTaskItem.gsi2sk.set(f"{until}#{task.task_id}"),
        CallTaskItem.gsi1pk.set(CALL_LAPSE), CallTaskItem.gsi1sk.set(f"{until}#{task.task_id}")],
        CallTaskItem.rev == int(task.rev or 0))
    tx.update("mine", _holder(task.campaign_id, staff_id), [CallHolderItem.open.add(1)],
              CallHolderItem.open.does_not_exist() | (CallHolderItem.open < int(settings.get("max_per_agent") or 1)))
    if lapsed and task.claimed_by and task.claimed_by != staff_id:
        tx.update("previous", _holder(task.campaign_id, task.claimed_by), [CallHolderItem.open.add(-1)])
    elif lapsed:  # my own lapsed claim, taken again: I held it already
        tx.update("previous", _holder(task.campaign_id, staff_id), [CallHolderItem.open.add(-1)])
    try:
        tx.commit()
    except TxCancelled as exc:
        if "task" in exc.failed or exc.conflict:
            again = _get(task_id)
            if again.status == "claimed" and again.claimed_by == staff_id:
                return view(again)
            raise AppError("call_task_done" if again.status == "done" else "call_task_claimed_by_other") from None
        if "mine" in exc.failed:
            raise AppError("call_task_limit") from None
        raise
    logger.info("call task claimed", extra={"task_id": task_id, "staff_id": staff_id})
    return view(_get(task_id), now)


def record_outcome(task_id: str, staff_id: str, outcome: str, note: str | None) -> dict[str, Any]:
    """The claimant's outcome: the task done, the agent's hold released, the campaign's count moved, together."""
    task = _get(task_id)
    if task.status == "done":
        if task.done_by == staff_id and task.outcome == outcome:
            return view(task)  # a repeated request
        raise AppError("call_task_done")
    if task.status != "claimed" or task.claimed_by != staff_id:
        raise AppError("call_task_not_claimed")
    at = clock.iso()
    tx = Tx()
    tx.update("task", CallTaskItem(pk=task.pk, sk=task.sk), [
        CallTaskItem.status.set("done"), CallTaskItem.outcome.set(outcome), CallTaskItem.done_by.set(staff_id),
        CallTaskItem.done_at.set(at), CallTaskItem.rev.add(1),
        *([CallTaskItem.note.set(note)] if note else []),
        CallTaskItem.gsi1pk.remove(), CallTaskItem.gsi1sk.remove(), CallTaskItem.gsi2pk.remove(),
        CallTaskItem.gsi2sk.remove()],
        (CallTaskItem.status == "claimed") & (CallTaskItem.claimed_by == staff_id))
    tx.update("mine", _holder(task.campaign_id, staff_id), [CallHolderItem.open.add(-1)])
    tx.update("counter", CounterItem(pk=task.pk, sk=f"{COUNT_PREFIX}{store.count_shard(task.customer_id)}"),
              [getattr(CounterItem, f"call_{outcome}").add(1)])
    try:
        tx.commit()
    except TxCancelled as exc:
        if "task" in exc.failed:
            again = _get(task_id)
            raise AppError("call_task_done" if again.status == "done" else "call_task_not_claimed") from None
        raise
    metrics.add_metric(name=f"CallTasks_{outcome}", unit="Count", value=1)
    return view(_get(task_id))


def lapse(context: Any = None) -> dict[str, int]:
    """``call_tasks_lapse``: claims past their ``claim_until`` back to the pool (gsi1 ``CALLLAPSE``, no Scan)."""
    now = clock.iso()
    returned = 0
    due, _ = _query_index("gsi1", "gsi1", CALL_LAPSE, below=now, limit=LAPSE_BATCH)
    for task in due:
        tx = Tx()
        tx.update("task", CallTaskItem(pk=task.pk, sk=task.sk), [
            CallTaskItem.status.set("open"), CallTaskItem.claimed_by.remove(), CallTaskItem.claimed_at.remove(),
            CallTaskItem.claim_until.remove(), CallTaskItem.rev.add(1), CallTaskItem.gsi1pk.remove(),
            CallTaskItem.gsi1sk.remove(), CallTaskItem.gsi2pk.set(CALL_POOL),
            CallTaskItem.gsi2sk.set(f"{task.created_at}#{task.task_id}")],
            (CallTaskItem.status == "claimed") & (CallTaskItem.rev == int(task.rev or 0)))
        if task.claimed_by:
            tx.update("holder", _holder(task.campaign_id, task.claimed_by), [CallHolderItem.open.add(-1)])
        try:
            tx.commit()
        except TxCancelled as exc:
            if "task" not in exc.failed:
                raise
            continue  # taken over or finished meanwhile
        returned += 1
    if returned:
        logger.info("lapsed call-task claims returned to the pool", extra={"returned": returned})
    return {"returned": returned}


def counts(totals: dict[str, int]) -> dict[str, int]:
    """The campaign's call-list results from its counters."""
    done = {o: totals.get(f"call_{o}", 0) for o in ("reached", "no_answer", "declined")}
    tasks = totals.get("call_tasks", 0)
    return {"tasks": tasks, "open": tasks - sum(done.values()), **done}
