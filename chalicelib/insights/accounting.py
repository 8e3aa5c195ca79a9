"""The operator's accounting settings: what a point is worth (fen) and the share of points expected to be redeemed.

Kept as decimal text (``0.5`` fen a point is exact), copied into each month-end close when it is asked for: a later
change moves no closed month.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.core import clock
from chalicelib.insights import store

DEFAULTS = {"point_value_fen": Decimal("1"), "expected_redemption_rate": Decimal("1")}


def read() -> dict[str, Any]:
    """``{point_value_fen: Decimal, expected_redemption_rate: Decimal, updated_at, updated_by}`` (defaults if unset)."""
    out = store.client().get_item(TableName=store.table(), Key=store.SETTINGS_KEY, ConsistentRead=True)
    item = store.plain(out.get("Item") or {})
    return {"point_value_fen": Decimal(str(item.get("point_value_fen", DEFAULTS["point_value_fen"]))),
            "expected_redemption_rate": Decimal(str(item.get("expected_redemption_rate",
                                                             DEFAULTS["expected_redemption_rate"]))),
            "updated_at": item.get("updated_at"), "updated_by": item.get("updated_by")}


def view(settings: dict[str, Any]) -> dict[str, Any]:
    return {"point_value_fen": float(settings["point_value_fen"]),
            "expected_redemption_rate": float(settings["expected_redemption_rate"]),
            "updated_at": settings.get("updated_at"), "updated_by": settings.get("updated_by")}


def put(point_value_fen: Decimal, expected_redemption_rate: Decimal, by: str) -> dict[str, Any]:
    at = clock.iso()
    store.client().put_item(TableName=store.table(), Item={
        **store.SETTINGS_KEY, "point_value_fen": {"S": str(point_value_fen)},
        "expected_redemption_rate": {"S": str(expected_redemption_rate)},
        "updated_at": {"S": at}, "updated_by": {"S": by}})
    return view({"point_value_fen": point_value_fen, "expected_redemption_rate": expected_redemption_rate,
                 "updated_at": at, "updated_by": by})
