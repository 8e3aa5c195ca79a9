"""Settlement with each partner, per month, from the same ledger the members see.

Every ledger entry of kind ``partner`` is written in a transaction that also ``ADD``s it to the partner's month
(``STMT#<YYYY-MM>``, the Asia/Shanghai month of the change): points issued at the partner (it owes the brand
``cost_per_point_fen`` for each), points spent there (the brand owes the partner as much for each) and points
reversed by its refunds. So a statement is one GetItem and agrees with the ledger to the point.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from chalicelib.core.dynamo.tx import Tx
from chalicelib.partners.models import STMT_PREFIX, PartnerItem, StatementItem, partner_pk

CSV_COLUMNS = ("partner_id", "partner_name", "month", "cost_per_point_fen", "points_issued", "points_reversed",
               "points_spent", "partner_owes_fen", "brand_owes_fen", "net_fen")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def count_in(tx: Tx, partner_id: str, month: str, *, issued: int = 0, spent: int = 0, reversed_: int = 0) -> None:
    """Add one ledger entry's points to the partner's month, in the entry's own transaction."""
    item = StatementItem(pk=partner_pk(partner_id), sk=f"{STMT_PREFIX}{month}")
    tx.update("statement", item, [StatementItem.points_issued.add(issued), StatementItem.points_spent.add(spent),
                                  StatementItem.points_reversed.add(reversed_)])


def statement(partner: PartnerItem, month: str) -> dict[str, Any]:
    """``GET /v1/admin/partners/{id}/statements/{month}``: the month's points and what each side owes (fen).
    ``net_fen`` > 0: the partner pays the brand; < 0: the brand pays the partner."""
    try:
        item = StatementItem.get(partner_pk(partner.partner_id), f"{STMT_PREFIX}{month}", consistent_read=True)
        issued, spent, reversed_ = int(item.points_issued), int(item.points_spent), int(item.points_reversed)
    except StatementItem.DoesNotExist:
        issued = spent = reversed_ = 0
    cost = int(partner.cost_per_point_fen)
    partner_owes = (issued - reversed_) * cost
    brand_owes = spent * cost
    return {"partner_id": partner.partner_id, "partner_name": partner.name, "month": month,
            "cost_per_point_fen": cost, "points_issued": issued, "points_reversed": reversed_,
            "points_spent": spent, "partner_owes_fen": partner_owes, "brand_owes_fen": brand_owes,
            "net_fen": partner_owes - brand_owes}


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is quoted as text."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def as_csv(view: dict[str, Any]) -> str:
    """The statement as CSV for Chinese spreadsheets: UTF-8 with a BOM (Excel otherwise reads GBK)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow([_cell(view[c]) for c in CSV_COLUMNS])
    return "\ufeff" + out.getvalue()
