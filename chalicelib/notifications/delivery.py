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
``MAX_ATTEMPTS`` it is ``failed`` and the next channel is tried. A process that dies between the claim and the
record leaves the delivery ``sending``: it is never sent again (at most once per channel, by design).
"""

from __future__ import annotations

import os
from datetime import datetime, time
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI, business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.notice_spec import NoticeSpec
from chalicelib.core.notifications import TEMPLATES, NotificationItem
from chalicelib.core.observability import logger, metrics
from chalicelib.core.retry.outbox import retry_port
from chalicelib.core.retry.transactions import Transaction
from chalicelib.identity.public import PROFILE_SK, CustomerItem
from chalicelib.notifications import channels, rules
from chalicelib.notifications.models import (
    GRANT_PREFIX,
    HOLD_PREFIX,
    MARKETING_PREFIX,
    STATE_SK,
    DeliveryItem,
    GrantItem,
    HoldItem,
    MarketingDayItem,
    NotifyStateItem,
    delivery_sk,
)

RETRY_KIND = "notification_delivery"


def max_attempts() -> int:
    """Attempts per channel (the first and the retries); below the retry queue's receive count, so a delivery
    that keeps failing ends ``failed`` here and never becomes an agent's case."""
    return int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "3"))


def marketing_per_day() -> int:
    return int(os.environ.get("NOTIFY_MARKETING_PER_DAY", "1"))


# --- what the delivery reads ---------------------------------------------------------------------------------------


def spec_of(item: NotificationItem) -> NoticeSpec:
    name = item.template or ""
    if name in TEMPLATES:
        return TEMPLATES[name]
    return NoticeSpec(item.title, item.body, item.title_en or item.title, item.body_en or item.body, kind=item.kind)


def _openid(identities: list[str], provider: str) -> str | None:
    for label in identities:
        parts = label.split("#")
        if len(parts) == 3 and parts[0] == provider:
            return parts[2]
    return None


def _clock_time(value: str | None, default: time) -> time:
    try:
        return time.fromisoformat(value) if value else default
    except ValueError:
        return default


def recipient_keys(customer_id: str, template_id: str) -> list[dict[str, Any]]:
    """The items a recipient is read from: the profile, the settings (``M#NOTIFY``) and the template's grants."""
    pk = keys.customer_pk(customer_id)
    return [{"pk": {"S": pk}, "sk": {"S": sk}} for sk in (PROFILE_SK, STATE_SK, f"{GRANT_PREFIX}{template_id}")]


def load_recipient(customer_id: str, template_id: str) -> rules.Recipient:
    """One BatchGetItem of ``recipient_keys``."""
    wanted = recipient_keys(customer_id, template_id)
    table = settings().table_name
    response = shared_connection().client.batch_get_item(RequestItems={table: {"Keys": wanted}})
    if response.get("UnprocessedKeys"):
        raise RuntimeError("batch read throttled; the record is retried")
    return recipient_of(response.get("Responses", {}).get(table, []), template_id)


def recipient_of(found_raw: list[dict[str, Any]], template_id: str) -> rules.Recipient:
    """The recipient from the raw items of ``recipient_keys`` that exist (the campaigns read them with their own)."""
    found = {raw["sk"]["S"]: raw for raw in found_raw}
    grant_sk = f"{GRANT_PREFIX}{template_id}"
    profile = CustomerItem.from_raw_data(found[PROFILE_SK]) if PROFILE_SK in found else None
    state = NotifyStateItem.from_raw_data(found[STATE_SK]) if STATE_SK in found else None
    grant = GrantItem.from_raw_data(found[grant_sk]) if grant_sk in found else None
    if profile is None:
        return rules.Recipient()
    identities = list(profile.identities or [])
    quiet = state.quiet_hours if state is not None else None
    return rules.Recipient(
        mp_openid=_openid(identities, "wechat_mp"), oa_openid=_openid(identities, "wechat_oa"), phone=profile.phone,
        marketing_consent=bool(profile.consents.marketing) if profile.consents else False,
        grants=int(grant.remaining or 0) if grant is not None else 0,
        channels=dict((state.channels or {}) if state is not None else {}),
        quiet=(_clock_time(quiet.start if quiet else None, rules.DEFAULT_QUIET[0]),
               _clock_time(quiet.end if quiet else None, rules.DEFAULT_QUIET[1])),
    )


def render(item: NotificationItem, spec: NoticeSpec) -> channels.Message:
    created = datetime.fromisoformat(item.created_at).astimezone(SHANGHAI)
    values = {**(item.data or {}), "title": item.title, "body": item.body,
              "created_at_local": created.replace(tzinfo=None).isoformat(timespec="minutes")}
    return channels.Message(
        ref=item.notification_id, template_id=spec.wechat_template, oa_template_id=spec.oa_template_id,
        wechat_data=rules.wechat_data(spec.wechat_fields, values), oa_data=rules.wechat_data(spec.oa_field_map, values),
        sms_text=rules.sms_text(spec.sms, values), page=f"{spec.page}?id={item.notification_id}",
    )


# --- recording -----------------------------------------------------------------------------------------------------


def _entry(channel: str, status: str, at: str, error: str | None = None) -> dict[str, Any]:
    return {"channel": channel, "status": status, "at": at, "error": error}


def _append(entries: list[dict[str, Any]]) -> Any:
    """``deliveries = list_append(if_not_exists(deliveries, []), entries)``: attempts are only ever added."""
    return NotificationItem.deliveries.set((NotificationItem.deliveries | []).append(entries))


def _notification_ref(customer_id: str, sk: str) -> NotificationItem:
    return NotificationItem(pk=keys.customer_pk(customer_id), sk=sk)


def _dispatch_in(tx: Tx, item: NotificationItem, recipient: rules.Recipient) -> None:
    """The first time only (labels ``notification``, ``counter``): the in-app entry on the notification and +1 on
    the unread counter; the notification's condition fails on a replayed stream record."""
    at = clock.iso()
    in_app = "delivered" if rules.enabled(recipient, rules.IN_APP) else "skipped"
    tx.update("notification", _notification_ref(item.customer_id, item.sk),
              [NotificationItem.dispatched_at.set(at), _append([_entry(rules.IN_APP, in_app, at)])],
              NotificationItem.pk.exists() & NotificationItem.dispatched_at.does_not_exist())
    tx.update("counter", NotifyStateItem(pk=item.pk, sk=STATE_SK), [NotifyStateItem.unread.add(1)])


def mark_dispatched(item: NotificationItem, recipient: rules.Recipient) -> bool:
    """The first time only: the in-app entry and the unread counter (one transaction). False when a previous run
    did it (a replayed stream record)."""
    tx = Tx()
    _dispatch_in(tx, item, recipient)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "notification" in exc.failed:
            return False
        raise
    return True


def _dispatch_and_claim(item: NotificationItem, recipient: rules.Recipient, channel: str,
                        template_id: str) -> tuple[bool, bool]:
    """``mark_dispatched`` and the first channel's claim (its grant too) in one transaction: one call less per
    delivered notification. ``(first, claimed)``; when only the claim's part fails (no grant left) the dispatch
    commits alone and the channels are tried the usual way (``claimed`` False)."""
    tx = Tx()
    _dispatch_in(tx, item, recipient)
    _claim_in(tx, _claim_item(item, channel, recipient, template_id), template_id)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "notification" in exc.failed:
            return False, False
        if not exc.failed & {"delivery", "grant"}:
            raise
        return mark_dispatched(item, recipient), False
    return True, True


def _record(item_pk: str, notification_sk: str, channel: str, status: str, error: str | None,
            content: Any = None, restore_grant: str | None = None, expected: str | None = None) -> None:
    """The delivery's new status and the notification's entry in one transaction (``expected``: only from that
    status, else ``TxCancelled``)."""
    at = clock.iso()
    customer_pk = item_pk
    notification_id = notification_sk.rsplit("#", 1)[-1]
    tx = Tx()
    actions = [DeliveryItem.status.set(status), DeliveryItem.updated_at.set(at)]
    actions.append(DeliveryItem.error.set(error) if error else DeliveryItem.error.remove())
    if content is not None:
        actions.append(DeliveryItem.content.set(content))
    tx.update("delivery", DeliveryItem(pk=customer_pk, sk=delivery_sk(notification_id, channel)), actions,
              DeliveryItem.status == expected if expected else None)
    tx.update("notification", NotificationItem(pk=customer_pk, sk=notification_sk),
              [_append([_entry(channel, status, at, error)])])
    if restore_grant:
        tx.update("grant", GrantItem(pk=customer_pk, sk=f"{GRANT_PREFIX}{restore_grant}"),
                  [GrantItem.remaining.add(1)])
    tx.commit()


def _mask(channel: str, recipient: rules.Recipient) -> str | None:
    if channel == rules.SMS and recipient.phone:
        return recipient.phone[:3] + "****" + recipient.phone[-4:]
    openid = recipient.mp_openid if channel == rules.WECHAT_SUBSCRIBE else recipient.oa_openid
    return f"…{openid[-6:]}" if openid else None


def _claim_item(item: NotificationItem, channel: str, recipient: rules.Recipient,
                template_id: str) -> DeliveryItem:
    at = clock.iso()
    return DeliveryItem(
        pk=item.pk, sk=delivery_sk(item.notification_id, channel), customer_id=item.customer_id,
        notification_id=item.notification_id, notification_sk=item.sk, channel=channel, status="sending",
        attempts=1, to=_mask(channel, recipient), template_id=template_id if channel != rules.SMS else None,
        grant_used=channel == rules.WECHAT_SUBSCRIBE, created_at=at, updated_at=at,
    )


def _claim_in(tx: Tx, delivery: DeliveryItem, template_id: str) -> None:
    """The claim's writes (labels ``delivery`` and, for the mini-program channel, ``grant``)."""
    tx.put("delivery", delivery, DeliveryItem.pk.does_not_exist())
    if delivery.channel == rules.WECHAT_SUBSCRIBE:
        tx.update("grant", GrantItem(pk=delivery.pk, sk=f"{GRANT_PREFIX}{template_id}"),
                  [GrantItem.remaining.add(-1)], GrantItem.remaining > 0)


def _claim_new(item: NotificationItem, channel: str, recipient: rules.Recipient, template_id: str) -> str:
    """Put the delivery (it must not exist); the mini-program channel spends a grant in the same transaction.

    ``claimed``; ``failed`` (no grant left, recorded; or a previous run's delivery that failed: the next channel
    may go); ``taken`` (a previous run's delivery is sent, sending or retrying: nothing more goes)."""
    delivery = _claim_item(item, channel, recipient, template_id)
    if channel != rules.WECHAT_SUBSCRIBE:  # one conditioned PutItem (half a one-item transaction's price)
        try:
            delivery.save(DeliveryItem.pk.does_not_exist(), add_version_condition=False)
        except PutError as put_error:
            if not _condition_failed(put_error):
                raise
            return _existing(item, delivery.sk)
        return "claimed"
    tx = Tx()
    _claim_in(tx, delivery, template_id)
    try:
        tx.commit()
    except TxCancelled as exc:
        if "delivery" in exc.failed:
            return _existing(item, delivery.sk)
        if "grant" not in exc.failed:
            raise
        delivery.status, delivery.error = "failed", "no_subscription"
        try:
            delivery.save(DeliveryItem.pk.does_not_exist(), add_version_condition=False)
        except PutError as put_error:  # another run claimed it meanwhile: that run goes on
            if _condition_failed(put_error):
                return "taken"
            raise
        _record(item.pk, item.sk, channel, "failed", "no_subscription")
        return "failed"
    return "claimed"


def _existing(item: NotificationItem, sk: str) -> str:
    existing = DeliveryItem.get(item.pk, sk, consistent_read=True)
    return "failed" if existing.status == "failed" else "taken"


def _claim_retry(customer_id: str, notification_id: str, channel: str) -> DeliveryItem | None:
    delivery = DeliveryItem(pk=keys.customer_pk(customer_id), sk=delivery_sk(notification_id, channel))
    condition: Condition = DeliveryItem.status == "retrying"
    try:
        delivery.update(actions=[DeliveryItem.status.set("sending"), DeliveryItem.attempts.add(1),
                                 DeliveryItem.updated_at.set(clock.iso())],
                        condition=condition, add_version_condition=False)
    except UpdateError as exc:
        if _condition_failed(exc):
            return None
        raise
    return delivery


# --- sending -------------------------------------------------------------------------------------------------------


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
        _record(item.pk, item.sk, channel, "sent", None, outcome.content)
        return "sent"
    if outcome.status == "retry" and attempts < max_attempts():
        _record(item.pk, item.sk, channel, "retrying", outcome.error, outcome.content)
        if in_retry or _enqueue_retry(item, channel, rest):
            return "retrying"
        logger.warning("notification retry not enqueued; failing over", extra={"channel": channel})
    _record(item.pk, item.sk, channel, "failed", outcome.error, outcome.content, restore_grant=grant)
    return "failed"


def _try_channels(item: NotificationItem, spec: NoticeSpec, recipient: rules.Recipient,
                  planned: tuple[str, ...], first_claimed: bool = False) -> str | None:
    """The first channel that is sent or retrying ends it; a failed one hands over to the next.
    ``first_claimed``: the first channel's claim is already committed (``_dispatch_and_claim``)."""
    for index, channel in enumerate(planned):
        claim = "claimed" if first_claimed and index == 0 else _claim_new(item, channel, recipient,
                                                                          spec.wechat_template)
        if claim == "taken":
            return "taken"  # a previous run (a replayed record, or the retry pipeline) has this notification
        if claim == "failed":
            continue  # no grant left, or failed for good before: the next channel
        result = _attempt(item, spec, recipient, channel, planned[index + 1:], 1, in_retry=False)
        if result != "failed":
            return result
    return None


def _spend_marketing_day(customer_pk: str, local_now: datetime) -> bool:
    day = business_day(local_now).isoformat()
    try:
        MarketingDayItem(pk=customer_pk, sk=f"{MARKETING_PREFIX}{day}").update(
            actions=[MarketingDayItem.sent.add(1), MarketingDayItem.ttl.set(clock.epoch() + 3 * 86400)],
            condition=MarketingDayItem.sent.does_not_exist() | (MarketingDayItem.sent < marketing_per_day()),
            add_version_condition=False)
    except UpdateError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _hold(item: NotificationItem, planned: tuple[str, ...], until: datetime) -> None:
    release_at = clock.iso(until)
    at = clock.iso()
    tx = Tx()
    tx.put("hold", HoldItem(pk=item.pk, sk=f"{HOLD_PREFIX}{item.notification_id}", customer_id=item.customer_id,
                            notification_id=item.notification_id, notification_sk=item.sk, release_at=release_at,
                            gsi1pk=hold_partition(business_day(until)), gsi1sk=f"{release_at}#{item.customer_id}"
                            f"#{item.notification_id}"),
           HoldItem.pk.does_not_exist())
    tx.update("notification", _notification_ref(item.customer_id, item.sk),
              [_append([_entry(channel, "held", at, None) for channel in planned])])
    try:
        tx.commit()
    except TxCancelled as exc:
        if "hold" not in exc.failed:
            raise


def hold_partition(day: Any) -> str:
    return f"{HOLD_PREFIX}{day.isoformat()}"


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
        first, claimed = _dispatch_and_claim(item, recipient, decided.channels[0], spec.wechat_template)
    else:
        first = mark_dispatched(item, recipient)
    if not first and _in_hand(item):
        return "taken"  # a replayed record: a channel already has it (the plan may differ now: a grant was spent)
    if decided.skipped:
        return f"skipped:{decided.skipped}"
    if decided.hold_until is not None:
        _hold(item, decided.channels, decided.hold_until)  # conditioned: a replay holds nothing twice
        return "held"
    if spec.category == "marketing" and (first or released) and not _spend_marketing_day(item.pk, local_now):
        at = clock.iso()
        NotificationItem(pk=item.pk, sk=item.sk).update(
            actions=[_append([_entry(c, "skipped", at, "marketing_daily_limit") for c in decided.channels])],
            add_version_condition=False)
        return "skipped:marketing_daily_limit"
    return _try_channels(item, spec, recipient, decided.channels, first_claimed=claimed) or "failed"


def _in_hand(item: NotificationItem) -> bool:
    """Has a channel sent, or is one still sending or retrying, this notification? (One Query, on replays only.)"""
    prefix = delivery_sk(item.notification_id, "")
    return any(d.status != "failed" for d in DeliveryItem.query(item.pk, DeliveryItem.sk.startswith(prefix),
                                                                consistent_read=True))


def redo(message: dict[str, Any]) -> None:
    """The retry pipeline's handler: the next attempt on one channel; raising hands the message back to SQS
    (with backoff); a delivery that is no longer ``retrying`` (done, or claimed by a duplicate message) is left."""
    customer_id, notification_sk = str(message["customer_id"]), str(message["notification_sk"])
    channel, rest = str(message["channel"]), tuple(message.get("rest") or ())
    notification_id = notification_sk.rsplit("#", 1)[-1]
    claimed = _claim_retry(customer_id, notification_id, channel)
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
        _record(pk, notification_sk, channel, "failed", "retries_exhausted" if unsent else "outcome_unknown",
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
