"""The webhooks area's access to the table and the queue: raw items, sealed secrets, the endpoints cache, messages.

Delivery messages go on the retry queue (kind ``webhook_delivery``), which the ``retry_worker`` drains (Lambda's SQS
event source deployed, ``tools/lambda_emulation/sqs_poller.py`` locally); a message waits out its backoff as
SQS ``DelaySeconds``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.retry import fanout
from chalicelib.identity.public import signing_secret
from chalicelib.webhooks.models import DELIVERY_PREFIX, DELIVERY_SK, ENDPOINT_PREFIX, ENDPOINTS_PK

KIND = "webhook_delivery"
CACHE_SECONDS = 5.0  # a new, changed or deleted endpoint reaches every stream consumer within this
MAX_DELAY_SECONDS = 900  # SQS's longest DelaySeconds

_ser, _de = TypeSerializer(), TypeDeserializer()


def client() -> Any:
    return shared_connection().client


def table() -> str:
    return settings().table_name


def raw(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = _ser.serialize(value)
    return out


def raw_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: raw(v) for k, v in item.items() if v is not None}


def plain(item: dict[str, Any]) -> dict[str, Any]:
    def py(v: Any) -> Any:
        if isinstance(v, Decimal):
            return int(v) if v == v.to_integral_value() else float(v)
        if isinstance(v, list):
            return [py(x) for x in v]
        if isinstance(v, dict):
            return {k: py(x) for k, x in v.items()}
        if isinstance(v, set):
            return sorted(py(x) for x in v)
        return v

    return {k: py(_de.deserialize(v)) for k, v in item.items()}


def get(pk: str, sk: str) -> dict[str, Any] | None:
    out = client().get_item(TableName=table(), Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
    return plain(out["Item"]) if "Item" in out else None


def delivery_key(delivery_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{DELIVERY_PREFIX}{delivery_id}"}, "sk": {"S": DELIVERY_SK}}


# --- sealed secrets ---------------------------------------------------------------------------------------------


def _key() -> bytes:
    return hashlib.sha256(b"webhook-secret-seal:" + signing_secret().encode()).digest()


def seal(secret: str, endpoint_id: str) -> str:
    nonce = os.urandom(12)
    return base64.b64encode(nonce + AESGCM(_key()).encrypt(nonce, secret.encode(), endpoint_id.encode())).decode()


def unseal(sealed: str, endpoint_id: str) -> str:
    data = base64.b64decode(sealed)
    try:
        return AESGCM(_key()).decrypt(data[:12], data[12:], endpoint_id.encode()).decode()
    except InvalidTag:
        raise RuntimeError("a webhook secret does not open: was the token signing secret rotated?") from None


# --- endpoints ----------------------------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_cache: tuple[float, list[dict[str, Any]]] | None = None


def endpoints(*, fresh: bool = False) -> list[dict[str, Any]]:
    """Every endpoint (at most ``webhook_max_endpoints``: one Query), cached ``CACHE_SECONDS`` per process."""
    global _cache
    with _cache_lock:
        if not fresh and _cache is not None and time.monotonic() - _cache[0] < CACHE_SECONDS:
            return _cache[1]
    out = client().query(TableName=table(), KeyConditionExpression="pk = :p AND begins_with(sk, :e)",
                         ExpressionAttributeValues={":p": {"S": ENDPOINTS_PK}, ":e": {"S": ENDPOINT_PREFIX}},
                         ConsistentRead=True)
    found = [plain(i) for i in out.get("Items", [])]
    with _cache_lock:
        _cache = (time.monotonic(), found)
    return found


def reset_cache() -> None:
    global _cache
    with _cache_lock:
        _cache = None


# --- the queue ----------------------------------------------------------------------------------------------------

def enqueue(delivery_ids: list[str], delay_seconds: int = 0) -> None:
    """One message per delivery (ten a call); raises if any was not accepted (the caller's record is retried)."""
    if not delivery_ids:
        return
    fanout.send([{"kind": KIND, "delivery_id": d} for d in delivery_ids],
                delay_seconds=max(0, min(MAX_DELAY_SECONDS, int(delay_seconds))))


def reset() -> None:
    fanout.reset()
    reset_cache()
