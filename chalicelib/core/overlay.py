"""A paid overlay on the earned tiers (Plus), as the areas below it see it: a port, not the membership itself.

The points area multiplies an order's points for a member who holds the overlay and records what that saved them;
the benefits area and the mall let only such members claim a benefit or redeem a reward marked for it, and tell the
overlay of each such use in the same transaction (``record_use``: a bought overlay is not refunded once used).
Neither imports the area that sells the overlay: that area names an ``Overlay`` in its manifest (``Area.overlay``)
and ``overlay()`` finds it. With none installed nobody holds it, and the multiplier is never applied.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol

from chalicelib.core.dynamo.tx import Tx


class Overlay(Protocol):
    def holds(self, member_items: list[dict[str, Any]], at: datetime) -> bool:
        """Whether the member held it at ``at``, from the raw ``M#`` items the caller's Query already read."""

    def points_multiplier(self) -> Decimal:
        """The factor on an order's points (on top of the tier's and the promotion's) while the member holds it."""

    def record_points_saving(self, tx: Tx, customer_id: str, extra_points: int, ref: str,
                             member_items: list[dict[str, Any]]) -> None:
        """What ``extra_points`` of the multiplier saved the member, in ``tx`` (negative to net a refund), given the
        member's raw ``M#`` items the caller's points change read (the running total is kept from them)."""

    def record_use(self, tx: Tx, customer_id: str, what: str, ref: str) -> None:
        """The member used something only the overlay gives (``what``: ``benefit`` or ``reward``, ``ref`` its id), in
        the transaction that uses it."""


class _NoOverlay:
    def holds(self, member_items: list[dict[str, Any]], at: datetime) -> bool:
        return False

    def points_multiplier(self) -> Decimal:
        return Decimal(1)

    def record_points_saving(self, tx: Tx, customer_id: str, extra_points: int, ref: str,
                             member_items: list[dict[str, Any]]) -> None:
        return None

    def record_use(self, tx: Tx, customer_id: str, what: str, ref: str) -> None:
        return None


@cache
def overlay() -> Overlay:
    """The installed areas' overlay (at most one), or one that nobody holds."""
    from chalicelib.core.area import installed, resolve

    named = [area.overlay for area in installed() if area.overlay]
    if len(named) > 1:
        raise ValueError(f"more than one area declares an overlay: {named}")
    return resolve(named[0]) if named else _NoOverlay()
