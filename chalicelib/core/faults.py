"""Faults switched on at run time on the local stage (``PUT /v1/dev/faults``): one item every process reads.

The simulators' knobs (the fulfilment partner's failure rate, the SMS gateway being down, ...) are kept in
``CONFIG#DEV`` / ``FAULTS`` and read through a one-second cache, so the API, the queue workers and the stream
consumer of every process of the local stack see a change within a second. Each area reads the knobs of its own
simulator; nothing here knows what they mean.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute

from chalicelib.core import clock
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.table_cache import TableCache

FAULTS_PK, FAULTS_SK = "CONFIG#DEV", "FAULTS"
CACHE_SECONDS = 1.0


class FaultsItem(Item):
    """``CONFIG#DEV`` / ``FAULTS``: the faults switched on (a dict of knob -> value)."""

    data = JSONAttribute()
    updated_at = UnicodeAttribute(null=True)


def _load() -> dict[str, Any]:
    try:
        return dict(FaultsItem.get(FAULTS_PK, FAULTS_SK).data or {})
    except FaultsItem.DoesNotExist:
        return {}


_faults: TableCache[dict[str, Any]] = TableCache(_load, CACHE_SECONDS)


def faults() -> dict[str, Any]:
    """The faults switched on (``{}`` when none): one GetItem per process per second at most."""
    return _faults.get()


def set_faults(**values: Any) -> dict[str, Any]:
    """Merge ``values`` (None: left as it is) into the stored faults; the route checks the stage."""
    current = dict(faults())
    current.update({k: v for k, v in values.items() if v is not None})
    FaultsItem(pk=FAULTS_PK, sk=FAULTS_SK, data=current, updated_at=clock.iso()).save(add_version_condition=False)
    reset_cache()
    return current


def reset_cache() -> None:
    _faults.clear()
