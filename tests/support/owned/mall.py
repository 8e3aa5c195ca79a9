"""The mall's member-owned resources, for the cross-member 404 test (the mall manifest's ``owned_resources``).

Each factory takes the in-process API client and a member's access token and makes one resource of that member,
returning the route's path parameters.
"""

from __future__ import annotations

import uuid
from typing import Any

from chalicelib.core import faults
from chalicelib.core.retry import outbox, transactions
from chalicelib.identity import access_token
from chalicelib.mall import rewards
from chalicelib.points import earn_and_spend


class _NoSend(outbox.SqsOutboxRetryPort):
    """The outbox as usual, no SQS (the matrix has no queue): the message stays in the outbox."""

    def enqueue(self, txn: transactions.Transaction, *, clear_outbox: bool = True) -> bool:
        return False


def _redeemed(api: Any, token: str, fulfillment_kind: str) -> dict[str, Any]:
    cid = access_token.verify_access_token(token).customer_id
    assert cid is not None
    earn_and_spend.earn(cid, 100, kind="adjustment", reference=f"contract:{uuid.uuid4().hex[:8]}")
    reward_id = rewards.create_reward(name="contract", points_cost=10, stock=5, fulfillment=fulfillment_kind,
                                      staff_id="contract")
    status, body, _ = api.call("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1}, token=token,
                               headers={"idempotency-key": f"k-{uuid.uuid4().hex}"})
    assert status in (201, 202), body
    return dict(body)


def _owned_redemption(api: Any, token: str) -> dict[str, str]:
    return {"redemption_id": _redeemed(api, token, "in_house")["redemption_id"]}


def _owned_transaction(api: Any, token: str) -> dict[str, str]:
    previous = outbox.retry_port()
    outbox.set_retry_port(_NoSend())
    faults.set_faults(fulfillment_failure_rate=1.0)
    try:
        body = _redeemed(api, token, "partner")
    finally:
        faults.set_faults(fulfillment_failure_rate=0.0)
        outbox.set_retry_port(previous)
    return {"transaction_id": body["transaction_id"]}


OWNED = {
    "/v1/me/redemptions/{redemption_id}": _owned_redemption,
    "/v1/me/transactions/{transaction_id}": _owned_transaction,
}
