"""The audit trail's key formats (``records.py`` describes the items): a partition per Shanghai day, a chain's records
and head in it, and the two index partitions, by staff member and by member."""

from __future__ import annotations

PK_PREFIX = "AUDIT#"
BY_PREFIX = "AUDITBY#"
OF_PREFIX = "AUDITOF#"


def day_pk(day: str) -> str:
    return f"{PK_PREFIX}{day}"


def record_sk(shard: int, seq: int) -> str:
    return f"C{shard:02d}#{seq:010d}"


def head_sk(shard: int) -> str:
    return f"H{shard:02d}"


def by_pk(staff_id: str) -> str:
    return f"{BY_PREFIX}{staff_id}"


def of_pk(customer_id: str) -> str:
    return f"{OF_PREFIX}{customer_id}"
