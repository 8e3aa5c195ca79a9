"""One member's points, as a pure model: buckets by expiry day, a debt, and the ledger entries each change writes.

The rules, in plain words:

* **Buckets.** Points live in buckets keyed by their expiry day (a business day in Asia/Shanghai). Every bucket
  holds a positive number of points; the balance is the sum of the buckets and never goes below zero.
* **Earning** (purchase, check-in, event, survey, approved claim, compensation, positive adjustment) first repays
  any debt, then puts the rest into the bucket of its expiry day.
* **Spending** (redemption, negative adjustment) takes from the soonest-expiring bucket first. If the balance is
  smaller than the amount, nothing is taken and ``InsufficientPoints`` is raised.
* **Expiry.** Points with expiry day D can be used during the whole of D and expire at the end of D: running
  ``expire(today)`` on any day after D removes the bucket and writes one ``expiry`` entry for it. Running it again
  finds nothing left to expire, so nothing is expired twice. Operations given ``today`` expire what is due first,
  so points that died at midnight cannot be spent before the daily job has run.
* **Refunds.** A refund reverses the order's points in proportion to the money refunded, rounded down on the
  running total (``points_for_refund``), so partial refunds never reverse more than the order awarded and a full
  refund reverses exactly what it awarded. The reversal takes what the member still has, soonest-expiring first.
  If the points were already spent, the balance stops at zero and the shortfall is recorded as a **debt**; the
  member's next earnings repay the debt before anything reaches a bucket.
* **Voided services** (an appointment turned out a no-show, an event check-in revoked) take back what the service
  earned (its survey's points, an event's check-in points) by the same rule as a refund: ``survey_reversal``,
  ``event_reversal``.
* **Orders earn** ``floor(amount_fen * rate * tier multiplier * promotion multiplier / 100)`` points: by default
  1 point per whole yuan, fractions of a point are dropped.

Every change returns the new state and the ledger entries it produced. Each entry carries ``delta`` (change of the
balance), ``balance_after``, and, when the debt moved, ``debt_delta``/``debt_after``; so at any time the balance is
the sum of the ledger's deltas and the debt the sum of its debt deltas.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

EARN_KINDS = frozenset({"purchase", "check_in", "event", "survey", "campaign", "claim", "adjustment", "compensation",
                        "partner"})
SPEND_KINDS = frozenset({"redemption", "adjustment", "partner"})
# partner: an alliance earning refunded; survey_reversal/event_reversal: a voided service's points taken back
REVERSAL_KINDS = frozenset({"refund_reversal", "adjustment", "partner", "survey_reversal", "event_reversal"})
EXPIRY_KIND = "expiry"
KINDS = EARN_KINDS | SPEND_KINDS | REVERSAL_KINDS | {EXPIRY_KIND}

DEFAULT_POINTS_PER_YUAN = Decimal(1)
FEN_PER_YUAN = 100

Number = str | Decimal | float  # float also admits int; floats are read through str()


class PointsError(Exception):
    """Base of the points domain errors; ``code`` is the API error code the service layer maps it to."""

    code = "points_error"


class InsufficientPoints(PointsError):
    code = "insufficient_points"

    def __init__(self, balance: int, requested: int) -> None:
        super().__init__(f"balance {balance} is less than {requested}")
        self.balance = balance
        self.requested = requested


@dataclass(frozen=True, order=True)
class Bucket:
    expires_on: date
    points: int


@dataclass(frozen=True)
class LedgerEntry:
    kind: str
    delta: int
    balance_after: int
    expires_on: date | None = None
    reference: str | None = None
    debt_delta: int = 0
    debt_after: int = 0


@dataclass(frozen=True)
class Change:
    """The outcome of one operation: the new state, the entries to append, and the net change per bucket.

    ``bucket_deltas`` lets a store update only the bucket items that moved (sorted by expiry day, no zeros).
    """

    account: PointsAccount
    entries: tuple[LedgerEntry, ...] = ()
    bucket_deltas: tuple[tuple[date, int], ...] = ()

    def then(self, other: Change) -> Change:
        """Chain a change made on ``self.account`` after this one."""
        merged: dict[date, int] = dict(self.bucket_deltas)
        for day, delta in other.bucket_deltas:
            merged[day] = merged.get(day, 0) + delta
        deltas = tuple(sorted((d, v) for d, v in merged.items() if v))
        return Change(other.account, self.entries + other.entries, deltas)


def _check_kind(kind: str, allowed: frozenset[str]) -> None:
    if kind not in allowed:
        raise ValueError(f"kind {kind!r} is not one of {sorted(allowed)}")


def _check_amount(points: int) -> None:
    if not isinstance(points, int) or isinstance(points, bool):
        raise TypeError("points must be an int")
    if points < 0:
        raise ValueError("points must be >= 0")


@dataclass(frozen=True)
class PointsAccount:
    """A member's balance, debt and live buckets (sorted by expiry day, one per day, all positive)."""

    balance: int = 0
    debt: int = 0
    buckets: tuple[Bucket, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.balance < 0 or self.debt < 0:
            raise ValueError("balance and debt must be >= 0")
        days = [b.expires_on for b in self.buckets]
        if any(b.points <= 0 for b in self.buckets) or days != sorted(set(days)):
            raise ValueError("buckets must be positive, one per day, sorted by expiry day")

    @classmethod
    def from_buckets(cls, buckets: dict[date, int] | list[Bucket], debt: int = 0) -> PointsAccount:
        """Build a consistent state from stored buckets (zero buckets are dropped, the balance is their sum)."""
        pairs = buckets.items() if isinstance(buckets, dict) else ((b.expires_on, b.points) for b in buckets)
        merged: dict[date, int] = {}
        for day, pts in pairs:
            merged[day] = merged.get(day, 0) + pts
        live = tuple(Bucket(d, p) for d, p in sorted(merged.items()) if p)
        return cls(sum(b.points for b in live), debt, live)

    def inconsistencies(self) -> list[str]:
        """What is wrong with a stored state (empty when sound); for reconciliation, not for control flow."""
        problems = []
        if self.balance != sum(b.points for b in self.buckets):
            problems.append("balance differs from the sum of buckets")
        if self.debt and self.balance:
            problems.append("debt outstanding while points are held")
        return problems

    def spendable(self, today: date) -> int:
        """Points still alive on ``today`` (buckets expiring today count: they die at the end of the day)."""
        return sum(b.points for b in self.buckets if b.expires_on >= today)

    def expiring_within(self, today: date, days: int = 30) -> tuple[int, date | None]:
        """Points that expire from ``today`` to ``today + days`` inclusive, and the first such expiry day."""
        due = [b for b in self.buckets if today <= b.expires_on <= today + timedelta(days=days)]
        return sum(b.points for b in due), (due[0].expires_on if due else None)

    # --- operations ------------------------------------------------------------------------------------------

    def expire(self, today: date) -> Change:
        """Remove every bucket whose expiry day is before ``today``; one ``expiry`` entry per bucket."""
        balance = self.balance
        entries = []
        for bucket in self.buckets:
            if bucket.expires_on >= today:
                break
            balance -= bucket.points
            entries.append(
                LedgerEntry(EXPIRY_KIND, -bucket.points, balance, expires_on=bucket.expires_on, debt_after=self.debt)
            )
        if not entries:
            return Change(self)
        live = self.buckets[len(entries) :]
        deltas = tuple((b.expires_on, -b.points) for b in self.buckets[: len(entries)])
        return Change(replace(self, balance=balance, buckets=live), tuple(entries), deltas)

    def earn(
        self,
        points: int,
        expires_on: date,
        *,
        kind: str = "purchase",
        reference: str | None = None,
        today: date | None = None,
    ) -> Change:
        """Credit ``points`` expiring on ``expires_on``; any debt is repaid first.

        With ``today``, due buckets expire first and an ``expires_on`` before ``today`` is refused (``ValueError``).
        """
        _check_kind(kind, EARN_KINDS)
        _check_amount(points)
        if today is not None:
            if expires_on < today:
                raise ValueError("cannot earn points that have already expired")
            first = self.expire(today)
            return first.then(first.account.earn(points, expires_on, kind=kind, reference=reference))
        if points == 0:
            return Change(self)
        repaid = min(self.debt, points)
        credited = points - repaid
        debt = self.debt - repaid
        balance = self.balance + credited
        buckets = {b.expires_on: b.points for b in self.buckets}
        if credited:
            buckets[expires_on] = buckets.get(expires_on, 0) + credited
        entry = LedgerEntry(
            kind,
            credited,
            balance,
            expires_on=expires_on if credited else None,
            reference=reference,
            debt_delta=-repaid,
            debt_after=debt,
        )
        account = PointsAccount(balance, debt, tuple(Bucket(d, p) for d, p in sorted(buckets.items())))
        return Change(account, (entry,), ((expires_on, credited),) if credited else ())

    def spend(
        self, points: int, *, kind: str = "redemption", reference: str | None = None, today: date | None = None
    ) -> Change:
        """Debit ``points`` soonest-expiring first, or raise ``InsufficientPoints`` and change nothing."""
        _check_kind(kind, SPEND_KINDS)
        _check_amount(points)
        if today is not None:
            first = self.expire(today)
            return first.then(first.account.spend(points, kind=kind, reference=reference))
        if points > self.balance:
            raise InsufficientPoints(self.balance, points)
        if points == 0:
            return Change(self)
        return self._take(points, kind, reference, shortfall=0)

    def reverse(
        self, points: int, *, kind: str = "refund_reversal", reference: str | None = None, today: date | None = None
    ) -> Change:
        """Take back ``points`` (a refund): what is held is debited, the rest becomes debt; never refused."""
        _check_kind(kind, REVERSAL_KINDS)
        _check_amount(points)
        if today is not None:
            first = self.expire(today)
            return first.then(first.account.reverse(points, kind=kind, reference=reference))
        if points == 0:
            return Change(self)
        taken = min(points, self.balance)
        return self._take(taken, kind, reference, shortfall=points - taken)

    def _take(self, points: int, kind: str, reference: str | None, shortfall: int) -> Change:
        remaining = points
        kept: list[Bucket] = []
        deltas: list[tuple[date, int]] = []
        for bucket in self.buckets:
            used = min(remaining, bucket.points)
            remaining -= used
            if used:
                deltas.append((bucket.expires_on, -used))
            if bucket.points > used:
                kept.append(Bucket(bucket.expires_on, bucket.points - used))
        balance = self.balance - points
        debt = self.debt + shortfall
        entry = LedgerEntry(kind, -points, balance, reference=reference, debt_delta=shortfall, debt_after=debt)
        return Change(PointsAccount(balance, debt, tuple(kept)), (entry,), tuple(deltas))


# --- amounts ---------------------------------------------------------------------------------------------------


def _decimal(value: Number) -> Decimal:
    # str() first so that 1.1 means 1.1, not 1.100000000000000088817841970012523.
    result = value if isinstance(value, Decimal) else Decimal(str(value))
    if not result.is_finite() or result < 0:
        raise ValueError(f"{value!r} is not a finite, non-negative number")
    return result


def earn_for_order(
    amount_fen: int,
    tier_multiplier: Number = 1,
    promotion_multiplier: Number = 1,
    rate: Number = DEFAULT_POINTS_PER_YUAN,
) -> int:
    """Points for an order: ``floor(amount_fen / 100 * rate * tier_multiplier * promotion_multiplier)``.

    ``rate`` is points per yuan. Computed in exact decimals and rounded down once, at the end, so 1.5x on
    99.99 yuan is 149 points, not 148 or 150.
    """
    _check_amount(amount_fen)
    product = Decimal(amount_fen) * _decimal(rate) * _decimal(tier_multiplier) * _decimal(promotion_multiplier)
    return int((product / FEN_PER_YUAN).to_integral_value(rounding=ROUND_FLOOR))


def points_for_refund(
    original_points: int,
    original_amount_fen: int,
    refund_amount_fen: int,
    already_reversed: int,
    already_refunded_fen: int | None = None,
) -> int:
    """Points to reverse for a refund of ``refund_amount_fen`` of an order that awarded ``original_points``.

    With ``already_refunded_fen`` (the money refunded before this refund) the reversal is computed on the
    running total: ``floor(original_points * refunded_so_far / original_amount_fen) - already_reversed``, so any
    sequence of partial refunds adds up to exactly ``original_points`` once the whole amount is refunded.
    Without it each refund is rounded down on its own, and a refund of the whole amount takes all that is left.
    Either way the result is never negative and the total never exceeds ``original_points``.
    """
    for name, value in (
        ("original_points", original_points),
        ("original_amount_fen", original_amount_fen),
        ("refund_amount_fen", refund_amount_fen),
        ("already_reversed", already_reversed),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0")
    left = max(original_points - already_reversed, 0)
    if left == 0 or refund_amount_fen == 0:
        return 0
    if original_amount_fen == 0:
        return left  # a free order that awarded points: any refund takes them back
    if already_refunded_fen is None:
        if refund_amount_fen >= original_amount_fen:
            return left
        return min(left, original_points * refund_amount_fen // original_amount_fen)
    if already_refunded_fen < 0:
        raise ValueError("already_refunded_fen must be >= 0")
    refunded = min(already_refunded_fen + refund_amount_fen, original_amount_fen)
    due_in_total = original_points * refunded // original_amount_fen
    return min(left, max(due_in_total - already_reversed, 0))


__all__ = [
    "EARN_KINDS",
    "EXPIRY_KIND",
    "KINDS",
    "REVERSAL_KINDS",
    "SPEND_KINDS",
    "Bucket",
    "Change",
    "InsufficientPoints",
    "LedgerEntry",
    "PointsAccount",
    "PointsError",
    "earn_for_order",
    "points_for_refund",
]
