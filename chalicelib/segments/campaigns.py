"""Campaigns to segments: created as drafts, launched once, fanned out through SQS a page of the audience a message.

Each member is reached in one transaction that puts the marker ``R#<customer>`` only if absent and moves one
outcome counter: a message delivered twice, a page retried after a worker died, or a second launch reaches nobody
twice, and ``sent + suppressed + holdout = audience`` holds by construction. A treated member's send transaction
also holds: a condition that the profile's marketing consent is still given (withdrawn meanwhile: nothing sent),
the day's and the week's cap counters (``CAMPAIGN_CAP_PER_DAY``, ``CAMPAIGN_CAP_PER_WEEK``, Shanghai days, across
campaigns), the notification (the notifications area delivers it: channels, grants, quiet hours hold it until
they end) and the offer (a voucher, or points through the points ledger, whose transaction this becomes).
The holdout is a stable draw on the campaign and member (``rules.holdout``): the same at every retry and relaunch.
Conversions (an order or a redemption within 14 days) come from the table's stream (``convert``).

Before the send, the member's profile, notification settings and grants are read together (one BatchGetItem, what
the notifications area's delivery reads): a member none of the campaign's channels can reach (no WeChat grant or
official-account identity for ``wechat``, no phone for ``sms``, the channel switched off, and no ``in_app``) is
suppressed ``no_grant``; one inside their quiet hours that end only after the campaign does is ``quiet_hours`` (one
whose quiet hours end in time gets the message, held by the delivery until they end).

A call-list campaign (``call_list``) puts each treated member on the agents' call list (``call_tasks``) instead of
the message, under the same consent, caps, marker and offer. A campaign launched before its ``starts_at`` is
``scheduled`` (gsi1 ``CAMPSTART``) and the ``campaigns_start`` job fans it out when the time comes.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, timedelta
from typing import Any, cast

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.core import clock, notifications
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger, metrics
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.notifications import public as push
from chalicelib.segments import call_tasks, queue, rules, segments, store
from chalicelib.segments.campaign_models import (
    CAMPAIGN_SK,
    CAP_PREFIX,
    CONVERSION_PREFIX,
    COUNT_PREFIX,
    MINE_PREFIX,
    OUTCOMES,
    REACHED_PREFIX,
    START_DUE,
    CampaignItem,
    CapItem,
    CounterItem,
    MyCampaignItem,
    ReachedItem,
    campaign_pk,
)

KIND = "campaign_page"
PAGE = 50  # members a message; a treated member's transaction holds at most 8 items (+ the points' own)
WINDOW_DAYS = 14
TEMPLATE = "campaign_message"
# a campaign's channel -> the notifications area's push channels that carry it (``in_app`` reaches every member)
PUSH_CHANNELS = {"wechat": (push.WECHAT_SUBSCRIBE, push.WECHAT_TEMPLATE), "sms": (push.SMS,)}


def caps() -> tuple[int, int]:
    return int(os.environ.get("CAMPAIGN_CAP_PER_DAY", "1")), int(os.environ.get("CAMPAIGN_CAP_PER_WEEK", "3"))


def _get(campaign_id: str) -> CampaignItem:
    try:
        return CampaignItem.get(campaign_pk(campaign_id), CAMPAIGN_SK, consistent_read=True)
    except CampaignItem.DoesNotExist as exc:
        raise AppError("not_found") from exc


def create(body: dict[str, Any]) -> dict[str, Any]:
    live = {d["sk"] for d in segments.definitions(fresh=True) if d.get("status") == "active"}
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


def _first_pages(campaign: CampaignItem) -> None:
    queue.send([{"kind": KIND, "campaign_id": campaign.campaign_id, "segment_id": sid, "page": 0, "cursor": None}
                for sid in campaign.segment_ids])


def launch(campaign_id: str) -> dict[str, Any]:
    """draft -> running (conditioned), then the first page of each segment on the queue; before ``starts_at``,
    draft -> scheduled (the ``campaigns_start`` job runs it then). Launching again answers the campaign's state and
    sends nothing (the pages already queued reach each member once anyway)."""
    campaign = _get(campaign_id)
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
            _first_pages(campaign)
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
            _first_pages(campaign)
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
    c = _get(campaign_id)
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


# ------------------------------------------------------------------------------------------------ the fan-out


def _shard(customer_id: str) -> str:
    return f"{COUNT_PREFIX}{store.count_shard(customer_id)}"


def _mark(tx: Tx, campaign_id: str, customer_id: str, outcome: str, at: str, offer: bool = False,
          call: bool = False) -> None:
    tx.put("marker", ReachedItem(pk=campaign_pk(campaign_id), sk=REACHED_PREFIX + customer_id,
                                 customer_id=customer_id, outcome=outcome, at=at), ReachedItem.pk.does_not_exist())
    actions = [getattr(CounterItem, outcome).add(1)] + ([CounterItem.offers_granted.add(1)] if offer else []) + (
        [CounterItem.call_tasks.add(1)] if call else [])
    tx.update("counter", CounterItem(pk=campaign_pk(campaign_id), sk=_shard(customer_id)), actions)


def _remember(tx: Tx, campaign_id: str, customer_id: str, group: str, at: Any) -> None:
    """The member's own record of the campaign (the conversion window's read), expiring after the window."""
    tx.put("mine", MyCampaignItem(pk=keys.customer_pk(customer_id), sk=f"{MINE_PREFIX}{clock.iso(at)}#{campaign_id}",
                                  campaign_id=campaign_id, group=group, at=clock.iso(at),
                                  ttl=int((at + timedelta(days=WINDOW_DAYS + 1)).timestamp())))


def _cap_update(tx: Tx, label: str, customer_id: str, sk: str, cap: int, until: Any) -> None:
    tx.update(label, CapItem(pk=keys.customer_pk(customer_id), sk=sk),
              [CapItem.n.add(1), CapItem.ttl.set(int(until.timestamp()))],
              CapItem.n.does_not_exist() | (CapItem.n < cap))


def _only_marker(campaign_id: str, customer_id: str, outcome: str, at: str, remember: Any = None) -> str:
    """The marker and its counter (and, for the holdout, the member's record of the campaign) in one transaction."""
    tx = Tx()
    _mark(tx, campaign_id, customer_id, outcome, at)
    if remember is not None:
        _remember(tx, campaign_id, customer_id, "holdout", remember)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "marker" in exc.failed:
            return "already"
        raise
    return outcome


def reach(campaign: CampaignItem, customer_id: str) -> str:
    """Reach one member of the audience once; the outcome (or ``already``)."""
    now = clock.now()
    at = clock.iso(now)
    cid = campaign.campaign_id
    if rules.holdout(customer_id, cid, int(campaign.holdout_percent)):
        return _only_marker(cid, customer_id, "holdout", at, remember=now)
    profile, recipient = _member(customer_id)
    if profile is None or profile.merged_into:
        return _only_marker(cid, customer_id, "deleted", at)
    if not (profile.consents and profile.consents.marketing):
        return _only_marker(cid, customer_id, "no_consent", at)
    if not campaign.call_list:
        unreachable = _unreachable(campaign, recipient, now)
        if unreachable:
            return _only_marker(cid, customer_id, unreachable, at)
    per_day, per_week = caps()
    local = now.astimezone(SHANGHAI)
    day, week = local.date().isoformat(), local.date() - timedelta(days=local.weekday())
    offer = campaign.offer or None

    def add(tx: Tx, _state: Any = None) -> None:
        _mark(tx, cid, customer_id, "sent", at, offer=bool(offer), call=bool(campaign.call_list))
        tx.check("consent", CustomerItem, keys.customer_pk(customer_id), PROFILE_SK,
                 cast(Condition, CustomerItem.consents.marketing == True))  # noqa: E712 (a DynamoDB condition)
        _cap_update(tx, "cap_day", customer_id, f"{CAP_PREFIX}D#{day}", per_day, now + timedelta(days=2))
        _cap_update(tx, "cap_week", customer_id, f"{CAP_PREFIX}W#{week.isoformat()}", per_week,
                    now + timedelta(days=9))
        if campaign.call_list:
            call_tasks.put_in(tx, campaign, customer_id, profile.member_no, profile.tier_code, at)
        else:
            notifications.put_in(tx, customer_id, TEMPLATE, {"title": campaign.message["title"],
                                                             "body": campaign.message["body"], "campaign_id": cid})
        _remember(tx, cid, customer_id, "treated", now)
        if offer and offer["kind"] == "voucher":
            from chalicelib.benefits import public as benefits

            benefits.put_in(tx, benefits.new_voucher(
                customer_id, benefit_id=str(offer["benefit_id"]), name=str(offer.get("name") or campaign.name),
                kind="gift", valid_days=int(offer.get("valid_days") or 30), source=f"campaign:{cid}", at=now))

    for attempt in retry.attempts(5):
        try:
            if offer and offer["kind"] == "points":
                from chalicelib.points import public as points

                points.earn(customer_id, int(offer["points"]), kind="campaign", reference=f"campaign:{cid}",
                              reason=campaign.name, extra=add)
            else:
                tx = Tx()
                add(tx)
                tx.commit()
            metrics.add_metric(name="CampaignSends", unit="Count", value=1)
            return "sent"
        except TxCancelled as exc:
            if "marker" in exc.failed:
                return "already"
            if "consent" in exc.failed:
                return _only_marker(cid, customer_id, "no_consent", at)
            if exc.failed & {"cap_day", "cap_week"}:
                return _only_marker(cid, customer_id, "capped", at)
            if not exc.conflict or attempt == 4:
                raise
    raise RuntimeError("unreachable")


def _member(customer_id: str) -> tuple[CustomerItem | None, push.Recipient]:
    """The profile and what the delivery knows of the member (settings, grants): one consistent BatchGetItem."""
    table = settings().table_name
    wanted = push.recipient_keys(customer_id, notifications.TEMPLATES[TEMPLATE].wechat_template)
    out = store.client().batch_get_item(RequestItems={table: {"Keys": wanted, "ConsistentRead": True}})
    if out.get("UnprocessedKeys"):
        raise RuntimeError("member reads throttled; the page is retried")
    found = out.get("Responses", {}).get(table, [])
    profile = next((CustomerItem.from_raw_data(r) for r in found if r["sk"]["S"] == PROFILE_SK), None)
    return profile, push.recipient_of(found, notifications.TEMPLATES[TEMPLATE].wechat_template)


def _unreachable(campaign: CampaignItem, recipient: push.Recipient, now: Any) -> str | None:
    """``no_grant`` when none of the campaign's channels reaches the member; ``quiet_hours`` when the member is in
    their quiet hours and they end only after the campaign does; else None (the message goes, or waits for them)."""
    wanted = {c for name in campaign.channels for c in PUSH_CHANNELS.get(name, ())}
    if "in_app" not in campaign.channels and not wanted & set(push.channels_for(recipient)):
        return "no_grant"
    local = now.astimezone(SHANGHAI)
    if push.in_quiet_hours(local, *recipient.quiet) and push.quiet_ends(
            local, recipient.quiet[1]) >= clock.parse(campaign.ends_at):
        return "quiet_hours"
    return None


def _audience_page(segment_id: str, cursor: str | None) -> tuple[list[str], str | None]:
    kwargs: dict[str, Any] = {
        "TableName": store.table(), "Limit": PAGE, "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :c)", "ProjectionExpression": "customer_id",
        "ExpressionAttributeValues": {":pk": {"S": store.segment_pk(segment_id)}, ":c": {"S": store.MEMBER_PREFIX}}}
    if cursor:
        kwargs["ExclusiveStartKey"] = {"pk": {"S": store.segment_pk(segment_id)},
                                       "sk": {"S": store.MEMBER_PREFIX + cursor}}
    out = store.client().query(**kwargs)
    ids = [i["customer_id"]["S"] for i in out.get("Items", [])]
    return ids, ids[-1] if ids and "LastEvaluatedKey" in out else None


def handle_page(message: dict[str, Any]) -> None:
    """The ``campaign_page`` kind's handler: read a page of a segment, queue the next page, reach each member."""
    campaign = _get(str(message["campaign_id"]))
    page_no = int(message["page"])
    ids, cursor = _audience_page(str(message["segment_id"]), message.get("cursor"))
    if cursor:
        queue.send([{**message, "page": page_no + 1, "cursor": cursor}])  # the next page runs on another worker
    for customer_id in ids:
        reach(campaign, customer_id)
    _page_done(campaign, str(message["segment_id"]), page_no, last=cursor is None)


def _page_done(campaign: CampaignItem, segment_id: str, page_no: int, *, last: bool) -> None:
    """Count the page once (a set of pages done); the campaign is done when every segment's pages are."""
    pk = campaign_pk(campaign.campaign_id)
    names = {"#d": f"done_{segment_id}"}
    values: dict[str, Any] = {":p": {"NS": [str(page_no)]}}
    expression = "ADD #d :p"
    if last:
        names["#t"] = f"total_{segment_id}"
        values[":t"] = {"N": str(page_no + 1)}
        expression += " SET #t = :t"
    out = store.client().update_item(TableName=store.table(), Key={"pk": {"S": pk}, "sk": {"S": "PAGES"}},
                                     UpdateExpression=expression, ExpressionAttributeNames=names,
                                     ExpressionAttributeValues=values, ReturnValues="ALL_NEW")
    pages = store.plain(out["Attributes"])
    finished = all(f"total_{s}" in pages and len(pages.get(f"done_{s}") or []) >= int(pages[f"total_{s}"])
                   for s in campaign.segment_ids)
    if finished:
        try:
            campaign.update(actions=[CampaignItem.status.set("done"), CampaignItem.done_at.set(clock.iso())],
                            condition=CampaignItem.status == "running")
            logger.info("campaign fan-out done", extra={"campaign_id": campaign.campaign_id})
        except UpdateError:
            pass  # already done


def exhausted(message: dict[str, Any]) -> None:
    """A page that ran out of retries: logged; relaunching is safe (markers), never a case."""
    logger.error("campaign page exhausted its retries", extra={"campaign_id": message.get("campaign_id"),
                                                               "page": message.get("page")})


# ------------------------------------------------------------------------------------------------ conversions


def convert(raw: dict[str, Any]) -> None:
    """Stream handler of new orders and redemptions: the member's campaigns of the last 14 days convert, once."""
    if raw.get("eventName") != "INSERT":
        return
    image = (raw.get("dynamodb") or {}).get("NewImage") or {}
    sk = (image.get("sk") or {}).get("S", "")
    pk = (image.get("pk") or {}).get("S", "")
    customer_id = (image.get("customer_id") or {}).get("S") or (pk[5:] if pk.startswith("CUST#") else None)
    if not customer_id or not (sk == "ORDER" or sk.startswith("RDM#")):
        return
    since = clock.iso(clock.now() - timedelta(days=WINDOW_DAYS))
    out = store.client().query(
        TableName=store.table(), KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":pk": {"S": keys.customer_pk(customer_id)}, ":a": {"S": MINE_PREFIX + since},
                                   ":b": {"S": MINE_PREFIX + "~"}})
    for item in out.get("Items", []):
        mine = store.plain(item)
        tx = Tx()
        tx.put("conv", ReachedItem(pk=campaign_pk(mine["campaign_id"]), sk=CONVERSION_PREFIX + customer_id,
                                   customer_id=customer_id, outcome=mine["group"], at=clock.iso()),
               ReachedItem.pk.does_not_exist())
        counter = CounterItem.conv_treated if mine["group"] == "treated" else CounterItem.conv_holdout
        tx.update("counter", CounterItem(pk=campaign_pk(mine["campaign_id"]), sk=_shard(customer_id)),
                  [counter.add(1)])
        try:
            tx.commit()
        except TxCancelled as exc:
            if "conv" not in exc.failed:
                raise

