"""Webhook signatures: ``X-Webhook-Signature: t=<unix>,v1=<hex>[,v1=<hex>]``.

``v1`` is HMAC-SHA256 with the endpoint's secret over ``f"{t}.{body}"`` (the exact bytes of the body). While a rotated
secret is still in its overlap, a second ``v1`` is made with it: a receiver that knows either secret verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Webhook-Signature"
ID_HEADER = "X-Webhook-Id"
TOLERANCE_SECONDS = 300


def digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def header(secrets: list[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={digest(s, timestamp, body)}" for s in secrets)])


def verify(secret: str, value: str, body: bytes, *, now: float | None = None,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the timestamp is recent and one ``v1`` matches (compared in constant time)."""
    parts = [p.partition("=") for p in value.split(",")]
    stamps = [v for k, _, v in parts if k == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, v) for k, _, v in parts if k == "v1")
