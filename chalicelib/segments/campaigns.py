"""Campaigns to segments: created as drafts, launched once, fanned out through SQS a page of the audience a message.

The life of a campaign: ``create`` (a draft), ``launch`` (draft -> running, conditioned, then the first page of each
segment on the queue; a second launch answers the state and queues nothing), ``start_due`` (a campaign launched
before its ``starts_at`` is ``scheduled``, gsi1 ``CAMPSTART``, and the ``campaigns_start`` job fans it out when the
time comes) and ``view`` (the outcome counters, summed). The pages are ``campaign_pages.py``, reaching one member
``campaign_reach.py``, conversions ``campaign_conversions.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from chalicelib.core import clock
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.segments import call_tasks, queue, store
from chalicelib.segments.campaign_models import (
    CAMPAIGN_SK,
    COUNT_PREFIX,
    OUTCOMES,
    START_DUE,
    WINDOW_DAYS,
    CampaignItem,
    campaign_pk,
)

KIND = "campaign_page"


def load(campaign_id: str) -> CampaignItem:
    """The campaign (a consistent read); 404 ``not_found``."""
    try:
        return CampaignItem.get(campaign_pk(campaign_id), CAMPAIGN_SK, consistent_read=True)
    except CampaignItem.DoesNotExist as exc:
        raise AppError("not_found") from exc


def create(body: dict[str, Any]) -> dict[str, Any]:
    live = {d["sk"] for d in store.definitions(fresh=True) if d.get("status") == "active"}
    missing = [{"field": f"segment_ids[{n}]", "issue": "no such segment"}
               for n, sid in enumerate(body["segment_ids"]) if sid not in live]
    if missing:
        raise AppError("validation_error", details=missing)
    if clock.parse(body["ends_at"]) <= clock.parse(body["starts_at"]):
        raise AppError("validation_error", details=[{"field": "ends_at", "issue": "must be after starts_at"}])
    campaign_id = "cp_" + uuid.uuid4().hex[:16]
    item = CampaignItem(pk=campaign_pk(campaign_id), sk=CAMPAIGN_SK, campaign_id=campaign_id, name=body["name"],
                        segment_ids=body["segment_ids"], message=body["message"], channels=body["channels"],
                        offer=body.get("offer"), holdout_percent=body["holdout_percent"],
                        starts_at=body["starts_at"], ends_at=body["ends_at"], call_list=body.get("call_list"),
                        status="draft", created_at=clock.iso())
    item.save(CampaignItem.pk.does_not_exist())
    return {"campaign_id": campaign_id, "status": "draft"}


def first_pages(campaign: CampaignItem) -> None:
    """The first page of each of the campaign's segments, on the queue (each page queues the next)."""
    queue.send([{"kind": KIND, "campaign_id": campaign.campaign_id, "segment_id": sid, "page": 0, "cursor": None}
                for sid in campaign.segment_ids])


def launch(campaign_id: str) -> dict[str, Any]:
    """draft -> running (conditioned), then the first page of each segment on the queue; before ``starts_at``,
    draft -> scheduled (the ``campaigns_start`` job runs it then). Launching again answers the campaign's state and
    sends nothing (the pages already queued reach each member once anyway)."""
    campaign = load(campaign_id)
    if campaign.status == "draft":
        now = clock.now()
        if clock.parse(campaign.ends_at) <= now:
            raise AppError("campaign_window_closed")
        starts = clock.parse(campaign.starts_at)
        scheduled = starts > now
        actions: list[Action] = [CampaignItem.status.set("scheduled" if scheduled else "running"),
                   CampaignItem.launched_at.set(clock.iso(now))]
        if scheduled:
            actions += [CampaignItem.gsi1pk.set(START_DUE),
                        CampaignItem.gsi1sk.set(f"{clock.iso(starts.astimezone(UTC))}#{campaign_id}")]
        try:
            campaign.update(actions=actions, condition=CampaignItem.status == "draft")
        except UpdateError:
            return view(campaign_id)  # another launch won: its pages are on the queue (or it is scheduled)
        if not scheduled:
            first_pages(campaign)
    return view(campaign_id)


def start_due(context: Any = None) -> dict[str, int]:
    """``campaigns_start``: the scheduled campaigns whose ``starts_at`` has come are fanned out (gsi1 ``CAMPSTART``,
    no Scan). The pages go first, then the status: a run that dies between them sends them again next minute,
    which reaches nobody twice (the markers)."""
    now = clock.now()
    out = store.client().query(
        TableName=store.table(), IndexName="gsi1", KeyConditionExpression="gsi1pk = :p AND gsi1sk <= :n",
        ExpressionAttributeValues={":p": {"S": START_DUE}, ":n": {"S": f"{clock.iso(now.astimezone(UTC))}#~"}})
    started = ended = 0
    for raw in out.get("Items", []):
        campaign = CampaignItem.from_raw_data(raw)
        over = clock.parse(campaign.ends_at) <= now
        if not over:
            first_pages(campaign)
        actions: list[Action] = [CampaignItem.status.set("done" if over else "running"),
                                 CampaignItem.gsi1pk.remove(), CampaignItem.gsi1sk.remove()]
        if over:
            actions.append(CampaignItem.done_at.set(clock.iso(now)))
        try:
            campaign.update(actions=actions, condition=CampaignItem.status == "scheduled")
        except UpdateError:
            continue  # another run started it
        started += not over
        ended += over
    if started or ended:
        logger.info("scheduled campaigns started", extra={"started": started, "ended_unsent": ended})
    return {"started": started, "ended_unsent": ended}


def _counters(campaign_id: str) -> dict[str, int]:
    page = store.client().query(
        TableName=store.table(), ConsistentRead=True, KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": campaign_pk(campaign_id)}, ":c": {"S": COUNT_PREFIX}})
    total: dict[str, int] = {}
    for item in page.get("Items", []):
        for k, v in store.plain(item).items():
            if k not in ("pk", "sk"):
                total[k] = total.get(k, 0) + int(v)
    return total


def view(campaign_id: str) -> dict[str, Any]:
    c = load(campaign_id)
    n = _counters(campaign_id)
    return {"campaign_id": c.campaign_id, "name": c.name, "segment_ids": c.segment_ids, "status": c.status,
            "audience": sum(n.get(o, 0) for o in OUTCOMES), "holdout": n.get("holdout", 0),
            "sent": n.get("sent", 0),
            "suppressed": {o: n.get(o, 0) for o in OUTCOMES if o not in ("sent", "holdout")},
            "offers_granted": n.get("offers_granted", 0),
            "conversions": {"treated": n.get("conv_treated", 0), "holdout": n.get("conv_holdout", 0),
                            "window_days": WINDOW_DAYS},
            "call_list": call_tasks.counts(n) if c.call_list else None,
            "starts_at": c.starts_at, "ends_at": c.ends_at, "launched_at": c.launched_at, "done_at": c.done_at}
