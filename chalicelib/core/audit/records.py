"""The audit items: a record per audited staff write and a head per chain, in a partition per Shanghai day.

``AUDIT#<day>`` / ``C<shard>#<seq>``: a record (``chain.py``); ``AUDIT#<day>`` / ``H<shard>``: the chain's head.
One Query of the day's partition returns every chain in order, then the heads: what the verifier reads. The
record is also listed by who did it (gsi1 ``AUDITBY#<staff_id>`` / ``<at>#...``) and, when the action names a
member, by whom it was done to (gsi2 ``AUDITOF#<customer_id>`` / ``<at>#...``): one Query per page of either.
The key formats are ``keys.py`` (the writer, a client hook, needs them without the models).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item


class AuditRecordItem(Item):
    """One audited staff write. ``body`` is the canonical JSON the hash covers (who, role, action, route, target,
    member, reason, before/after, what was written, request ID, channel, time, day, shard, seq); the other attributes
    are its keys and the index keys derived from it."""

    seq = NumberAttribute()
    prev = UnicodeAttribute()
    hash = UnicodeAttribute()
    body = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)


class AuditHeadItem(Item):
    """The last record of one chain: its sequence number and hash (written with each record, conditionally)."""

    seq = NumberAttribute()
    hash = UnicodeAttribute()
