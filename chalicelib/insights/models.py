"""The insights area's items, declared for the personal-data registry (the area reads and writes them raw: see
``store.py`` for the keys). None holds a member's data: counters are per day, month or programme; a marker holds only
a digest of what was counted."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item


class CounterItem(Item):
    """``INS#D#<day>#<n>``, ``INS#M#<month>#<n>``, ``INS#T#<n>`` / ``AGG``: one shard of counters (one number
    attribute per counter; ``members_end`` on a month's shard 0)."""

    members_end = NumberAttribute(null=True)


class MarkerItem(Item):
    """``INS#K#<digest>`` / ``K``: a fact counted (its condition counts it once); expires by ``ttl``."""


class CloseItem(Item):
    """``INS#CLOSE#<month>`` / ``CLOSE``: a month-end close; ``figures`` (JSON text) once done, never changed."""

    month = UnicodeAttribute()
    status = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    requested_by = UnicodeAttribute()
    point_value_fen = UnicodeAttribute()
    expected_redemption_rate = UnicodeAttribute()
    figures = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)


class PassPartItem(Item):
    """``<run pk>`` / ``PART#<n>#<where>``: one scan message's partial sums; ``RUN``: the parts done."""

    next = UnicodeAttribute(null=True)
    sums = MapAttribute[str, int](null=True)


class ReconciliationItem(Item):
    """``INS#RECON#<day>`` / ``RESULT``: the latest comparison of a day's counters with the ledger."""

    day = UnicodeAttribute()
    run = UnicodeAttribute()
    ledger = MapAttribute[str, int]()
    counters = MapAttribute[str, int]()
    differences = MapAttribute[str, int]()
    reconciled_at = UnicodeAttribute()


class AccountingItem(Item):
    """``CONFIG#INSIGHTS`` / ``ACCOUNTING``: the operator's point value and expected redemption rate."""

    point_value_fen = UnicodeAttribute()
    expected_redemption_rate = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute()
