"""The delivery's pure rules: which channels a message takes, quiet hours, urgency, and WeChat's field formats.

No AWS SDK and no clock here: every function takes what it decides on.

Channels, in the order they are tried (the first that applies is used; the next ones are the fall-backs when it
fails for good): the mini-program subscription message (needs a one-time grant of the template), the official
account's template message (needs an official-account identity), SMS (needs a verified phone). The in-app record is
always there (it is the notification itself). The member's settings switch ``wechat`` (both WeChat channels) and
``sms`` off.

WeChat's subscription-message data rules (``subscribeMessage.send``; a value out of its rule is errcode 47003):
``thing`` 20 characters of any kind, ``number`` 32 digits (a decimal point allowed), ``letter`` 32 letters,
``symbol`` 5 symbols, ``character_string`` 32 digits/letters/symbols, ``phrase`` 5 Chinese characters only,
``name`` 10 Chinese characters (or 20 letters), ``amount`` a currency sign and up to 10 digits, ``phone_number`` 17
digits/symbols, ``car_number`` 8, ``time``/``date`` WeChat's formats (``2019年10月1日 15:01``). ``wechat_value``
shapes a value to its type; what cannot be shaped (no digit for a ``number``) is left for WeChat to refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

WECHAT_SUBSCRIBE = "wechat_subscribe"
WECHAT_TEMPLATE = "wechat_template"
SMS = "sms"
IN_APP = "in_app"
PUSH_CHANNELS = (WECHAT_SUBSCRIBE, WECHAT_TEMPLATE, SMS)
SETTING_OF = {WECHAT_SUBSCRIBE: "wechat", WECHAT_TEMPLATE: "wechat", SMS: "sms", IN_APP: "in_app"}

DEFAULT_QUIET = (time(22, 0), time(8, 0))
URGENT_HORIZON = timedelta(hours=48)


# --- WeChat field formats -------------------------------------------------------------------------------------------

#: type -> max length (characters), for the types that are only a length.
LENGTHS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "phone_number": 17,
           "car_number": 8, "name": 10, "phrase": 5, "amount": 11}
_NOT_HAN = re.compile(r"[^\u4e00-\u9fff]")
_NOT_NUMBER = re.compile(r"[^0-9.]")
_NOT_STRING = re.compile(r"[^0-9A-Za-z!-/:-@\[-`{-~]")


def field_type(key: str) -> str:
    """``thing12`` -> ``thing``; ``character_string3`` -> ``character_string``."""
    return key.rstrip("0123456789")


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters; a cut value ends with an ellipsis (WeChat counts it as one character)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def wechat_time(moment: datetime, with_time: bool = True) -> str:
    """WeChat's ``time``/``date`` format: ``2026年12月1日 15:01`` (the moment as given, already local)."""
    day = f"{moment.year}年{moment.month}月{moment.day}日"
    return f"{day} {moment:%H:%M}" if with_time else day


def wechat_value(key: str, value: str) -> str:
    """``value`` shaped to the WeChat type of ``key`` (see the module docstring)."""
    kind = field_type(key)
    value = " ".join(str(value).split())
    if kind in ("time", "date"):
        parsed = _parse_moment(value)
        return wechat_time(parsed, with_time=kind == "time" or len(value) > 10) if parsed else value
    if kind == "phrase":
        return _NOT_HAN.sub("", value)[: LENGTHS["phrase"]]
    if kind == "number":
        return _NOT_NUMBER.sub("", value)[: LENGTHS["number"]]
    if kind == "character_string":
        return _NOT_STRING.sub("", value)[: LENGTHS["character_string"]]
    if kind == "name":
        return truncate(value, LENGTHS["name"])
    if kind in LENGTHS:
        return truncate(value, LENGTHS[kind])
    return truncate(value, 20)


def _parse_moment(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.combine(date.fromisoformat(value), time(0))
    except ValueError:
        return None


def valid_wechat_value(key: str, value: str) -> bool:
    """WeChat's own check (the simulator's): is ``value`` acceptable for the type of ``key``?"""
    kind = field_type(key)
    if not value:
        return False
    if kind == "phrase":
        return len(value) <= 5 and not _NOT_HAN.search(value)
    if kind == "number":
        return len(value) <= 32 and not _NOT_NUMBER.search(value)
    if kind == "character_string":
        return len(value) <= 32 and not _NOT_STRING.search(value)
    if kind in ("time", "date"):
        return bool(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?(~.*)?|\d{2}:\d{2}(~\d{2}:\d{2})?", value))
    return len(value) <= LENGTHS.get(kind, 20)


# --- quiet hours and urgency ---------------------------------------------------------------------------------------


def in_quiet_hours(local: datetime, start: time, end: time) -> bool:
    """Is the local wall-clock time inside ``[start, end)``? (A window may wrap past midnight: 22:00-08:00.)"""
    now = local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end


def quiet_ends(local: datetime, end: time) -> datetime:
    """The first ``end`` wall-clock time after ``local`` (when a held message goes)."""
    candidate = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def is_urgent(urgent: bool, within_hours: int, starts_at: str | None, now: datetime) -> bool:
    """Urgent by its template, or because what it is about (``starts_at``) begins within ``within_hours``."""
    if urgent:
        return True
    if not within_hours or not starts_at:
        return False
    try:
        starts = datetime.fromisoformat(starts_at)
    except (TypeError, ValueError):
        return False
    if starts.tzinfo is None:
        return False
    return starts - now <= timedelta(hours=within_hours)


# --- the channel plan ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """What the delivery knows of the member (read once per notification)."""

    mp_openid: str | None = None
    oa_openid: str | None = None
    phone: str | None = None
    marketing_consent: bool = False
    grants: int = 0  # one-time subscription grants left for the message's mini-program template
    channels: dict[str, bool] = field(default_factory=dict)  # the member's settings (missing: on)
    quiet: tuple[time, time] = DEFAULT_QUIET


@dataclass(frozen=True)
class DeliveryPlan:
    """``channels`` in the order to try; ``hold_until`` when quiet hours hold it; ``skipped`` why nothing goes."""

    channels: tuple[str, ...] = ()
    hold_until: datetime | None = None
    skipped: str | None = None


def enabled(recipient: Recipient, channel: str) -> bool:
    return recipient.channels.get(SETTING_OF[channel], True) is not False


def channels_for(recipient: Recipient) -> tuple[str, ...]:
    """The push channels this member can be reached on, in the order they are tried."""
    out = []
    if recipient.mp_openid and recipient.grants > 0 and enabled(recipient, WECHAT_SUBSCRIBE):
        out.append(WECHAT_SUBSCRIBE)
    if recipient.oa_openid and enabled(recipient, WECHAT_TEMPLATE):
        out.append(WECHAT_TEMPLATE)
    if recipient.phone and enabled(recipient, SMS):
        out.append(SMS)
    return tuple(out)


def plan(recipient: Recipient, *, category: str, urgent: bool, local_now: datetime,
         released: bool = False) -> DeliveryPlan:
    """Where and when one notification goes (``released``: quiet hours already held it once)."""
    if category == "marketing" and not recipient.marketing_consent:
        return DeliveryPlan(skipped="no_marketing_consent")
    channels = channels_for(recipient)
    if not channels:
        return DeliveryPlan(skipped="no_channel")
    if not released and not urgent and in_quiet_hours(local_now, *recipient.quiet):
        return DeliveryPlan(channels, hold_until=quiet_ends(local_now, recipient.quiet[1]))
    return DeliveryPlan(channels)


def fill(text: str, data: dict[str, Any]) -> str:
    """``{field}`` from ``data``; a field the data lacks stays as written."""

    class _Fields(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    return text.format_map(_Fields(data)) if "{" in text else text


def wechat_data(fields: tuple[tuple[str, str], ...], values: dict[str, Any]) -> dict[str, dict[str, str]]:
    """WeChat's ``data`` object: each key's text filled from ``values`` and shaped to its type."""
    return {key: {"value": wechat_value(key, fill(text, values))} for key, text in fields}


SMS_LIMIT = 300


def sms_text(template: str, values: dict[str, Any]) -> str:
    return truncate(fill(template, values), SMS_LIMIT)
