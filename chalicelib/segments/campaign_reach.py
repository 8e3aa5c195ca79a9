"""Reaching one member of a campaign's audience, once: the marker, the outcome counter and, for a treated member, the
send in one transaction.

Each member is reached in one transaction that puts the marker ``R#<customer>`` only if absent and moves one
outcome counter: a message delivered twice, a page retried after a worker died, or a second launch reaches nobody
twice, and ``sent + suppressed + holdout = audience`` holds by construction. A treated member's send transaction
also holds: a condition that the profile's marketing consent is still given (withdrawn meanwhile: nothing sent),
the day's and the week's cap counters (``CAMPAIGN_CAP_PER_DAY``, ``CAMPAIGN_CAP_PER_WEEK`` in the core's settings,
Shanghai days, across campaigns), the notification (the notifications area delivers it: channels, grants, quiet
hours hold it until they end) and the offer (a voucher, or points through the points ledger, whose transaction this
becomes). The holdout is a stable draw on the campaign and member (``rules.holdout``): the same at every retry.

Before the send, the member's profile, notification settings and grants are read together (one BatchGetItem, what
the notifications area's delivery reads): a member none of the campaign's channels can reach (no WeChat grant or
official-account identity for ``wechat``, no phone for ``sms``, the channel switched off, and no ``in_app``) is
suppressed ``no_grant``; one inside their quiet hours that end only after the campaign does is ``quiet_hours`` (one
whose quiet hours end in time gets the message, held by the delivery until they end). A call-list campaign
(``call_list``) puts each treated member on the agents' call list (``call_tasks``) instead of the message, under the
same consent, caps, marker and offer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from pynamodb.expressions.condition import Condition

from chalicelib.core import clock, notifications
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, keys, retry
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.observability import metrics
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.notifications import public as push
from chalicelib.segments import call_tasks, rules, store
from chalicelib.segments.campaign_models import (
    CAP_PREFIX,
    COUNT_PREFIX,
    MINE_PREFIX,
    REACHED_PREFIX,
    WINDOW_DAYS,
    CampaignItem,
    CapItem,
    CounterItem,
    MyCampaignItem,
    ReachedItem,
    campaign_pk,
)

TEMPLATE = "campaign_message"
# a campaign's channel -> the notifications area's push channels that carry it (``in_app`` reaches every member)
PUSH_CHANNELS = {"wechat": (push.WECHAT_SUBSCRIBE, push.WECHAT_TEMPLATE), "sms": (push.SMS,)}


def caps() -> tuple[int, int]:
    """A member's marketing sends at most per Shanghai day and per week, across campaigns."""
    return settings().campaign_cap_per_day, settings().campaign_cap_per_week


def counter_sk(customer_id: str) -> str:
    """The outcome counter shard a member's marker (and conversion) moves."""
    return f"{COUNT_PREFIX}{store.count_shard(customer_id)}"


def _mark(tx: Tx, campaign_id: str, customer_id: str, outcome: str, at: str, offer: bool = False,
          call: bool = False) -> None:
    tx.put("marker", ReachedItem(pk=campaign_pk(campaign_id), sk=REACHED_PREFIX + customer_id,
                                 customer_id=customer_id, outcome=outcome, at=at), ReachedItem.pk.does_not_exist())
    actions = [getattr(CounterItem, outcome).add(1)] + ([CounterItem.offers_granted.add(1)] if offer else []) + (
        [CounterItem.call_tasks.add(1)] if call else [])
    tx.update("counter", CounterItem(pk=campaign_pk(campaign_id), sk=counter_sk(customer_id)), actions)


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

    def attempt(_n: int) -> str:
        try:
            if offer and offer["kind"] == "points":
                from chalicelib.points import public as points

                def grant(tx: Tx, state: Any) -> None:
                    points.earn_in(tx, state, int(offer["points"]), kind="campaign", reference=f"campaign:{cid}",
                                   reason=campaign.name)
                    add(tx)

                points.execute_with(customer_id, grant)
            else:
                tx = Tx()
                add(tx)
                tx.commit()
        except TxCancelled as exc:
            if "marker" in exc.failed:
                return "already"
            if "consent" in exc.failed:
                return _only_marker(cid, customer_id, "no_consent", at)
            if exc.failed & {"cap_day", "cap_week"}:
                return _only_marker(cid, customer_id, "capped", at)
            raise  # a conflict: tried again; anything else, or still racing after five: the pass's message again
        metrics.add_metric(name="CampaignSends", unit="Count", value=1)
        return "sent"

    return retry.until_committed_or(retry.reraise, attempt, limit=5, what="campaign send", campaign_id=cid,
                                    customer_id=customer_id)


def _member(customer_id: str) -> tuple[CustomerItem | None, push.Recipient]:
    """The profile and what the delivery knows of the member (settings, grants): one consistent BatchGetItem."""
    wanted = push.recipient_keys(customer_id, notifications.TEMPLATES[TEMPLATE].wechat_template)
    found = list(batch.batch_get(wanted).values())
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
