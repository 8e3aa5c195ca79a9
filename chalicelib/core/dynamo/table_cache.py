"""Configuration read from the application table and kept in-process for a few seconds.

Operators' definitions (tiers, promotions, benefits) and the local stage's fault switches are read on
hot paths; a short cache turns a read per request into a read per process per ``ttl``. Values are kept
per table name, so a process that is pointed at another table (tests make a fresh one each) never
sees the old table's value.

Every Lambda container (every worker process of the local stack) has its own copy, and nothing tells the others
when an operator changes something. So no value is kept longer than ``MAX_STALENESS_SECONDS`` (5 s), whatever
``ttl`` a caller asks for: a change or a disable takes effect everywhere within that bound (plus DynamoDB's
eventual consistency, typically well under a second). The README states the bound; the reward cache
(``mall/rewards.py``) keeps it too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from chalicelib.core.config import settings

T = TypeVar("T")

MAX_STALENESS_SECONDS = 5.0


class TableCache(Generic[T]):
    def __init__(self, load: Callable[[], T], ttl: float) -> None:
        self._load = load
        self._ttl = min(ttl, MAX_STALENESS_SECONDS)
        self._lock = threading.Lock()
        self._values: dict[str, tuple[float, T]] = {}  # table name -> (valid until, value)

    def get(self) -> T:
        table = settings().table_name
        now = time.monotonic()
        with self._lock:
            cached = self._values.get(table)
        if cached is not None and cached[0] > now:
            return cached[1]
        value = self._load()
        with self._lock:
            self._values[table] = (now + self._ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
