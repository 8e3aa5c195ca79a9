"""Key formats shared by every area: a customer's partition is built here and nowhere else."""

from __future__ import annotations

CUSTOMER_PREFIX = "CUST#"


def customer_pk(customer_id: str) -> str:
    """``CUST#<customer_id>``: the partition of everything a customer owns."""
    return f"{CUSTOMER_PREFIX}{customer_id}"


def staff_pk(staff_id: str) -> str:
    """``STAFFID#<staff_id>``: what a staff member's own requests keep (their Idempotency-Key records)."""
    return f"STAFFID#{staff_id}"
