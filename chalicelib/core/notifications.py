"""Notifications to members: a record in the member's partition, written in the transaction that caused it.

``put_in(tx, ...)`` adds the notification to the caller's DynamoDB transaction, so the member hears about a change
exactly when (and only if) it happened. Delivery beyond the record (WeChat template messages, app push, SMS) reads
these records (``chalicelib/notifications``: a DynamoDB Streams consumer of the new ``N#`` items) and appends each
attempt to ``deliveries``; ``GET /v1/me/notifications`` lists them, newest first.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.dynamo import keys, paging
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.notice_spec import NoticeSpec

NOTIFICATION_PREFIX = "N#"


class NotificationItem(Item):
    """``CUST#<id>`` / ``N#<at>#<notification_id>``: a message to the member (newest first on a reversed Query)."""

    notification_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    title_en = UnicodeAttribute(null=True)
    body_en = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)  # e.g. {"transaction_id", "status", "case_id"}
    read = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    template = UnicodeAttribute(null=True)  # the catalogue's name (the delivery renders it per channel)
    deliveries = ListAttribute[Any](null=True)  # [{"channel", "status", "at", "error"}], appended by the delivery
    dispatched_at = UnicodeAttribute(null=True)  # set once by the delivery (the unread counter counted it)


# What a member reads about a transaction the back office follows up (the kinds members already read).
CORE_NOTICES: dict[str, NoticeSpec] = {
    "needs_follow_up": NoticeSpec(
        "您的请求正在人工处理", "您的请求暂未完成，客服将在 15 分钟内跟进，积分不会重复扣除。",
        "We are on it", "Your request has not completed yet; an agent will follow up within 15 minutes. "
        "You will not be charged twice.",
        kind="transaction_needs_follow_up",
    ),
    "completed": NoticeSpec(
        "您的请求已完成", "您的请求已处理完成，感谢您的耐心等待。",
        "Done", "Your request has been completed. Thank you for waiting.",
        kind="transaction_completed", urgent=True,
    ),
    "refunded": NoticeSpec(
        "积分已退回", "您的请求未能完成，所扣积分已全部退回您的账户。",
        "Points returned", "Your request could not be completed; the points it took are back in your account.",
        kind="transaction_refunded", urgent=True,
    ),
    "failed": NoticeSpec(
        "您的请求已取消", "您的请求已由客服取消，如有疑问请联系客服。",
        "Request cancelled", "Your request was cancelled by our service team; contact us with any question.",
        kind="transaction_failed", urgent=True,
    ),
}


class _Catalogue(Mapping[str, NoticeSpec]):
    """The core's templates and every installed area's (``Area.notices``), assembled on first use."""

    def __init__(self) -> None:
        self._specs: dict[str, NoticeSpec] | None = None

    def _all(self) -> dict[str, NoticeSpec]:
        if self._specs is None:
            from chalicelib.core.area import installed

            specs = dict(CORE_NOTICES)
            for area in installed():
                for name, spec in area.notices.items():
                    if name in specs:
                        raise ValueError(f"notice template {name!r} is declared twice (again by {area.name})")
                    specs[name] = spec
            self._specs = specs
        return self._specs

    def __getitem__(self, name: str) -> NoticeSpec:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


TEMPLATES: Mapping[str, NoticeSpec] = _Catalogue()


_OLD_ID = re.compile(r"ntf_[0-9a-f]{16}")
_KEYED_ID = re.compile(r"ntf_([0-9a-z]{1,10})_[0-9a-f]{16}(?:_([pm])([0-9]{1,4}))?")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(value: int) -> str:
    out = ""
    while True:
        value, digit = divmod(value, 36)
        out = _DIGITS[digit] + out
        if not value:
            return out


def _created_at_of(millis: int, offset_minutes: int = 0) -> str:
    zone = timezone(timedelta(minutes=offset_minutes))
    return datetime.fromtimestamp(millis / 1000, zone).isoformat(timespec="milliseconds")


def new_notification_id(at: str | None = None) -> str:
    """``ntf_<created_at: epoch ms in base 36>_<random>[_p|m<UTC offset minutes>]``: the id carries its sort key
    (``key_of``), so reading one notification is a GetItem. A time the id cannot carry exactly (not ``clock.iso``'s
    shape) gets the old shape ``ntf_<random>``, which only a Query finds."""
    random_part = secrets.token_hex(8)
    try:
        when = datetime.fromisoformat(at) if at is not None else None
    except ValueError:
        when = None
    offset = when.utcoffset() if when is not None else None
    if when is not None and offset is not None and when.timestamp() >= 0:
        millis, minutes = round(when.timestamp() * 1000), int(offset.total_seconds()) // 60
        if _created_at_of(millis, minutes) == at:
            zone = "" if not minutes else f"_{'p' if minutes > 0 else 'm'}{abs(minutes)}"
            return f"ntf_{_base36(millis)}_{random_part}{zone}"
    return f"ntf_{random_part}"


def is_old_id(notification_id: str) -> bool:
    """An id of the first shape (``ntf_<16 hex>``): its time is not in it; only a Query of the member's ``N#``
    items finds it."""
    return _OLD_ID.fullmatch(notification_id) is not None


def key_of(notification_id: str) -> str | None:
    """The sort key (``N#<created_at>#<id>``) an id of the keyed shape names; None for any other string."""
    match = _KEYED_ID.fullmatch(notification_id)
    if match is None:
        return None
    millis = int(match.group(1), 36)
    minutes = int(match.group(3) or 0) * (-1 if match.group(2) == "m" else 1)
    try:
        created_at = _created_at_of(millis, minutes)
    except (OverflowError, OSError, ValueError):
        return None
    return f"{NOTIFICATION_PREFIX}{created_at}#{notification_id}"


class _Fields(dict[str, Any]):
    """The data a template names; a field the data lacks stays as written rather than failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _filled(text: str, data: dict[str, Any]) -> str:
    return text.format_map(_Fields(data)) if "{" in text else text


def notification_item(customer_id: str, template: str, data: dict[str, Any], at: str | None = None) -> NotificationItem:
    spec = TEMPLATES[template]
    texts = (spec.title, spec.body, spec.title_en, spec.body_en)
    title, body, title_en, body_en = (_filled(text, data) for text in texts)
    at = at or clock.iso()
    notification_id = new_notification_id(at)
    return NotificationItem(
        pk=keys.customer_pk(customer_id), sk=f"{NOTIFICATION_PREFIX}{at}#{notification_id}",
        notification_id=notification_id,
        customer_id=customer_id, kind=spec.kind or template, title=title, body=body, title_en=title_en,
        body_en=body_en, data=data, read=False, created_at=at, template=template,
    )


def put_in(tx: Tx, customer_id: str, template: str, data: dict[str, Any], label: str = "notification") -> None:
    """Add a notification about ``data`` (``transaction_id``, ``status``...) to ``tx``."""
    tx.put(label, notification_item(customer_id, template, data), NotificationItem.pk.does_not_exist())


def view(item: NotificationItem, english: bool = False) -> dict[str, Any]:
    return {
        "notification_id": item.notification_id,
        "kind": item.kind,
        "title": (item.title_en if english and item.title_en else item.title),
        "body": (item.body_en if english and item.body_en else item.body),
        "data": item.data or {},
        "read": bool(item.read),
        "created_at": item.created_at,
        "deliveries": [{k: d.get(k) for k in ("channel", "status", "at", "error")} for d in (item.deliveries or [])],
    }


def page(customer_id: str, limit: int, cursor: str | None, english: bool = False) -> dict[str, Any]:
    """``GET /v1/me/notifications``: one Query on the ``N#`` prefix, newest first."""
    raw, next_cursor = paging.newest_page(customer_id, NOTIFICATION_PREFIX, limit, cursor)
    return {"items": [view(NotificationItem.from_raw_data(r), english) for r in raw], "next_cursor": next_cursor}
