"""Month-end close: the programme's points liability for one Shanghai month, once, as an immutable snapshot.

``request`` puts the close (conditioned on there being none: a month is closed once; a second request answers the
first close) with the accounting settings of that moment, and starts the ledger pass (``ledger_pass``); the pass's
last part calls ``finish``, which writes the figures once (conditioned on the close still running).

Figures (points are whole numbers; rates to 4 places):

- ``issued``, ``redeemed``, ``expired``, ``reversed``: ledger entries created in the month (``rules.classify``);
- ``outstanding_points``: the sum of every ledger delta created before the month's end;
- ``breakage_rate``: expired / (expired + redeemed), over every entry before the month's end;
- ``deferred_revenue_fen``: outstanding_points x point_value_fen x expected_redemption_rate, half up to a fen;
- ``expiring_by_month``: the live buckets' points by month of expiry, the 12 months after the closed month;
- ``reconciled``: the sum of all ledger deltas and of all live buckets as the pass read them, and their difference
  (0 when every member's balance equals their buckets, which every points transaction keeps).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import clock
from chalicelib.core.errors import AppError
from chalicelib.core.observability import logger
from chalicelib.insights import accounting, ledger_pass, rules, store

CLOSE_SK = "CLOSE"
FINISH = "chalicelib.insights.closes:finish"


def _key(month: str) -> dict[str, Any]:
    return {"pk": {"S": store.close_pk(month)}, "sk": {"S": CLOSE_SK}}


def _read(month: str) -> dict[str, Any] | None:
    out = store.client().get_item(TableName=store.table(), Key=_key(month), ConsistentRead=True)
    return store.plain(out["Item"]) if "Item" in out else None


def request(month: str, by: str) -> tuple[bool, dict[str, Any]]:
    """Close ``month`` (``YYYY-MM``, over in Shanghai): ``(started, close)``; a month already asked for answers its
    close as it is (``started`` False)."""
    _, end = rules.month_bounds(month)
    if end > clock.now():
        raise AppError("close_month_not_over", [{"field": "month", "issue": "the month has not ended yet"}])
    existing = _read(month)
    if existing is not None:
        return False, view(existing)
    settings = accounting.read()
    item = {"month": month, "status": "running", "requested_at": clock.iso(), "requested_by": by,
            "point_value_fen": str(settings["point_value_fen"]),
            "expected_redemption_rate": str(settings["expected_redemption_rate"])}
    try:
        store.client().put_item(TableName=store.table(), Item={**_key(month), **{k: {"S": v} for k, v in item.items()}},
                                ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False, view(_read(month) or item)
    start, end_ = rules.month_bounds(month)
    ledger_pass.start(ledger_pass.Run(store.close_pk(month), start.isoformat(), end_.isoformat(), FINISH))
    return True, view(item)


def snapshot(month: str, sums: dict[str, int], point_value_fen: Decimal, expected_redemption_rate: Decimal
             ) -> dict[str, Any]:
    """The close's figures from the pass's sums (pure: a re-run over the same data gives the same figures)."""
    outstanding = int(sums.get("upto_net", 0))
    expired_all, redeemed_all = int(sums.get("upto_expired", 0)), int(sums.get("upto_redeemed", 0))
    ledger_sum, buckets_sum = int(sums.get("ledger_sum", 0)), int(sums.get("buckets_sum", 0))
    return {
        "outstanding_points": outstanding,
        "issued": int(sums.get("w_issued", 0)), "redeemed": int(sums.get("w_redeemed", 0)),
        "expired": int(sums.get("w_expired", 0)), "reversed": int(sums.get("w_reversed", 0)),
        "breakage_rate": rules.rate(expired_all, expired_all + redeemed_all),
        "expected_redemption_rate": float(expected_redemption_rate), "point_value_fen": float(point_value_fen),
        "deferred_revenue_fen": rules.deferred_revenue_fen(outstanding, point_value_fen, expected_redemption_rate),
        "expiring_by_month": [{"month": m, "points": int(sums.get(f"exp_{m}", 0))}
                              for m in rules.months_after(month, 12)],
        "reconciled": {"ledger_sum": ledger_sum, "buckets_sum": buckets_sum, "difference": ledger_sum - buckets_sum},
    }


def finish(pk: str, sums: dict[str, int]) -> None:
    """The pass's last part: the figures, written once (a second assembly finds the close done)."""
    month = pk[len(store.close_pk("")):]
    close = _read(month)
    if close is None or close.get("status") != "running":
        return
    figures = snapshot(month, sums, Decimal(close["point_value_fen"]), Decimal(close["expected_redemption_rate"]))
    try:
        store.client().update_item(
            TableName=store.table(), Key=_key(month),
            UpdateExpression="SET #s = :done, figures = :f, completed_at = :at",
            ConditionExpression="#s = :running", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":done": {"S": "done"}, ":running": {"S": "running"},
                                       ":f": {"S": json.dumps(figures, sort_keys=True)}, ":at": {"S": clock.iso()}})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return
    logger.info("month closed", extra={"month": month, "outstanding_points": figures["outstanding_points"],
                                       "difference": figures["reconciled"]["difference"]})


def view(close: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"month": close["month"], "status": close["status"], "requested_at": close["requested_at"],
                           "completed_at": close.get("completed_at")}
    if close.get("figures"):
        out.update(json.loads(close["figures"]))
    else:
        out.update(point_value_fen=float(close["point_value_fen"]),
                   expected_redemption_rate=float(close["expected_redemption_rate"]))
    return out


MAX_LISTED_MONTHS = 60  # within one BatchGetItem's 100 keys
LISTED = ("month", "status", "outstanding_points", "deferred_revenue_fen", "expired", "completed_at")


def listed(first: str, last: str) -> dict[str, Any]:
    """``GET /v1/admin/closes?from=&to=``: the closes that exist among the months ``[first, last]``, oldest first, in
    short (a month never closed is absent). Each month is its own partition, so this is one ``BatchGetItem`` of the
    months' keys (its unprocessed keys once more at most), not a Query."""
    months = rules.months_between(first, last)
    if not months:
        raise AppError("validation_error", [{"field": "to", "issue": "must not be before from"}])
    if len(months) > MAX_LISTED_MONTHS:
        raise AppError("closes_range_too_large", [{"field": "to", "issue": f"at most {MAX_LISTED_MONTHS} months"}])
    found = [view(store.plain(item)) for item in store.batch_get([_key(m) for m in months])]
    items = [{name: close.get(name) for name in LISTED} for close in sorted(found, key=lambda c: c["month"])]
    return {"from": first, "to": last, "items": items}


def get(month: str) -> dict[str, Any]:
    close = _read(month)
    if close is None:
        raise AppError("close_not_found")
    return view(close)
