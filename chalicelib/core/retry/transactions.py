"""Transactions whose side effects may finish later, and their outbox (the ``OUTBOX`` index).

A member's request that cannot finish its side effect at once (a partner down) is *accepted for retry*: its
``TransactionItem`` is written in the request's own DynamoDB transaction, on the ``OUTBOX`` index until its retry
message has reached SQS. ``payload`` is everything needed to redo the work idempotently; the message's ``kind``
names the area that redoes it (its manifest's ``retry_handlers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.keys import customer_pk

TXN_PREFIX = "TXN#"


OUTBOX_INDEX_PK = "OUTBOX"


class TransactionItem(Item):
    """``CUST#<id>`` / ``TXN#<transaction_id>``: a member's transaction whose side effects may finish later.

    Also the outbox: while ``gsi1pk`` is ``OUTBOX`` the retry message may not have reached SQS yet, and a sweeper
    sends it again from the index. ``payload`` is everything needed to redo the work idempotently.
    """

    transaction_id = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | completed | retrying | needs_follow_up | failed | refunded
    reference = UnicodeAttribute(null=True)
    payload = JSONAttribute(null=True)
    attempts = ListAttribute[Any](null=True)  # [{"at", "ok", "error", "where"}], appended atomically
    attempt_count = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    idempotency_sk = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Transaction:
    """Work accepted for the member that must finish later: everything needed to redo it idempotently."""

    transaction_id: str
    customer_id: str
    kind: str
    reference: str | None
    payload: dict[str, Any]

    def message(self) -> dict[str, Any]:
        return {"kind": self.kind, "transaction_id": self.transaction_id, "customer_id": self.customer_id,
                "reference": self.reference, **self.payload}


def transaction_key(customer_id: str, transaction_id: str) -> tuple[str, str]:
    return customer_pk(customer_id), f"{TXN_PREFIX}{transaction_id}"


def transaction_of(item: TransactionItem) -> Transaction:
    return Transaction(item.transaction_id, item.customer_id, item.kind, item.reference, dict(item.payload or {}))
