"""The insights area's items, read and written raw.

| item | pk | sk |
|---|---|---|
| a day's counters, in ``SHARDS`` items (each counted fact ADDs to one) | ``INS#D#<YYYY-MM-DD>#<n>`` | ``AGG`` |
| a month's counters, the same way (``members_end``: on shard 0, set nightly) | ``INS#M#<YYYY-MM>#<n>`` | ``AGG`` |
| the programme's members enrolled so far, in ``SHARDS`` items | ``INS#T#<n>`` | ``AGG`` |
| a counted fact's marker (the condition that counts it once; TTL) | ``INS#K#<digest>`` | ``K`` |
| the operator's accounting settings | ``CONFIG#INSIGHTS`` | ``ACCOUNTING`` |
| a month-end close (the immutable snapshot once ``done``) | ``INS#CLOSE#<YYYY-MM>`` | ``CLOSE`` |
| a day's reconciliation against the ledger (the latest) | ``INS#RECON#<YYYY-MM-DD>`` | ``RESULT`` |
| a reconciliation's pass (``RUN``: parts done) | ``INS#RECON#<YYYY-MM-DD>#<run>`` | ``RUN`` |
| a pass's partial sums, one per scan message | the close's or reconciliation's pk | ``PART#<n>#<where>`` |

Shards are separate partitions (the shard is in the pk), so a burst of counted facts spreads over ``SHARDS``
partitions; a month's figures are one ``BatchGetItem`` of its shards.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from chalicelib.core.config import settings
from chalicelib.core.dynamo import batch, keys, paging
from chalicelib.core.dynamo.connection import shared_connection

SHARDS = 8
AGG_SK = "AGG"
MARKER_TTL_DAYS = 400  # longer than any item changes state after its creation (a booking, a registration)
SETTINGS_KEY = {"pk": {"S": "CONFIG#INSIGHTS"}, "sk": {"S": "ACCOUNTING"}}

_des, _ser = TypeDeserializer(), TypeSerializer()


def client() -> Any:
    return shared_connection().client


def table() -> str:
    return settings().table_name


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def shard_of(text: str) -> int:
    return int(digest(text)[:8], 16) % SHARDS


def day_key(day: str, shard: int) -> dict[str, Any]:
    return {"pk": {"S": f"INS#D#{day}#{shard}"}, "sk": {"S": AGG_SK}}


def month_key(month: str, shard: int) -> dict[str, Any]:
    return {"pk": {"S": f"INS#M#{month}#{shard}"}, "sk": {"S": AGG_SK}}


def member_item_key(customer_id: str, sk: str) -> dict[str, Any]:
    """A member's item this area reads (it writes nothing under a customer's partition)."""
    return {"pk": {"S": keys.CUSTOMER_PREFIX + customer_id}, "sk": {"S": sk}}


def customer_of(pk: str) -> str | None:
    return pk[len(keys.CUSTOMER_PREFIX):] if pk.startswith(keys.CUSTOMER_PREFIX) else None


def total_key(shard: int) -> dict[str, Any]:
    return {"pk": {"S": f"INS#T#{shard}"}, "sk": {"S": AGG_SK}}


def marker_key(ident: str) -> dict[str, Any]:
    return {"pk": {"S": f"INS#K#{digest(ident)}"}, "sk": {"S": "K"}}


def close_pk(month: str) -> str:
    return f"INS#CLOSE#{month}"


def recon_pk(day: str) -> str:
    return f"INS#RECON#{day}"


def marker_expiry() -> int:
    return int(time.time()) + MARKER_TTL_DAYS * 86400


def plain(raw: dict[str, Any]) -> dict[str, Any]:
    """A raw item -> Python values (whole numbers as int)."""
    from decimal import Decimal

    out: dict[str, Any] = {}
    for k, v in raw.items():
        value = _des.deserialize(v)
        out[k] = int(value) if isinstance(value, Decimal) and value == value.to_integral_value() else value
    return out


def raw(value: Any) -> dict[str, Any]:
    return dict(_ser.serialize(value))


def counters_of(items: list[dict[str, Any]]) -> dict[str, int]:
    """The shards' counters summed (raw items; keys and non-numbers skipped)."""
    total: dict[str, int] = {}
    for item in items:
        for name, value in item.items():
            if "N" in value and name not in ("pk", "sk"):
                total[name] = total.get(name, 0) + int(value["N"])
    return total


def members_total() -> int:
    """The programme's members enrolled so far (``INS#T#<n>``, the shards summed): one ``BatchGetItem``."""
    return counters_of(batch_get([total_key(n) for n in range(SHARDS)])).get("members", 0)


def batch_get(keys_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One ``BatchGetItem`` (at most 100 keys); the unprocessed keys, if any, once more (the health read promises two
    calls at most). Raw items."""
    wanted = [(k["pk"]["S"], k["sk"]["S"]) for k in keys_]
    return list(batch.batch_get(wanted, attempts=2).values())


def query_all(pk: str, prefix: str) -> list[dict[str, Any]]:
    return paging.query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :p)", ConsistentRead=True,
                            ExpressionAttributeValues={":pk": {"S": pk}, ":p": {"S": prefix}})
