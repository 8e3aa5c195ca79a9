"""Sending SMS codes. The local stage writes to an outbox table that ``GET /v1/dev/sms-outbox`` reads;
deployed stages publish through Amazon SNS (swap the adapter for a domestic SMS gateway if needed:
the port is ``send_code(phone, code)``).
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


@lru_cache(maxsize=1)
def sms_sender() -> SmsSender:
    return OutboxSms() if settings().sms_provider == "outbox" else SnsSms()


class SmsOutboxItem(Item):
    """``SMSOUT#<phone>`` / ``<sent_at iso>#<id>``: the local stage's simulated SMS outbox."""

    phone = UnicodeAttribute()
    code = UnicodeAttribute()
    sent_at = UnicodeAttribute()
