"""Request and response models of the notifications area's routes (imported on first use)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from chalicelib.core.http.models import Body, Out, PageQuery

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"
TEMPLATE_ID = r"^[A-Za-z0-9_-]{1,64}$"


class ChannelsIn(Body):
    sms: bool | None = None
    wechat: bool | None = None
    in_app: bool | None = None


class QuietHoursIn(Body):
    start: str = Field(pattern=HHMM)
    end: str = Field(pattern=HHMM)


class SettingsIn(Body):
    channels: ChannelsIn | None = None
    quiet_hours: QuietHoursIn | None = None


class ChannelsOut(Out):
    sms: bool
    wechat: bool
    in_app: bool


class QuietHoursOut(Out):
    start: str
    end: str


class SettingsOut(Out):
    channels: ChannelsOut
    quiet_hours: QuietHoursOut


class SubscriptionsIn(Body):
    accepted: list[Annotated[str, StringConstraints(pattern=TEMPLATE_ID)]] = Field(min_length=1, max_length=20)


class GrantOut(Out):
    template_id: str
    remaining: int


class SubscriptionsOut(Out):
    grants: list[GrantOut]


class ReadOut(Out):
    notification_id: str
    read: bool
    unread: int


class DeliveryEntryOut(Out):
    channel: str
    status: str
    at: str
    error: str | None = None


class NotificationOut(Out):
    notification_id: str
    kind: str
    title: str
    body: str
    data: dict[str, Any]  # the template's fields (by kind): what the title and body were filled from
    read: bool
    created_at: str
    deliveries: list[DeliveryEntryOut]


class NotificationPage(Out):
    items: list[NotificationOut]
    next_cursor: str | None


class NotificationQuery(PageQuery):
    """A page of ``GET /v1/me/notifications``."""
