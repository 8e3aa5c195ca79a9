"""Sending SMS: codes and notifications. The local stage writes to an outbox table that ``GET /v1/dev/sms-outbox``
(codes) and ``GET /v1/dev/deliveries`` (notifications) read; deployed stages publish through Amazon SNS (swap the
adapter for a domestic SMS gateway if needed: the port is ``send_code(phone, code)`` and
``send_text(phone, text, ref)``).
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Protocol

from pynamodb.attributes import UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.config import settings
from chalicelib.core.dynamo.items import Item

OUTBOX_TTL = 3600
MESSAGE = "【会员中心】您的验证码是 {code}，5 分钟内有效。如非本人操作请忽略。"


class SmsSender(Protocol):
    def send_code(self, phone: str, code: str) -> None: ...

    def send_text(self, phone: str, text: str, ref: str) -> None:
        """A notification's text; ``ref`` (the notification and channel) is kept by the simulator only."""
        ...

    def forget(self, phone: str) -> None:
        """What this gateway keeps in our table about ``phone`` goes (an erased member's)."""
        ...


class SmsUnavailable(Exception):
    """The SMS provider did not take the message (down, throttled): try again later."""


def message_key(phone: str) -> str:
    return f"SMSMSG#{phone}"


def outbox_key(phone: str) -> str:
    return f"SMSOUT#{phone}"


class OutboxSms:
    """The simulated SMS gateway of the local stage."""

    def send_code(self, phone: str, code: str) -> None:
        sent_at = clock.iso()
        SmsOutboxItem(
            pk=outbox_key(phone),
            sk=f"{sent_at}#{secrets.token_hex(4)}",
            phone=phone,
            code=code,
            sent_at=sent_at,
            ttl=clock.epoch() + OUTBOX_TTL,
        ).save(add_version_condition=False)

    def send_text(self, phone: str, text: str, ref: str) -> None:
        sent_at = clock.iso()
        SmsMessageItem(
            pk=message_key(phone), sk=f"{sent_at}#{secrets.token_hex(4)}", phone=phone, text=text, ref=ref,
            sent_at=sent_at, ttl=clock.epoch() + 7 * 24 * 3600,
        ).save(add_version_condition=False)

    def forget(self, phone: str) -> None:
        from chalicelib.core.dynamo.batch import batch_delete

        for model, pk in ((SmsOutboxItem, outbox_key(phone)), (SmsMessageItem, message_key(phone))):
            batch_delete([(pk, item.sk) for item in model.query(pk)])

    @staticmethod
    def messages(phone: str, limit: int = 100) -> list[SmsMessageItem]:
        return list(SmsMessageItem.query(message_key(phone), scan_index_forward=False, limit=limit))

    @staticmethod
    def recent(phone: str, limit: int = 20) -> list[SmsOutboxItem]:
        return list(SmsOutboxItem.query(outbox_key(phone), scan_index_forward=False, limit=limit))


class SnsSms:
    def __init__(self) -> None:
        import boto3

        self._client = boto3.client("sns", region_name=settings().region)

    def send_code(self, phone: str, code: str) -> None:
        self._client.publish(
            PhoneNumber=f"+86{phone}",
            Message=MESSAGE.format(code=code),
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )

    def send_text(self, phone: str, text: str, ref: str) -> None:
        try:
            self._client.publish(
                PhoneNumber=f"+86{phone}", Message=text,
                MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
            )
        except Exception as exc:  # throttled, endpoint down: the caller retries later
            raise SmsUnavailable(type(exc).__name__) from None

    def forget(self, phone: str) -> None:
        """Nothing of SNS's is in our table (its delivery logs keep to their own retention)."""


@lru_cache(maxsize=1)
def sms_sender() -> SmsSender:
    return OutboxSms() if settings().sms_provider == "outbox" else SnsSms()


class SmsOutboxItem(Item):
    """``SMSOUT#<phone>`` / ``<sent_at iso>#<id>``: the local stage's simulated SMS outbox."""

    phone = UnicodeAttribute()
    code = UnicodeAttribute()
    sent_at = UnicodeAttribute()


class SmsMessageItem(Item):
    """``SMSMSG#<phone>`` / ``<sent_at>#<id>``: what the local stage's simulated gateway was asked to send."""

    phone = UnicodeAttribute()
    text = UnicodeAttribute()
    ref = UnicodeAttribute(null=True)  # "<notification_id>#sms": how the fault tests count sends
    sent_at = UnicodeAttribute()
