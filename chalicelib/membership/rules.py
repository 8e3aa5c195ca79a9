"""Plus membership rules, pure (no I/O): plans, the state machine none -> trial -> active -> expired, and the dates.

Dates are calendar dates in Asia/Shanghai. A paid period ends on the same local time and day of the month ``months``
later, clamped to the month's end (31 January + 1 month = 28 or 29 February). A renewal extends from the current
expiry, not from today, and keeps the *anchor day* (the day of the month the membership started): 31 January,
renewed monthly, expires 28 February, then 31 March, not 28 March (the drift Paid Memberships Pro shipped in #1406).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from chalicelib.core.calendar import SHANGHAI

Status = Literal["none", "trial", "active", "expired"]
Period = Literal["month", "year"]
TRIAL_DAYS = 7
REFUND_WINDOW_DAYS = 7
REMINDER_DAYS = (15, 3)
MONTHS: dict[str, int] = {"month": 1, "year": 12}


class MembershipRefused(Exception):
    """A transition the state machine does not allow; ``code`` is the error code to answer."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class PlusPlan:
    plan_id: str
    name: str
    price_fen: int
    period: Period
    active: bool = True

    @property
    def months(self) -> int:
        return MONTHS[self.period]


DEFAULT_PLANS: tuple[PlusPlan, ...] = (
    PlusPlan("plus_month", "Plus 月卡", 1500, "month"),
    PlusPlan("plus_year", "Plus 年卡", 9900, "year"),
)


@dataclass(frozen=True)
class Membership:
    """What the member holds: ``kind`` is what the current period is (``trial`` or ``paid``), ``None`` if never any.

    ``anchor_day`` is the day of the month the paid membership began (renewals keep it); ``year_start`` is when the
    current membership year began (the savings statement counts from it); ``trial_used`` survives everything.
    """

    kind: Literal["trial", "paid"] | None = None
    plan_id: str | None = None
    started_at: datetime | None = None
    expires_at: datetime | None = None
    anchor_day: int | None = None
    year_start: datetime | None = None
    trial_used: bool = False

    def status(self, now: datetime) -> Status:
        if self.kind is None or self.expires_at is None:
            return "none"
        if self.expires_at <= now:
            return "expired"
        return "trial" if self.kind == "trial" else "active"


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def add_months_anchored(moment: datetime, months: int, anchor_day: int | None = None) -> datetime:
    """``moment`` (its local time of day kept) ``months`` later on ``anchor_day`` (default: its own day of the month),
    clamped to the target month's last day."""
    at = local(moment)
    index = at.year * 12 + at.month - 1 + months
    year, month = index // 12, index % 12 + 1
    day = min(anchor_day or at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def start_trial(current: Membership, now: datetime) -> Membership:
    """none -> trial (7 days). Refused if the trial was ever used (409 ``trial_already_used``) or the member holds
    Plus now (409 ``already_member``)."""
    if current.trial_used:
        raise MembershipRefused("trial_already_used")
    if current.status(now) in ("trial", "active"):
        raise MembershipRefused("already_member")
    return replace(current, kind="trial", plan_id=None, started_at=now, expires_at=now + timedelta(days=TRIAL_DAYS),
                   trial_used=True, year_start=now, anchor_day=None)


def activate(current: Membership, plan: PlusPlan, paid_at: datetime) -> Membership:
    """A paid period: none/expired -> active from ``paid_at``; trial or active -> active, extended from the current
    expiry (the days already held are never lost), keeping the anchor day of a paid membership."""
    status = current.status(paid_at)
    if status == "active" and current.expires_at is not None:
        anchor = current.anchor_day or local(current.expires_at).day
        return replace(current, kind="paid", plan_id=plan.plan_id,
                       expires_at=add_months_anchored(current.expires_at, plan.months, anchor), anchor_day=anchor)
    if status == "trial" and current.expires_at is not None:
        start = current.expires_at
        return replace(current, kind="paid", plan_id=plan.plan_id, started_at=paid_at,
                       expires_at=add_months_anchored(start, plan.months), anchor_day=local(start).day,
                       year_start=paid_at)
    return replace(current, kind="paid", plan_id=plan.plan_id, started_at=paid_at,
                   expires_at=add_months_anchored(paid_at, plan.months), anchor_day=local(paid_at).day,
                   year_start=paid_at)


def end_now(current: Membership, now: datetime) -> Membership:
    """active -> expired at once (a refund)."""
    if current.status(now) != "active":
        raise MembershipRefused("membership_not_active")
    return replace(current, expires_at=now)


def refundable(current: Membership, order_paid_at: datetime, benefits_used: int, now: datetime) -> str | None:
    """Why a bought membership may not be refunded (an error code), or None: within 7 days of the purchase, still
    active, with no benefit used."""
    if current.status(now) != "active":
        return "membership_not_active"
    if now - order_paid_at > timedelta(days=REFUND_WINDOW_DAYS):
        return "refund_window_passed"
    if benefits_used > 0:
        return "benefit_already_used"
    return None


def merged(absorbed: Membership, survivor: Membership) -> Membership:
    """The survivor keeps the later expiry (and what came with it); the trial counts as used if either used it."""
    later = survivor
    if absorbed.expires_at is not None and (survivor.expires_at is None or absorbed.expires_at > survivor.expires_at):
        later = absorbed
    return replace(later, trial_used=absorbed.trial_used or survivor.trial_used)


def reminder_due(expires_at: datetime, days_before: int) -> datetime:
    """The local day on which the reminder ``days_before`` expiry is sent."""
    return local(expires_at) - timedelta(days=days_before)


def payment_matches(order_amount_fen: int, paid_total_fen: int, order_id: str, out_trade_no: str) -> bool:
    return order_amount_fen == paid_total_fen and order_id == out_trade_no
