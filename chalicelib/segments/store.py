"""The segments area's items, read and written raw (the facts item has one attribute per live points bucket).

| item | pk | sk |
|---|---|---|
| a member's facts (one; ``segs``: the segments they are in -> when they entered) | ``CUST#<id>`` | ``FACTS`` |
| (its key on the sparse, keys-only index ``facts``: ``facts_id`` = the customer ID; only facts items carry it) | | |
| a segment's definition (at most ``MAX_SEGMENTS``) | ``SEGDEF`` | ``<segment_id>`` |
| a member of a segment | ``SEG#<segment_id>`` | ``C#<customer_id>`` |
| a segment's size, in ``COUNT_SHARDS`` counters (each entry/exit ADDs to one) | ``SEG#<id>`` | ``CNT#<n>`` |
| a nightly pass's distribution (per message) and parts done | ``SEGRUN#<run>`` | ``PART#...`` / ``RUN`` |
| the programme-wide settings: RFM cutoffs, lifecycle thresholds | ``CONFIG#SEGMENTS`` | ``SETTINGS`` |

The facts item is not under ``M#``: the member's hot read never needs it. Passes over every member read the ``facts``
index (``facts_pages``): the facts items' keys and nothing else, however much history the table holds; keys only, so
a facts update (many a day) never writes the index, only the item's creation does.
"""

from __future__ import annotations

import hashlib
import time
from datetime import date
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pynamodb.attributes import BooleanAttribute, ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, keys, paging
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.items import Item
from chalicelib.segments import rules

FACTS_SK = "FACTS"
FACTS_INDEX, FACTS_ID = "facts", "facts_id"
DEF_PK = "SEGDEF"
SETTINGS_KEY = {"pk": {"S": "CONFIG#SEGMENTS"}, "sk": {"S": "SETTINGS"}}
MEMBER_PREFIX = "C#"
COUNT_PREFIX = "CNT#"
COUNT_SHARDS = 16
BUCKET_ATTR = "bkt_"  # + <expires_on>: the points of one live bucket
MAX_SEGMENTS = 100

_des, _ser = TypeDeserializer(), TypeSerializer()


class FactsItem(Item):
    """``CUST#<id>`` / ``FACTS``, as ``facts.update_of`` writes it (raw, not through this model): the attributes named
    for the personal-data registry (erased and exported like every kind) and the export. ``bkt_<day>`` attributes
    (the points of one live bucket) are not named: amounts, already in the points area's export."""

    customer_id = UnicodeAttribute(null=True)
    ver = NumberAttribute(null=True)
    segs = MapAttribute[str, Any](null=True)  # segment -> when the member entered it
    gone = BooleanAttribute(null=True)  # merged away or erased: in no segment
    tier = UnicodeAttribute(null=True)
    member_no = UnicodeAttribute(null=True)
    enrolled_on = UnicodeAttribute(null=True)
    consents = MapAttribute[str, Any](null=True)
    tags = ListAttribute[Any](null=True)
    points_balance = NumberAttribute(null=True)
    last_check_in_on = UnicodeAttribute(null=True)
    tier_stats = MapAttribute[str, Any](null=True)
    plus_expires_on = UnicodeAttribute(null=True)
    last_order_on = UnicodeAttribute(null=True)
    last_visit_on = UnicodeAttribute(null=True)


def client() -> Any:
    return shared_connection().client


def table() -> str:
    return settings().table_name


def plain(raw: dict[str, Any]) -> dict[str, Any]:
    """A raw item -> Python values (numbers as int where whole)."""
    out = {}
    for k, v in raw.items():
        # an empty map comes as ``{}`` in stream images read through boto3's streams client (its parser drops the
        # empty "M"): it is the only attribute value that can be empty
        value = _des.deserialize(v) if v else {}
        out[k] = _pythonic(value)
    return out


def _pythonic(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _pythonic(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_pythonic(v) for v in value]
    return value


def raw(value: Any) -> dict[str, Any]:
    return dict(_ser.serialize(value))


def facts_key(customer_id: str) -> dict[str, Any]:
    return {"pk": {"S": keys.customer_pk(customer_id)}, "sk": {"S": FACTS_SK}}


def stored_of(item: dict[str, Any]) -> dict[str, Any]:
    """A facts item (plain) -> what ``rules.facts_of`` reads (the buckets gathered)."""
    out = dict(item)
    out["buckets"] = {k[len(BUCKET_ATTR):]: v for k, v in item.items() if k.startswith(BUCKET_ATTR)}
    return out


def facts_page(part: int, total: int, start_key: dict[str, Any] | None, limit: int
               ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """One page of a parallel Scan (``Segment``/``TotalSegments``) of the sparse ``facts`` index, and the facts items
    of its keys (BatchGetItem, 100 a call): ``(items, next start key)``."""
    kwargs: dict[str, Any] = {"TableName": table(), "IndexName": FACTS_INDEX, "Segment": part,
                              "TotalSegments": total, "Limit": limit}
    if start_key:
        kwargs["ExclusiveStartKey"] = start_key
    out = client().scan(**kwargs)
    keys_ = [{"pk": k["pk"], "sk": k["sk"]} for k in out.get("Items", [])]
    return [plain(i) for i in batch_get(keys_)], out.get("LastEvaluatedKey")


def batch_get(keys_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Raw items of the keys (those that exist), eventually consistent, 100 a BatchGetItem (``core.dynamo.batch``)."""
    return list(batch.batch_get([(k["pk"]["S"], k["sk"]["S"]) for k in keys_], consistent=False).values())


def read_facts(customer_id: str) -> dict[str, Any] | None:
    got = client().get_item(TableName=table(), Key=facts_key(customer_id), ConsistentRead=True).get("Item")
    return plain(got) if got else None


def segment_pk(segment_id: str) -> str:
    return f"SEG#{segment_id}"


def count_shard(customer_id: str) -> int:
    return hashlib.blake2b(customer_id.encode(), digest_size=2).digest()[0] % COUNT_SHARDS


def today() -> date:
    from chalicelib.core import clock
    from chalicelib.core.calendar import SHANGHAI

    return clock.as_of().astimezone(SHANGHAI).date()


_settings_cache: tuple[float, rules.Cutoffs, rules.Lifecycle] | None = None


def programme_settings() -> tuple[rules.Cutoffs, rules.Lifecycle]:
    """RFM cutoffs (the nightly pass's) and lifecycle thresholds (the operator's), cached a minute a process."""
    global _settings_cache
    if _settings_cache and time.monotonic() - _settings_cache[0] < 60:
        return _settings_cache[1], _settings_cache[2]
    got = client().get_item(TableName=table(), Key=SETTINGS_KEY).get("Item")
    cfg = plain(got) if got else {}
    cut = rules.Cutoffs(**{k: tuple(cfg[k]) for k in ("recency", "frequency", "monetary")
                           if len(cfg.get(k) or ()) == 4})
    life = rules.Lifecycle(**{k: int(cfg[k]) for k in rules.Lifecycle._fields if k in cfg})
    _settings_cache = (time.monotonic(), cut, life)
    return cut, life


_cache: tuple[float, list[dict[str, Any]]] | None = None
CACHE_SECONDS = 10  # a changed definition reaches the stream evaluation within this; its rebuild waits longer


def reset_cache() -> None:
    global _cache
    _cache = None


def definitions(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Every definition (deleted ones too, until their members have left), one Query, cached a few seconds."""
    global _cache
    if not fresh and _cache and time.monotonic() - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    out = [plain(i) for i in paging.query_all(KeyConditionExpression="pk = :pk", ConsistentRead=True,
                                              ExpressionAttributeValues={":pk": {"S": DEF_PK}})]
    _cache = (time.monotonic(), out)
    return out


def reset_caches() -> None:
    global _settings_cache
    _settings_cache = None
    reset_cache()


def facts_now(stored: dict[str, Any]) -> dict[str, Any]:
    cut, life = programme_settings()
    return rules.facts_of(stored_of(stored), today(), cut, life)
