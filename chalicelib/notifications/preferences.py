"""The member's side: notification settings, one-time WeChat subscription grants, reading a notification."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.core import clock, notifications
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx, TxCancelled
from chalicelib.core.errors import AppError
from chalicelib.core.notifications import NotificationItem
from chalicelib.core.results import Result, created
from chalicelib.notifications import rules
from chalicelib.notifications.models import GRANT_PREFIX, STATE_SK, GrantItem, NotifyStateItem, QuietHoursAttribute

CHANNEL_SETTINGS = ("sms", "wechat", "in_app")
MAX_GRANTS_PER_TEMPLATE = 50


def _state(customer_id: str) -> NotifyStateItem | None:
    try:
        return NotifyStateItem.get(keys.customer_pk(customer_id), STATE_SK)
    except NotifyStateItem.DoesNotExist:
        return None


def settings_view(state: NotifyStateItem | None) -> dict[str, Any]:
    chosen = (state.channels or {}) if state is not None else {}
    quiet = state.quiet_hours if state is not None else None
    start, end = rules.DEFAULT_QUIET
    return {
        "channels": {name: chosen.get(name, True) is not False for name in CHANNEL_SETTINGS},
        "quiet_hours": {"start": quiet.start if quiet else start.strftime("%H:%M"),
                        "end": quiet.end if quiet else end.strftime("%H:%M")},
    }


def get_settings(customer_id: str) -> dict[str, Any]:
    return settings_view(_state(customer_id))


def put_settings(customer_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Merge the given channels and quiet hours into ``M#NOTIFY`` (one UpdateItem; the unread counter is kept)."""
    current = settings_view(_state(customer_id))
    channels = {**current["channels"], **{k: v for k, v in (changes.get("channels") or {}).items() if v is not None}}
    actions: list[Action] = [NotifyStateItem.channels.set(channels), NotifyStateItem.updated_at.set(clock.iso())]
    quiet = changes.get("quiet_hours")
    if quiet:
        actions.append(NotifyStateItem.quiet_hours.set(QuietHoursAttribute(start=quiet["start"], end=quiet["end"])))
    item = NotifyStateItem(pk=keys.customer_pk(customer_id), sk=STATE_SK)
    item.update(actions=actions, add_version_condition=False)
    return settings_view(item)


def accept_subscriptions(customer_id: str, accepted: list[str]) -> Result:
    """``wx.requestSubscribeMessage`` said yes to these templates: one grant each (a template twice: two)."""
    counts = Counter(accepted)
    at = clock.iso()
    tx = Tx()
    for template_id, count in sorted(counts.items()):
        grant = GrantItem(pk=keys.customer_pk(customer_id), sk=f"{GRANT_PREFIX}{template_id}")
        actions = [GrantItem.template_id.set(template_id), GrantItem.remaining.add(count),
                   GrantItem.updated_at.set(at)]
        tx.update(f"grant:{template_id}", grant, actions,
                  GrantItem.remaining.does_not_exist() | (GrantItem.remaining <= MAX_GRANTS_PER_TEMPLATE - count))
    try:
        tx.commit()
    except TxCancelled as exc:
        if exc.failed:
            raise AppError("validation_error", details=[{"field": "accepted", "issue": "too many grants held"}]) \
                from None
        raise
    grants = [GrantItem.get(keys.customer_pk(customer_id), f"{GRANT_PREFIX}{t}") for t in sorted(counts)]
    return created({"grants": [{"template_id": g.template_id, "remaining": int(g.remaining or 0)} for g in grants]})


def mark_read(customer_id: str, notification_id: str) -> dict[str, Any]:
    """Read: the flag and -1 on the unread counter in one transaction; a second read changes nothing."""
    item = _find(customer_id, notification_id)
    if not item.read:
        tx = Tx()
        tx.update("notification", NotificationItem(pk=item.pk, sk=item.sk), [NotificationItem.read.set(True)],
                  NotificationItem.read == False)  # noqa: E712 - a DynamoDB condition, not a comparison
        tx.update("counter", NotifyStateItem(pk=item.pk, sk=STATE_SK), [NotifyStateItem.unread.add(-1)])
        try:
            tx.commit()
        except TxCancelled as exc:
            if "notification" not in exc.failed:
                raise
    return {"notification_id": notification_id, "read": True, "unread": unread_count(customer_id)}


def unread_count(customer_id: str) -> int:
    state = _state(customer_id)
    return max(0, int(state.unread or 0)) if state is not None else 0


def _find(customer_id: str, notification_id: str) -> NotificationItem:
    """The member's notification by id: one GetItem on the sort key the id carries (``notifications.key_of``).
    An id of the old shape (its time not in it) falls back to a Query of the ``N#`` prefix filtered on the id; any
    other string, or an id that is not this member's, is ``not_found``."""
    pk = keys.customer_pk(customer_id)
    sk = notifications.key_of(notification_id)
    if sk is not None:
        try:
            return NotificationItem.get(pk, sk)
        except NotificationItem.DoesNotExist:
            raise AppError("not_found") from None
    if not notifications.is_old_id(notification_id):
        raise AppError("not_found")
    for item in NotificationItem.query(pk, NotificationItem.sk.startswith(notifications.NOTIFICATION_PREFIX),
                                       filter_condition=NotificationItem.notification_id == notification_id,
                                       scan_index_forward=False):
        return item
    raise AppError("not_found")


def me_contribution(others: list[dict[str, Any]], _now: Any) -> dict[str, Any]:
    """``Area.member_view``: ``{"unread_notifications": n}`` for ``GET /v1/me``, from the ``M#NOTIFY`` counter that
    the profile's one Query of the member's ``M#`` items already read (no call of its own)."""
    for raw in others:
        if raw.get("sk", {}).get("S") == STATE_SK:
            return {"unread_notifications": max(0, int(raw.get("unread", {}).get("N", "0")))}
    return {"unread_notifications": 0}
