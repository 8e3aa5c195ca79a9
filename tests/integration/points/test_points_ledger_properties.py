"""Property-based: any sequence of earns, spends, orders, refunds, expiries and days passing, run through the
real store on DynamoDB Local, leaves balance = sum of ledger = sum of live buckets, never negative, and the same
state as the pure model (``chalicelib.points.rules``) given the same operations.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from chalicelib.core import clock
from chalicelib.core.calendar import SHANGHAI, business_day, points_expiry
from chalicelib.core.errors import AppError
from chalicelib.identity import directory
from chalicelib.points import earn_and_spend, jobs, orders, programme
from chalicelib.points.rules import InsufficientPoints, PointsAccount
from tests.support.points_world import assert_consistent

# Slow (left out of `make test-fast`): property tests: many generated histories.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.model = PointsAccount()
        self.orders: list[tuple[str, int, int]] = []  # (order_no, amount, refunded)
        self.customer_id = ""

    @initialize()
    def new_member(self) -> None:
        clock.set_now(START)
        programme.reset_cache()
        phone = "139" + str(uuid.uuid4().int)[:8]
        self.customer_id = directory.create_customer(directory.Identity("app", "app", phone), phone=phone).customer_id

    @property
    def today(self) -> date:
        return business_day(clock.now())

    @rule(pts=st.integers(0, 500))
    def earn(self, pts: int) -> None:
        earn_and_spend.earn(self.customer_id, pts, kind="event", reference="ev")
        self.model = self.model.earn(pts, points_expiry(self.today), kind="event", today=self.today).account

    @rule(pts=st.integers(1, 800))
    def spend(self, pts: int) -> None:
        try:
            expected = self.model.spend(pts, today=self.today).account
        except InsufficientPoints:
            with pytest.raises(AppError) as caught:
                earn_and_spend.spend(self.customer_id, pts, reference="r")
            assert caught.value.code == "insufficient_points"
            return
        earn_and_spend.spend(self.customer_id, pts, reference="r")
        self.model = expected

    @rule(amount=st.integers(0, 60_000))
    def order(self, amount: int) -> None:
        order_no = "O" + uuid.uuid4().hex[:12]
        body, created = orders.ingest_order(
            order_no, customer_id=self.customer_id, phone=None, amount_fen=amount, channel="store", store_id=None,
            paid_at=clock.now(),
        )
        assert created
        self.model = self.model.earn(body["points_awarded"], points_expiry(self.today), today=self.today).account
        self.orders.append((order_no, amount, 0))

    @rule(data=st.data())
    def refund(self, data: st.DataObject) -> None:
        open_orders = [i for i, (_, amount, refunded) in enumerate(self.orders) if refunded < amount]
        if not open_orders:
            return
        index = data.draw(st.sampled_from(open_orders))
        order_no, amount, refunded = self.orders[index]
        part = data.draw(st.integers(1, amount - refunded))
        body, _ = orders.refund_order(order_no, part, None)
        self.model = self.model.reverse(body["points_reversed"], today=self.today).account
        self.orders[index] = (order_no, amount, refunded + part)

    @rule(days=st.sampled_from([1, 7, 30, 45, 200, 400]))
    def days_pass(self, days: int) -> None:
        clock.set_now(clock.now() + timedelta(days=days))

    @rule()
    def nightly_job(self) -> None:
        jobs.expire_due(self.today, since=START.date())
        self.model = self.model.expire(self.today).account

    @invariant()
    def consistent(self) -> None:
        if self.customer_id:
            assert_consistent(self.customer_id, self.model)

    def teardown(self) -> None:
        clock.set_now(None)


def test_ledger_buckets_and_balance_agree_for_any_sequence(ddb_table: str) -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25, stateful_step_count=14, deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
