from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.core.calendar import points_expiry
from chalicelib.points.rules import (
    Bucket,
    InsufficientPoints,
    LedgerEntry,
    PointsAccount,
    earn_for_order,
    points_for_refund,
)

D = date


def apply_all(account, *steps):
    """Run ``steps`` (callables account -> Change) and return the final account and all entries."""
    entries = []
    for step in steps:
        change = step(account)
        account = change.account
        entries.extend(change.entries)
    return account, entries


# --- earning and spending --------------------------------------------------------------------------------------


def test_earn_adds_to_the_bucket_of_its_expiry_day():
    change = PointsAccount().earn(100, D(2027, 11, 30), reference="O1")
    assert change.account == PointsAccount(100, 0, (Bucket(D(2027, 11, 30), 100),))
    assert change.entries == (LedgerEntry("purchase", 100, 100, D(2027, 11, 30), "O1"),)
    again = change.account.earn(20, D(2027, 11, 30), kind="check_in")
    assert again.account.buckets == (Bucket(D(2027, 11, 30), 120),)
    assert again.entries[0].balance_after == 120


def test_spend_takes_the_soonest_expiring_first():
    account, _ = apply_all(
        PointsAccount(),
        lambda a: a.earn(50, D(2027, 12, 31)),
        lambda a: a.earn(30, D(2027, 6, 30)),
        lambda a: a.earn(40, D(2027, 9, 30)),
    )
    change = account.spend(60, reference="R1")
    assert change.account.buckets == (Bucket(D(2027, 9, 30), 10), Bucket(D(2027, 12, 31), 50))
    assert change.bucket_deltas == ((D(2027, 6, 30), -30), (D(2027, 9, 30), -30))
    assert change.entries == (LedgerEntry("redemption", -60, 60, None, "R1"),)


def test_spend_more_than_the_balance_is_refused_and_changes_nothing():
    account = PointsAccount().earn(50, D(2027, 12, 31)).account
    with pytest.raises(InsufficientPoints) as caught:
        account.spend(51)
    assert (caught.value.balance, caught.value.requested, caught.value.code) == (50, 51, "insufficient_points")
    assert account.balance == 50
    assert account.spend(50).account == PointsAccount()


def test_negative_amounts_and_unknown_kinds_are_refused():
    with pytest.raises(ValueError):
        PointsAccount().earn(-1, D(2027, 1, 1))
    with pytest.raises(ValueError):
        PointsAccount().earn(1, D(2027, 1, 1), kind="redemption")
    with pytest.raises(ValueError):
        PointsAccount().spend(1, kind="purchase")


# --- expiry ----------------------------------------------------------------------------------------------------


def test_points_are_usable_on_their_expiry_day_and_gone_the_day_after():
    account = PointsAccount().earn(70, D(2027, 11, 30)).account
    assert account.expire(D(2027, 11, 30)).entries == ()
    assert account.spend(70, today=D(2027, 11, 30)).account.balance == 0
    change = account.expire(D(2027, 12, 1))
    assert change.account == PointsAccount()
    assert change.entries == (LedgerEntry("expiry", -70, 0, D(2027, 11, 30)),)
    with pytest.raises(InsufficientPoints):
        account.spend(1, today=D(2027, 12, 1))


def test_expiry_writes_one_entry_per_bucket_and_running_twice_expires_nothing_twice():
    account, _ = apply_all(
        PointsAccount(),
        lambda a: a.earn(10, D(2027, 10, 31)),
        lambda a: a.earn(20, D(2027, 11, 30)),
        lambda a: a.earn(30, D(2027, 12, 31)),
    )
    first = account.expire(D(2027, 12, 15))
    assert [(e.kind, e.delta, e.balance_after, e.expires_on) for e in first.entries] == [
        ("expiry", -10, 50, D(2027, 10, 31)),
        ("expiry", -20, 30, D(2027, 11, 30)),
    ]
    second = first.account.expire(D(2027, 12, 15))
    assert second.entries == () and second.account == first.account


def test_spend_with_today_expires_due_points_before_spending():
    account, _ = apply_all(
        PointsAccount(), lambda a: a.earn(10, D(2027, 10, 31)), lambda a: a.earn(30, D(2027, 12, 31))
    )
    change = account.spend(25, today=D(2027, 11, 1))
    assert [e.kind for e in change.entries] == ["expiry", "redemption"]
    assert change.account.buckets == (Bucket(D(2027, 12, 31), 5),)
    assert change.bucket_deltas == ((D(2027, 10, 31), -10), (D(2027, 12, 31), -25))


def test_expiring_within_30_days():
    account, _ = apply_all(
        PointsAccount(),
        lambda a: a.earn(10, D(2027, 11, 30)),
        lambda a: a.earn(20, D(2027, 12, 31)),
        lambda a: a.earn(40, D(2028, 1, 31)),
    )
    assert account.expiring_within(D(2027, 11, 15)) == (10, D(2027, 11, 30))
    assert account.expiring_within(D(2027, 12, 1)) == (20, D(2027, 12, 31))
    assert account.expiring_within(D(2027, 12, 1), days=61) == (60, D(2027, 12, 31))
    assert account.expiring_within(D(2026, 1, 1)) == (0, None)


# --- refunds and debt ------------------------------------------------------------------------------------------


def test_refund_after_spending_leaves_zero_and_a_debt_repaid_by_the_next_earning():
    account, _ = apply_all(PointsAccount(), lambda a: a.earn(100, D(2027, 11, 30)), lambda a: a.spend(80))
    refund = account.reverse(100, reference="O1")
    assert refund.account == PointsAccount(0, 80, ())
    assert refund.entries == (LedgerEntry("refund_reversal", -20, 0, None, "O1", debt_delta=80, debt_after=80),)

    partial = refund.account.earn(50, D(2027, 12, 31))
    assert partial.account == PointsAccount(0, 30, ())
    assert partial.entries[0].delta == 0 and partial.entries[0].debt_delta == -50
    assert partial.bucket_deltas == ()

    rest = partial.account.earn(45, D(2027, 12, 31))
    assert rest.account == PointsAccount(15, 0, (Bucket(D(2027, 12, 31), 15),))
    assert rest.entries[0] == LedgerEntry("purchase", 15, 15, D(2027, 12, 31), None, debt_delta=-30, debt_after=0)


def test_refund_reversal_takes_soonest_expiring_first():
    account, _ = apply_all(PointsAccount(), lambda a: a.earn(30, D(2028, 1, 31)), lambda a: a.earn(30, D(2027, 1, 31)))
    assert account.reverse(40).account.buckets == (Bucket(D(2028, 1, 31), 20),)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((100, 10_000, 10_000, 0), 100),  # full refund
        ((100, 10_000, 5_000, 0), 50),  # half
        ((100, 10_000, 3_333, 0), 33),  # rounded down
        ((100, 10_000, 10_000, 60), 40),  # only what is left
        ((100, 10_000, 20_000, 0), 100),  # over-refund is capped
        ((0, 10_000, 10_000, 0), 0),
        ((5, 0, 1, 0), 5),  # free order that awarded points
    ],
)
def test_points_for_refund_examples(args, expected):
    assert points_for_refund(*args) == expected


def test_partial_refunds_on_the_running_total_add_up_exactly():
    # 7 points for 3.00 yuan, refunded a yuan at a time: 2, 2, 3 (floor of 7/3, 14/3, 21/3 minus what was reversed).
    reversed_so_far, refunded, steps = 0, 0, []
    for _ in range(3):
        step = points_for_refund(7, 300, 100, reversed_so_far, already_refunded_fen=refunded)
        steps.append(step)
        reversed_so_far += step
        refunded += 100
    assert steps == [2, 2, 3]


@given(
    st.integers(min_value=0, max_value=100_000),
    st.integers(min_value=1, max_value=10_000_000),
    st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=8),
)
@settings(max_examples=300)
def test_refund_reversals_never_exceed_the_award_and_a_full_refund_reverses_it_all(points, amount, cuts):
    refunds = []
    left = amount
    for cut in cuts:
        piece = min(cut, left)
        if piece == 0:
            break
        refunds.append(piece)
        left -= piece
    if left:  # the rest, so that the whole amount is refunded
        refunds.append(left)
    reversed_so_far = refunded = 0
    for piece in refunds:
        step = points_for_refund(points, amount, piece, reversed_so_far, already_refunded_fen=refunded)
        assert step >= 0
        reversed_so_far += step
        refunded += piece
        assert reversed_so_far <= points
        # proportional, rounded down on the running total
        assert reversed_so_far == points * refunded // amount
    assert reversed_so_far == points


@given(
    st.integers(min_value=0, max_value=100_000),
    st.integers(min_value=1, max_value=1_000_000),
    st.lists(st.integers(min_value=0, max_value=2_000_000), max_size=8),
)
@settings(max_examples=200)
def test_refunds_without_the_running_total_still_never_exceed_the_award(points, amount, refunds):
    reversed_so_far = 0
    for piece in refunds:
        step = points_for_refund(points, amount, piece, reversed_so_far)
        assert 0 <= step <= points * piece // amount or piece >= amount
        reversed_so_far += step
    assert reversed_so_far <= points


# --- points for an order ---------------------------------------------------------------------------------------


def test_one_point_per_whole_yuan_by_default():
    assert earn_for_order(9_999) == 99
    assert earn_for_order(10_000) == 100
    assert earn_for_order(99) == 0


def test_multipliers_are_applied_before_rounding_down_once():
    assert earn_for_order(9_999, tier_multiplier=Decimal("1.5")) == 149
    assert earn_for_order(9_999, tier_multiplier="1.5", promotion_multiplier=2) == 299
    assert earn_for_order(10_000, rate=2) == 200


def test_float_multipliers_are_read_as_written():
    # 10000 * 0.57 is 5699.999... in binary floating point; 0.57 means 0.57.
    assert earn_for_order(10_000, tier_multiplier=0.57) == 57


@given(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10, places=2),
    st.decimals(min_value=0, max_value=10, places=2),
)
@settings(max_examples=200)
def test_order_points_are_the_floor_of_the_exact_product(amount, tier, promo):
    exact = Fraction(amount) * Fraction(tier) * Fraction(promo) / 100
    result = earn_for_order(amount, tier, promo)
    assert result <= exact < result + 1


# --- invariants over any sequence of operations -----------------------------------------------------------------


class PointsMachine(RuleBasedStateMachine):
    """Random earns, spends, refunds and expiries, checked against an independent running tally."""

    @initialize()
    def start(self):
        self.account = PointsAccount()
        self.entries = []
        self.today = D(2026, 11, 23)
        self.orders = []  # [points, amount_fen, reversed, refunded_fen]
        self.expired_days = set()

    def _apply(self, change):
        # The bucket deltas tell a store what to write; they must add up to the entries' deltas.
        assert sum(d for _, d in change.bucket_deltas) == sum(e.delta for e in change.entries)
        assert all(d != 0 for _, d in change.bucket_deltas)
        before = self.account.balance
        for entry in change.entries:
            before += entry.delta
            assert entry.balance_after == before
        self.account = change.account
        self.entries.extend(change.entries)

    @rule(days=st.integers(min_value=0, max_value=200))
    def advance(self, days):
        self.today += timedelta(days=days)

    @rule(
        amount=st.integers(min_value=0, max_value=50_000),
        promo=st.sampled_from([1, 2, Decimal("1.5")]),
        later=st.integers(min_value=0, max_value=400),
        use_horizon=st.booleans(),
    )
    def order(self, amount, promo, later, use_horizon):
        points = earn_for_order(amount, 1, promo)
        expires_on = points_expiry(self.today) if use_horizon else self.today + timedelta(days=later)
        debt_before = self.account.debt
        change = self.account.earn(points, expires_on, reference=f"O{len(self.orders)}", today=self.today)
        self._apply(change)
        earned = [e for e in change.entries if e.kind == "purchase"]
        if points:
            assert earned[0].delta == max(points - debt_before, 0)
            assert earned[0].debt_delta == -min(points, debt_before)
        self.orders.append([points, amount, 0, 0])

    @rule(points=st.integers(min_value=1, max_value=300), kind=st.sampled_from(["check_in", "event", "compensation"]))
    def activity(self, points, kind):
        self._apply(self.account.earn(points, self.today + timedelta(days=30), kind=kind, today=self.today))

    @rule(points=st.integers(min_value=0, max_value=600))
    def spend(self, points):
        alive = self.account.spendable(self.today)
        if points > alive:
            with pytest.raises(InsufficientPoints):
                self.account.spend(points, today=self.today)
            return
        before = self.account
        change = self.account.spend(points, today=self.today)
        self._apply(change)
        # soonest-expiring first: every bucket before the last one touched is gone
        touched = [d for d, delta in change.bucket_deltas if delta < 0]
        if touched:
            last = max(touched)
            assert all(b.expires_on >= last for b in self.account.buckets)
        assert self.account.balance == before.spendable(self.today) - points

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def refund(self, data):
        index = data.draw(st.integers(min_value=0, max_value=len(self.orders) - 1))
        points, amount, already, refunded = self.orders[index]
        assume(refunded < amount)
        piece = data.draw(st.integers(min_value=1, max_value=amount - refunded))
        to_reverse = points_for_refund(points, amount, piece, already, already_refunded_fen=refunded)
        alive = self.account.spendable(self.today)
        debt_before = self.account.debt
        change = self.account.reverse(to_reverse, reference=f"O{index}", today=self.today)
        self._apply(change)
        taken = min(to_reverse, alive)
        assert self.account.debt == debt_before + (to_reverse - taken)
        assert self.account.balance == alive - taken
        self.orders[index] = [points, amount, already + to_reverse, refunded + piece]
        if refunded + piece == amount:
            assert already + to_reverse == points

    @rule()
    def expire(self):
        due = [b for b in self.account.buckets if b.expires_on < self.today]
        change = self.account.expire(self.today)
        self._apply(change)
        assert [(e.kind, e.expires_on, -e.delta) for e in change.entries] == [
            ("expiry", b.expires_on, b.points) for b in due
        ]
        for entry in change.entries:
            assert entry.expires_on not in self.expired_days  # never expired twice
            self.expired_days.add(entry.expires_on)
        again = self.account.expire(self.today)
        assert again.entries == () and again.account == self.account

    @invariant()
    def balance_is_the_ledger_and_the_buckets(self):
        assert self.account.balance == sum(e.delta for e in self.entries)
        assert self.account.balance == sum(b.points for b in self.account.buckets)
        if self.entries:
            assert self.entries[-1].balance_after == self.account.balance

    @invariant()
    def never_negative(self):
        assert self.account.balance >= 0
        assert self.account.debt >= 0
        assert all(b.points > 0 for b in self.account.buckets)
        assert all(e.balance_after >= 0 and e.debt_after >= 0 for e in self.entries)

    @invariant()
    def debt_is_its_ledger_and_only_exists_at_zero(self):
        assert self.account.debt == sum(e.debt_delta for e in self.entries)
        assert self.account.debt == 0 or self.account.balance == 0
        assert self.account.inconsistencies() == []

    @invariant()
    def reversals_never_exceed_awards(self):
        assert all(reversed_ <= points for points, _, reversed_, _ in self.orders)


PointsMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestPointsLedger = pytest.mark.slow(PointsMachine.TestCase)  # 150 histories of 40 steps


def test_inconsistencies_reports_a_drifted_balance():
    drifted = PointsAccount(10, 0, (Bucket(D(2027, 1, 31), 9),))
    assert drifted.inconsistencies() == ["balance differs from the sum of buckets"]


def test_from_buckets_builds_a_sound_state():
    account = PointsAccount.from_buckets({D(2027, 2, 28): 5, D(2027, 1, 31): 7, D(2027, 3, 31): 0})
    assert account == PointsAccount(12, 0, (Bucket(D(2027, 1, 31), 7), Bucket(D(2027, 2, 28), 5)))
    with pytest.raises(ValueError):
        PointsAccount(5, 0, (Bucket(D(2027, 1, 31), 5), Bucket(D(2027, 1, 1), 0)))
