"""The savings ledger: what a Plus benefit saved the member, one line per use, netted by a negative line on refund.

Lines are written by the area whose transaction used the benefit (in that transaction): today the points area's
order earning, for the extra points of the Plus multiplier, valued at ``PLUS_POINT_VALUE_FEN`` fen a point. The
multiplier is ``PLUS_POINTS_MULTIPLIER`` (default 1.5) while the member holds Plus (trial or paid) when the order was
paid. ``GET /v1/me/membership`` sums the current membership year's lines by kind.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from chalicelib.core import clock
from chalicelib.core.config import live
from chalicelib.core.dynamo import keys
from chalicelib.core.dynamo.tx import Tx
from chalicelib.membership import records
from chalicelib.membership.models import (
    MEMBERSHIP_SK,
    OLD_SAVING_PREFIX,
    SAVED_SK,
    SAVING_PREFIX,
    USE_SK,
    MembershipItem,
    SavedTotalItem,
    SavingItem,
    UseItem,
)

POINTS_KIND = "points_multiplier"


def points_multiplier() -> Decimal:
    return Decimal(live("PLUS_POINTS_MULTIPLIER"))


def point_value_fen() -> Decimal:
    return Decimal(live("PLUS_POINT_VALUE_FEN"))


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


def put_in(tx: Tx, customer_id: str, kind: str, saved_fen: int, ref: str, member_items: list[dict[str, Any]],
           label: str = "plus_saving") -> None:
    """One ledger line (negative to net a refund) in the caller's transaction, and the year's running total
    ``M#PLUSSAVED`` computed from the member's ``M#`` items the caller read (``member_items``: its points change
    conditions the transaction on the version it read, so no other total can have been written since)."""
    now = clock.now()
    at = clock.iso(now)
    pk = keys.customer_pk(customer_id)
    tx.put(label, SavingItem(pk=pk, sk=f"{SAVING_PREFIX}{at}#{secrets.token_hex(4)}",
                             customer_id=customer_id, kind=kind, saved_fen=saved_fen, ref=ref, at=at),
           SavingItem.pk.does_not_exist())
    items = records.add_raw(records.PlusItems(customer_id, None, None),
                            [r for r in member_items if r.get("pk", {}).get("S") == pk])
    since, by_kind = records.saved_by_kind(records.membership(items.record), items, now)
    if since is None:
        return
    by_kind[kind] = by_kind.get(kind, 0) + saved_fen
    tx.put(f"{label}_total", SavedTotalItem(pk=pk, sk=SAVED_SK, since=records.iso(since), by_kind=by_kind,
                                            updated_at=at))


_seeded: set[str] = set()


def migrate_seed(customer_id: str, raw: dict[str, Any]) -> list[Any]:
    """``Area.migrate_seed``: with a member's first savings line moved (in this process), the running total of the
    year from the old layout's lines (put if absent: a total the new code wrote already is kept)."""
    if not raw["sk"]["S"].startswith(OLD_SAVING_PREFIX) or customer_id in _seeded:
        return []
    _seeded.add(customer_id)
    items = records.query_member(customer_id, consistent=True)
    now = clock.now()
    since, by_kind = records.saved_by_kind(records.membership(items.record), items, now)
    if since is None:
        return []
    return [SavedTotalItem(pk=keys.customer_pk(customer_id), sk=SAVED_SK, since=records.iso(since), by_kind=by_kind,
                           updated_at=clock.iso(now))]


class PlusOverlay:
    """``Area.overlay`` (``core/overlay.py``): Plus as the points and benefits areas see it."""

    def holds(self, member_items: list[dict[str, Any]], at: datetime) -> bool:
        return holds_plus(member_items, at)

    def points_multiplier(self) -> Decimal:
        return points_multiplier()

    def record_points_saving(self, tx: Tx, customer_id: str, extra_points: int, ref: str,
                             member_items: list[dict[str, Any]]) -> None:
        saved = points_value_fen(abs(extra_points))
        put_in(tx, customer_id, POINTS_KIND, saved if extra_points >= 0 else -saved, ref, member_items)

    def record_use(self, tx: Tx, customer_id: str, what: str, ref: str) -> None:
        """``M#PLUSUSE`` in the using transaction: the refund counts it as use (409 ``benefit_already_used``)."""
        tx.update("plus_use", UseItem(pk=keys.customer_pk(customer_id), sk=USE_SK),
                  [UseItem.customer_id.set(customer_id), UseItem.last_at.set(clock.iso()), UseItem.last_what.set(what),
                   UseItem.last_ref.set(ref), UseItem.uses.add(1)])


OVERLAY = PlusOverlay()
