"""Delivering one notification record: decide its channels, send once per channel, record every attempt.

Entry points:

- ``deliver(item)``: a new ``N#`` record (from the table's stream, ``stream.handle_record``) or one that quiet hours
  held (``release_held``). Safe to run twice on the same record: every send is claimed first by a conditioned put
  of its ``ND#<notification_id>#<channel>`` item, so a replayed stream batch sends nothing twice.
- ``redo(message)``: the retry pipeline's handler (kind ``notification_delivery``): one channel's next attempt.
- ``exhausted(message)``: the follow-up queue's hook for the same kind: the retries ran out (no case is opened).

The flow for one channel: claim (conditioned put or ``retrying -> sending`` update; the mini-program channel also
spends a subscription grant in the same transaction; a new record's first channel is claimed in the transaction
that adds the in-app entry and counts it unread), send, then one transaction that sets the delivery's status and
appends ``{channel, status, at, error}`` to the notification's ``deliveries``. A transient failure makes the delivery
``retrying`` and puts a message on the retry queue (the pipeline backs off: 2 s, 4 s locally); after
``NOTIFY_MAX_ATTEMPTS`` it is ``failed`` and the next channel is tried. A process that dies between the claim and the
record leaves the delivery ``sending``: it is never sent again (at most once per channel, by design).

What it reads is ``recipients.py``'s; the claims and records it writes are ``claims.py``'s.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import TxCancelled
from chalicelib.core.notice_spec import NoticeSpec
from chalicelib.core.notifications import NotificationItem
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry.outbox import retry_port
from chalicelib.core.retry.transactions import Transaction
from chalicelib.notifications import channels, claims, rules
from chalicelib.notifications.models import DeliveryItem, delivery_sk
from chalicelib.notifications.recipients import load_recipient, render, spec_of

RETRY_KIND = "notification_delivery"


def _enqueue_retry(item: NotificationItem, channel: str, rest: tuple[str, ...]) -> bool:
    txn = Transaction(f"{item.notification_id}#{channel}", item.customer_id, RETRY_KIND, item.notification_id,
                      {"notification_sk": item.sk, "channel": channel, "rest": list(rest)})
    return retry_port().enqueue(txn, clear_outbox=False)


def _attempt(item: NotificationItem, spec: NoticeSpec, recipient: rules.Recipient, channel: str,
             rest: tuple[str, ...], attempts: int, in_retry: bool) -> str:
    """Send on a claimed channel and record it: ``sent``, ``retrying`` (the pipeline has it) or ``failed``."""
    outcome = channels.send(channel, recipient, render(item, spec))
    grant = spec.wechat_template if channel == rules.WECHAT_SUBSCRIBE else None
    metrics.add_metric(name=f"NotificationSend_{outcome.status}", unit="Count", value=1)
    if outcome.status == "sent":
        claims.record(item.pk, item.sk, channel, "sent", None, outcome.content)
        return "sent"
    if outcome.status == "retry" and attempts < settings().notify_max_attempts:
        claims.record(item.pk, item.sk, channel, "retrying", outcome.error, outcome.content)
        if in_retry or _enqueue_retry(item, channel, rest):
            return "retrying"
        logger.warning("notification retry not enqueued; failing over", extra={"channel": channel})
    claims.record(item.pk, item.sk, channel, "failed", outcome.error, outcome.content, restore_grant=grant)
    return "failed"


def _try_channels(item: NotificationItem, spec: NoticeSpec, recipient: rules.Recipient,
                  planned: tuple[str, ...], first_claimed: bool = False) -> str | None:
    """The first channel that is sent or retrying ends it; a failed one hands over to the next.
    ``first_claimed``: the first channel's claim is already committed (``claims.dispatch_and_claim``)."""
    for index, channel in enumerate(planned):
        claim = ("claimed" if first_claimed and index == 0
                 else claims.claim_new(item, channel, recipient, spec.wechat_template))
        if claim == "taken":
            return "taken"  # a previous run (a replayed record, or the retry pipeline) has this notification
        if claim == "failed":
            continue  # no grant left, or failed for good before: the next channel
        result = _attempt(item, spec, recipient, channel, planned[index + 1:], 1, in_retry=False)
        if result != "failed":
            return result
    return None


def deliver(item: NotificationItem, *, released: bool = False) -> str:
    """Decide and send one notification (idempotent per channel); returns what happened, for logs and tests."""
    spec = spec_of(item)
    recipient = load_recipient(item.customer_id, spec.wechat_template)
    now = clock.now()
    local_now = now.astimezone(SHANGHAI)
    urgent = rules.is_urgent(spec.urgent, spec.urgent_within_hours, (item.data or {}).get(spec.starts_field), now)
    decided = rules.plan(recipient, category=spec.category, urgent=urgent, local_now=local_now, released=released)
    sends_now = (not released and not decided.skipped and decided.hold_until is None and bool(decided.channels)
                 and spec.category != "marketing")  # marketing spends its daily allowance before any claim
    claimed = False
    if released:
        first = False
    elif sends_now:
        first, claimed = claims.dispatch_and_claim(item, recipient, decided.channels[0], spec.wechat_template)
    else:
        first = claims.mark_dispatched(item, recipient)
    if not first and claims.in_hand(item):
        return "taken"  # a replayed record: a channel already has it (the plan may differ now: a grant was spent)
    if decided.skipped:
        return f"skipped:{decided.skipped}"
    if decided.hold_until is not None:
        claims.hold(item, decided.channels, decided.hold_until)  # conditioned: a replay holds nothing twice
        return "held"
    if spec.category == "marketing" and (first or released) and not claims.spend_marketing_day(item.pk, local_now):
        claims.skip(item, decided.channels, "marketing_daily_limit")
        return "skipped:marketing_daily_limit"
    return _try_channels(item, spec, recipient, decided.channels, first_claimed=claimed) or "failed"


def redo(message: dict[str, Any]) -> None:
    """The retry pipeline's handler: the next attempt on one channel; raising hands the message back to SQS
    (with backoff); a delivery that is no longer ``retrying`` (done, or claimed by a duplicate message) is left."""
    customer_id, notification_sk = str(message["customer_id"]), str(message["notification_sk"])
    channel, rest = str(message["channel"]), tuple(message.get("rest") or ())
    notification_id = notification_sk.rsplit("#", 1)[-1]
    claimed = claims.claim_retry(customer_id, notification_id, channel)
    if claimed is None:
        return
    claimed.refresh()
    item = NotificationItem.get(keys.customer_pk(customer_id), notification_sk)
    spec = spec_of(item)
    recipient = load_recipient(customer_id, spec.wechat_template)
    result = _attempt(item, spec, recipient, channel, rest, int(claimed.attempts or 0), in_retry=True)
    if result == "retrying":
        raise RetryLater(f"{channel} not delivered yet")
    if result == "failed" and rest:
        fresh = rules.channels_for(recipient)
        _try_channels(item, spec, recipient, tuple(c for c in rest if c in fresh))


def exhausted(message: dict[str, Any]) -> None:
    """The follow-up queue's hook for ``notification_delivery`` (``FollowUpHooks.exhausted``): the retry queue gave up
    on one channel's retry (its redo kept failing: DynamoDB down or throttled). A message is never an agent's case:

    - the delivery still ``retrying`` (nothing went): ``failed`` (``retries_exhausted``), the mini-program grant
      given back, and the next planned channel tried, as after a failed send;
    - still ``sending`` (the last attempt claimed it, then failed, maybe after the send): ``failed``
      (``outcome_unknown``) and no other channel, since the member may have it already;
    - ``sent`` or ``failed`` (a late retry finished it), or no delivery: nothing.

    Conditioned on the status read, so a duplicate follow-up message changes nothing; raising has the follow-up
    queue deliver it again (its dead letters come back here through the sweeper)."""
    customer_id, notification_sk = str(message["customer_id"]), str(message["notification_sk"])
    channel, rest = str(message["channel"]), tuple(message.get("rest") or ())
    pk = keys.customer_pk(customer_id)
    notification_id = notification_sk.rsplit("#", 1)[-1]
    try:
        delivery = DeliveryItem.get(pk, delivery_sk(notification_id, channel), consistent_read=True)
    except DeliveryItem.DoesNotExist:
        return
    if delivery.status not in ("retrying", "sending"):
        return
    item = NotificationItem.get(pk, notification_sk)
    spec = spec_of(item)
    unsent = delivery.status == "retrying"
    grant = spec.wechat_template if unsent and channel == rules.WECHAT_SUBSCRIBE and delivery.grant_used else None
    try:
        claims.record(pk, notification_sk, channel, "failed", "retries_exhausted" if unsent else "outcome_unknown",
                restore_grant=grant, expected=delivery.status)
    except TxCancelled as exc:
        if "delivery" in exc.failed:
            return  # another run moved it meanwhile: that run goes on
        raise
    metrics.add_metric(name="NotificationRetriesExhausted", unit="Count", value=1)
    logger.warning("notification channel ran out of retries; marked failed",
                   extra={"channel": channel, "notification_id": notification_id, "was": delivery.status})
    if unsent and rest:
        recipient = load_recipient(customer_id, spec.wechat_template)
        fresh = rules.channels_for(recipient)
        _try_channels(item, spec, recipient, tuple(c for c in rest if c in fresh))


class RetryLater(Exception):
    """The channel failed transiently again: the retry queue delivers the message after its backoff."""
