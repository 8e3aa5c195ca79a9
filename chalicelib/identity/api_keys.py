"""Integration API keys (``X-Api-Key``), stored as SHA-256 digests.

Keys are long random strings, so a fast digest is enough (no password stretching needed). A
verified key is remembered in-process for a minute, so a busy integration costs no read per call;
a disabled key stops working within that minute.
"""

from __future__ import annotations

import hashlib
import time

from chalicelib.core import clock
from chalicelib.identity.models import ApiKeyItem

SK = "APIKEY"
CACHE_SECONDS = 60
_cache: dict[str, float] = {}


def _key(raw: str) -> str:
    return "APIKEY#" + hashlib.sha256(raw.encode()).hexdigest()


def create_api_key(name: str, raw_key: str) -> None:
    ApiKeyItem(pk=_key(raw_key), sk=SK, name=name, created_at=clock.iso()).save(add_version_condition=False)


def disable_api_key(raw_key: str) -> None:
    ApiKeyItem(pk=_key(raw_key), sk=SK).update(actions=[ApiKeyItem.disabled.set(True)])
    _cache.pop(_key(raw_key), None)


def verify(raw_key: str) -> bool:
    if not raw_key or len(raw_key) > 256:
        return False
    key = _key(raw_key)
    now = time.monotonic()
    if _cache.get(key, 0) > now:
        return True
    try:
        item = ApiKeyItem.get(key, SK)
    except ApiKeyItem.DoesNotExist:
        return False
    if item.disabled:
        return False
    _cache[key] = now + CACHE_SECONDS
    return True
