"""A channel's delivery item and the notification's record of attempts: claimed before a send (at most once per
channel), recorded after it; the first run's in-app entry and unread count; quiet-hours holds; the marketing day.

Every write is conditioned, so a replayed stream record or a duplicate retry message changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.core.config import settings
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.notifications import NotificationItem
from chalicelib.notifications import rules
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


def dispatch_and_claim(item: NotificationItem, recipient: rules.Recipient, channel: str,
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


def record(item_pk: str, notification_sk: str, channel: str, status: str, error: str | None,
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


def claim_new(item: NotificationItem, channel: str, recipient: rules.Recipient, template_id: str) -> str:
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
        record(item.pk, item.sk, channel, "failed", "no_subscription")
        return "failed"
    return "claimed"


def _existing(item: NotificationItem, sk: str) -> str:
    existing = DeliveryItem.get(item.pk, sk, consistent_read=True)
    return "failed" if existing.status == "failed" else "taken"


def claim_retry(customer_id: str, notification_id: str, channel: str) -> DeliveryItem | None:
    """A ``retrying`` delivery back to ``sending`` for its next attempt; ``None`` when it is no longer retrying."""
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


def spend_marketing_day(customer_pk: str, local_now: datetime) -> bool:
    """One of the member's marketing messages of the Shanghai day; False when the day's are spent."""
    day = business_day(local_now).isoformat()
    per_day = settings().notify_marketing_per_day
    try:
        MarketingDayItem(pk=customer_pk, sk=f"{MARKETING_PREFIX}{day}").update(
            actions=[MarketingDayItem.sent.add(1), MarketingDayItem.ttl.set(clock.epoch() + 3 * 86400)],
            condition=MarketingDayItem.sent.does_not_exist() | (MarketingDayItem.sent < per_day),
            add_version_condition=False)
    except UpdateError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def hold(item: NotificationItem, planned: tuple[str, ...], until: datetime) -> None:
    """Hold the notification until quiet hours end (``jobs.py`` releases it); its channels ``held``."""
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


def in_hand(item: NotificationItem) -> bool:
    """Has a channel sent, or is one still sending or retrying, this notification? (One Query, on replays only.)"""
    prefix = delivery_sk(item.notification_id, "")
    return any(d.status != "failed" for d in DeliveryItem.query(item.pk, DeliveryItem.sk.startswith(prefix),
                                                                consistent_read=True))


def skip(item: NotificationItem, planned: tuple[str, ...], error: str) -> None:
    """Each planned channel ``skipped`` (with why) in the notification's attempts."""
    at = clock.iso()
    NotificationItem(pk=item.pk, sk=item.sk).update(
        actions=[_append([_entry(c, "skipped", at, error) for c in planned])], add_version_condition=False)
