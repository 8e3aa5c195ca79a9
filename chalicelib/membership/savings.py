"""The savings ledger: what a Plus benefit saved the member, one line per use, netted by a negative line on refund.

Lines are written by the area whose transaction used the benefit (in that transaction): today the points area's
order earning, for the extra points of the Plus multiplier, valued at ``PLUS_POINT_VALUE_FEN`` fen a point. The
multiplier is ``PLUS_POINTS_MULTIPLIER`` (default 1.5) while the member holds Plus (trial or paid) when the order was
paid. ``GET /v1/me/membership`` sums the current membership year's lines by kind.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from chalicelib.core import clock
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx
from chalicelib.membership import records
from chalicelib.membership.models import MEMBERSHIP_SK, SAVING_PREFIX, USE_SK, MembershipItem, SavingItem, UseItem

POINTS_KIND = "points_multiplier"


def points_multiplier() -> Decimal:
    return Decimal(os.environ.get("PLUS_POINTS_MULTIPLIER") or "1.5")


def point_value_fen() -> Decimal:
    return Decimal(os.environ.get("PLUS_POINT_VALUE_FEN") or "1")


def holds_plus(member_items: list[dict[str, Any]], at: datetime) -> bool:
    """Whether the member held Plus (trial or paid) at ``at``, from the ``M#`` items a caller already read."""
    raw = next((r for r in member_items if r.get("sk", {}).get("S") == MEMBERSHIP_SK), None)
    if raw is None:
        return False
    held = records.membership(MembershipItem.from_raw_data(raw))
    began = held.started_at if held.kind == "trial" else held.year_start
    return held.status(at) in ("trial", "active") and (began is None or began <= at)


def points_value_fen(points: int) -> int:
    return int((Decimal(points) * point_value_fen()).to_integral_value(rounding=ROUND_FLOOR))


def put_in(tx: Tx, customer_id: str, kind: str, saved_fen: int, ref: str, label: str = "plus_saving") -> None:
    """One ledger line (negative to net a refund) in the caller's transaction."""
    at = clock.iso()
    tx.put(label, SavingItem(pk=keys.customer_pk(customer_id), sk=f"{SAVING_PREFIX}{at}#{secrets.token_hex(4)}",
                             customer_id=customer_id, kind=kind, saved_fen=saved_fen, ref=ref, at=at),
           SavingItem.pk.does_not_exist())


class PlusOverlay:
    """``Area.overlay`` (``core/overlay.py``): Plus as the points and benefits areas see it."""

    def holds(self, member_items: list[dict[str, Any]], at: datetime) -> bool:
        return holds_plus(member_items, at)

    def points_multiplier(self) -> Decimal:
        return points_multiplier()

    def record_points_saving(self, tx: Tx, customer_id: str, extra_points: int, ref: str) -> None:
        saved = points_value_fen(abs(extra_points))
        put_in(tx, customer_id, POINTS_KIND, saved if extra_points >= 0 else -saved, ref)

    def record_use(self, tx: Tx, customer_id: str, what: str, ref: str) -> None:
        """``M#PLUSUSE`` in the using transaction: the refund counts it as use (409 ``benefit_already_used``)."""
        tx.update("plus_use", UseItem(pk=keys.customer_pk(customer_id), sk=USE_SK),
                  [UseItem.customer_id.set(customer_id), UseItem.last_at.set(clock.iso()), UseItem.last_what.set(what),
                   UseItem.last_ref.set(ref), UseItem.uses.add(1)])


OVERLAY = PlusOverlay()
