"""The points area's items in the personal-data registry (``core/personal_data.py``)."""

from typing import Any

from chalicelib.core.dynamo.batch import batch_get
from chalicelib.core.dynamo.keys import customer_pk
from chalicelib.core.dynamo.paging import query_all
from chalicelib.core.personal_data import ACCOUNTING, Kind

REGISTRY = {
    "PointsStateItem": Kind(
        where=("M#POINTS",), export="points_balance points_debt checkin_last_day checkin_streak tier_stats",
        keep="points_balance points_debt points_seq points_last_at tier_stats", reason=ACCOUNTING,
        plain="checkin_last_day checkin_streak claims_open customer_id merged_into tier_evaluation_on tier_floor_code "
              "tier_floor_set_by tier_floor_until updated_at ver"),
    "BucketItem": Kind(where=("M#BUCKET#",), export="points expires_on", keep="points expires_on", reason=ACCOUNTING,
                       plain="customer_id gsi1pk gsi1sk"),
    "LedgerEntryItem": Kind(
        where=("L#",), export="entry_id created_at kind delta balance_after reason reference channel expires_on",
        keep="delta balance_after debt_after debt_delta kind reason reference", reason=ACCOUNTING,
        plain="actor channel created_at customer_id entry_id expires_on seq"),
    "TierEvalItem": Kind(where=("TIEREVAL",), plain="customer_id evaluation_on gsi1pk gsi1sk"),
    "OrderItem": Kind(
        where=(), finder="chalicelib.points.personal_data:orders_of",
        export="order_no amount_fen channel store_id paid_at points_awarded points_reversed refunded_fen",
        keep="amount_fen order_no paid_at points_awarded points_reversed refunded_fen plus_extra_points",
        reason=ACCOUNTING,
        plain="channel claim_id created_at customer_id promotion_id source stats_month store_id tier_code updated_at"),
    "RefundItem": Kind(none="a refund of an order, found through the order (no member key of its own)"),
    "ClaimItem": Kind(where=(), finder="chalicelib.points.personal_data:claims_of",
                      export="claim_id order_no store_id purchased_on amount_fen status note points_awarded",
                      erase="note", keep="amount_fen order_no points_awarded", reason=ACCOUNTING,
                      plain="channel claim_id created_at customer_id decided_at decided_by gsi1pk gsi1sk gsi2pk gsi2sk "
                            "purchased_on reason status store_id"),
    "ClaimLockItem": Kind(none="a lock on an order number while a claim is open"),
    "AdjustmentItem": Kind(where=(), finder="chalicelib.points.personal_data:adjustments_of",
                           export="adjustment_id delta reason created_at", keep="delta balance_after reason",
                           reason=ACCOUNTING,
                           plain="adjustment_id created_at created_by customer_id gsi1pk gsi1sk request_hash"),
    "ApprovalItem": Kind(where=("gsi2:APPROVALSOF#",),  # approvals.of_member
                         export="approval_id kind points reason status created_at decided_at",
                         keep="points amount_fen reason decision_reason", reason=ACCOUNTING,
                         plain="approval_id kind reference case_id customer_id maker maker_role status created_at "
                               "decided_by decided_at gsi1pk gsi1sk gsi2pk gsi2sk"),
    "ConfigItem": Kind(none="the programme's configuration"),
    "JobStateItem": Kind(none="a job's progress"),
}


def _referenced(customer_id: str, kinds: tuple[str, ...], pk_prefix: str, sk: str) -> list[dict[str, Any]]:
    """The items the member's ledger entries of ``kinds`` reference (orders and adjustments have no member key)."""
    entries = query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :l)",
                     ExpressionAttributeValues={":pk": {"S": customer_pk(customer_id)}, ":l": {"S": "L#"}},
                     ProjectionExpression="#k, #r", ExpressionAttributeNames={"#k": "kind", "#r": "reference"})
    keys = list(dict.fromkeys((pk_prefix + e["reference"]["S"], sk) for e in entries
                              if e.get("kind", {}).get("S") in kinds and "reference" in e))
    return [raw for start in range(0, len(keys), 100) for raw in batch_get(keys[start:start + 100]).values()
            if raw.get("customer_id", {}).get("S") == customer_id]


def orders_of(customer_id: str) -> list[dict[str, Any]]:
    return _referenced(customer_id, ("purchase", "claim", "refund_reversal"), "ORDER#", "ORDER")


def adjustments_of(customer_id: str) -> list[dict[str, Any]]:
    return _referenced(customer_id, ("adjustment",), "ADJ#", "ADJ")


def claims_of(customer_id: str) -> list[dict[str, Any]]:
    return query_all(IndexName="gsi2", KeyConditionExpression="gsi2pk = :p",
                  ExpressionAttributeValues={":p": {"S": f"CUSTCLAIM#{customer_id}"}})
