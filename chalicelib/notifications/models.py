"""The delivery's items, all in the member's partition (``CUST#<id>``) except the simulated SMS messages.

- ``ND#<notification_id>#<channel>``: one per notification and channel, put (conditioned) before the send, so nothing
  goes twice on one channel; its ``status`` after (``sending`` -> ``sent`` | ``retrying`` | ``failed``).
- ``M#NOTIFY``: the member's settings (channels, quiet hours) and the unread counter. Under ``M#`` so ``GET /v1/me``'s
  one Query reads the counter for free.
- ``WXSUB#<template_id>``: the one-time subscription grants the member accepted for a mini-program template.
- ``NHOLD#<notification_id>``: a message quiet hours hold, on ``gsi1`` as ``NHOLD#<release day>`` /
  ``<release at>#<customer_id>#<notification_id>`` so the release job reads one day's partition (no Scan).
- ``NMKT#<day>``: how many marketing messages went that Shanghai day.

The simulated SMS gateway's messages are ``core.sms.SmsMessageItem``.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
)

from chalicelib.core.dynamo.items import Item

DELIVERY_PREFIX = "ND#"
STATE_SK = "M#NOTIFY"
GRANT_PREFIX = "WXSUB#"
HOLD_PREFIX = "NHOLD#"
MARKETING_PREFIX = "NMKT#"


def delivery_sk(notification_id: str, channel: str) -> str:
    return f"{DELIVERY_PREFIX}{notification_id}#{channel}"


class DeliveryItem(Item):
    """One notification on one channel: claimed before the send, its outcome after."""

    customer_id = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    notification_sk = UnicodeAttribute()
    channel = UnicodeAttribute()
    status = UnicodeAttribute()  # sending | sent | retrying | failed
    attempts = NumberAttribute(default=0)
    error = UnicodeAttribute(null=True)
    to = UnicodeAttribute(null=True)  # masked: the openid's tail or the phone's
    template_id = UnicodeAttribute(null=True)
    content = JSONAttribute(null=True)  # what was sent (the WeChat data or the SMS text)
    grant_used = BooleanAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class QuietHoursAttribute(MapAttribute[str, Any]):
    start = UnicodeAttribute()
    end = UnicodeAttribute()


class NotifyStateItem(Item):
    """``CUST#<id>`` / ``M#NOTIFY``: the member's notification settings and unread count."""

    unread = NumberAttribute(null=True)
    channels = JSONAttribute(null=True)  # {"sms": bool, "wechat": bool, "in_app": bool}
    quiet_hours = QuietHoursAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


class GrantItem(Item):
    """``CUST#<id>`` / ``WXSUB#<template_id>``: subscription grants left (each send spends one)."""

    template_id = UnicodeAttribute()
    remaining = NumberAttribute(default=0)
    updated_at = UnicodeAttribute(null=True)


class HoldItem(Item):
    """``CUST#<id>`` / ``NHOLD#<notification_id>``: held by quiet hours until ``release_at``."""

    customer_id = UnicodeAttribute()
    notification_id = UnicodeAttribute()
    notification_sk = UnicodeAttribute()
    release_at = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


class MarketingDayItem(Item):
    """``CUST#<id>`` / ``NMKT#<day>``: marketing messages sent that day (the daily cap)."""

    sent = NumberAttribute(default=0)
