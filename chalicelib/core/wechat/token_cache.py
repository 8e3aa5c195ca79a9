"""The WeChat server access token, shared by every Lambda instance through the application table.

One item per app: ``WXTOKEN#<app_id>`` / ``WXTOKEN`` (``WechatTokenItem``) with the token, its expiry
(epoch seconds) and the table's TTL set to the same moment, so DynamoDB removes dead tokens itself.
Implements ``chalicelib.core.wechat.tokens.TokenCache``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item

SK = "WXTOKEN"


def token_pk(app_id: str) -> str:
    return f"WXTOKEN#{app_id}"


class DynamoTokenCache:
    """``TokenCache`` over ``WechatTokenItem``.

    Reads are strongly consistent: right after one instance renews the token, another must not pick up the
    one WeChat has just invalidated. A ``put`` simply overwrites (the newest token wins: WeChat's stable
    token in normal mode is the same for every caller until it is renewed).
    """

    def get(self, app_id: str) -> tuple[str, int] | None:
        try:
            item = WechatTokenItem.get(token_pk(app_id), SK, consistent_read=True)
        except WechatTokenItem.DoesNotExist:
            return None
        return item.access_token, int(item.expires_at)

    def put(self, app_id: str, token: str, expires_at: int) -> None:
        WechatTokenItem(
            token_pk(app_id),
            SK,
            access_token=token,
            expires_at=int(expires_at),
            ttl=_ttl_value(int(expires_at)),
        ).save()


def _ttl_value(expires_at: int) -> datetime | int:
    """The ``ttl`` attribute's value: epoch seconds, as a datetime if the model declares a ``TTLAttribute``."""
    if isinstance(WechatTokenItem.get_attributes()["ttl"], TTLAttribute):
        return datetime.fromtimestamp(expires_at, tz=UTC)
    return expires_at


class WechatTokenItem(Item):
    """``WXTOKEN#<app_id>`` / ``WXTOKEN``: the cached server access token from ``stable_token``."""

    access_token = UnicodeAttribute()
    expires_at = NumberAttribute()
