"""Follow-up of redemptions whose partner fulfilment kept failing (kind ``redemption_fulfillment``).

* Follow-up messages of the kind open cases (``intake.open_case``).
* ``completed_manually``: the agent fulfilled it by hand; the redemption reads ``completed``.
* ``cancelled``: closed without giving the points back (the member declined, or it was a duplicate); the redemption
  reads ``cancelled`` and the transaction ``failed``. To give the points back, resolve as ``refunded``.
* ``refunded``: a compensating transaction, all in one TransactWriteItems planned by the points store: a ledger entry
  of kind ``compensation`` crediting the points the redemption spent (a new bucket at the usual expiry horizon; it
  repays any debt first, like every credit; it does not count towards tier metrics: it is not earned), the units
  back on the stock shards they were taken from, the redemption ``refunded``, the transaction ``refunded``, the case
  resolved and the member's notification. The case (claimed by this agent), the redemption
  (``pending_fulfillment``) and the transaction (unsettled) are all conditions of that one write, so the points and
  the stock come back exactly once, whoever else retries or resolves at the same moment.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx
from chalicelib.core.errors import AppError
from chalicelib.followups import public as followups
from chalicelib.followups.public import FollowUpCaseItem
from chalicelib.mall import redemption_views, rewards
from chalicelib.mall.models import REDEMPTION_PREFIX, RETRY_KIND, STOCK_SK, RedemptionItem, StockShardItem
from chalicelib.points import public as points
from chalicelib.points.public import PointsState

KIND = RETRY_KIND
SETTLED_AS = {"completed_manually": "completed", "cancelled": "cancelled", "refunded": "refunded"}


def _redemption_id(case: FollowUpCaseItem) -> str:
    message = dict(case.message or {})
    redemption_id = message.get("redemption_id") or case.reference
    if not redemption_id:
        raise AppError("case_not_refundable")
    return str(redemption_id)


def _redemption_key(case: FollowUpCaseItem) -> tuple[str, str]:
    return keys.customer_pk(case.customer_id), f"{REDEMPTION_PREFIX}{_redemption_id(case)}"


def load_redemption(case: FollowUpCaseItem) -> RedemptionItem | None:
    pk, sk = _redemption_key(case)
    try:
        return RedemptionItem.get(pk, sk, consistent_read=True)
    except RedemptionItem.DoesNotExist:
        return None


def settle_in(tx: Tx, case: FollowUpCaseItem, resolution: str, at: str) -> None:
    """The redemption's status after ``completed_manually`` or ``cancelled`` (it must still be pending)."""
    pk, sk = _redemption_key(case)
    tx.update(
        "redemption", RedemptionItem(pk=pk, sk=sk),
        [RedemptionItem.status.set(SETTLED_AS[resolution]), RedemptionItem.updated_at.set(at)],
        RedemptionItem.status == "pending_fulfillment",
    )


def return_stock_in(tx: Tx, reward_id: str, shards: dict[str, Any] | None, quantity: int) -> dict[int, int]:
    """Put the units back on the shards the redemption took them from (labels ``stock:<k>``)."""
    taken = {int(k): int(v) for k, v in (shards or {}).items() if int(v) > 0} or {0: quantity}
    for k, units in sorted(taken.items()):
        tx.update(
            f"stock:{k}", StockShardItem(pk=rewards.shard_pk(reward_id, k), sk=STOCK_SK),
            [StockShardItem.remaining.add(units)], StockShardItem.pk.exists(),
        )
    return taken


def refund(res: followups.Resolution) -> dict[str, Any]:
    """The compensating transaction (see the module docstring); returns what came back."""
    case = res.case
    redemption = load_redemption(case)
    if redemption is None:
        raise AppError("case_not_refundable")
    if redemption.status != "pending_fulfillment":
        raise AppError("case_transaction_settled")
    spent = int(redemption.points_spent)
    reference = f"refund:{redemption.redemption_id}"

    def step(tx: Tx, state: PointsState) -> points.Outcome:
        given = points.earn_in(tx, state, spent, kind="compensation", reference=reference, actor=res.staff_id,
                               reason=f"follow-up {case.case_id}: refunded", count_for_tier=False)
        tx.update(
            "redemption", RedemptionItem(pk=redemption.pk, sk=redemption.sk),
            [RedemptionItem.status.set("refunded"), RedemptionItem.updated_at.set(res.at)],
            RedemptionItem.status == "pending_fulfillment",
        )
        return_stock_in(tx, redemption.reward_id, redemption.shards, int(redemption.quantity))
        res.close_in(tx)
        return given

    outcome = points.execute_with(case.customer_id, step)
    taken = {int(k): int(v) for k, v in (redemption.shards or {}).items()}
    rewards.note_taken(redemption.reward_id, {k: -u for k, u in taken.items()})  # the stock hint goes back up
    return {
        "points_returned": spent,
        "balance_after": outcome.balance_after,
        "stock_returned": int(redemption.quantity),
        "reward_id": redemption.reward_id,
        "redemption_id": redemption.redemption_id,
        "ledger_entry_id": outcome.entries[0].entry_id if outcome.entries else None,
    }


def describe(case: FollowUpCaseItem) -> dict[str, Any] | None:
    redemption = load_redemption(case)
    if redemption is None:
        return None
    return {"type": "redemption", **redemption_views.redemption_view(redemption)}

