"""Stock shards, pure parts: splitting stock, choosing shards from what a process knows, refusing from a fresh
read (no AWS)."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.mall import rewards


@given(st.integers(0, 10_000), st.integers(1, 32))
def test_stock_splits_evenly_and_exactly(stock, shards):
    parts = rewards.split_stock(stock, shards)
    assert len(parts) == shards and sum(parts) == stock and max(parts) - min(parts) <= 1


def test_default_shards_grow_with_stock_and_stay_bounded():
    assert [rewards.default_shards(n) for n in (0, 5, 10, 100, 1_000_000)] == [1, 1, 1, 10, 16]


@given(st.dictionaries(st.integers(0, 15), st.integers(0, 20)), st.integers(1, 10))
def test_a_plan_never_takes_more_than_a_shard_holds_and_covers_the_quantity(known, quantity):
    plan = rewards.choose_shards(16, quantity, known)
    if sum(known.values()) < quantity:
        assert plan is None
        return
    assert plan is not None and sum(plan.values()) == quantity
    assert all(0 < units <= known[k] for k, units in plan.items())


def test_without_knowledge_one_random_shard_takes_it_all():
    plans = [rewards.choose_shards(4, 3, None) for _ in range(200)]
    assert all(len(p) == 1 and next(iter(p.values())) == 3 for p in plans if p)
    assert {next(iter(p)) for p in plans if p} == {0, 1, 2, 3}


def test_a_single_shard_holding_enough_is_preferred_and_empty_ones_are_never_chosen():
    known = {0: 0, 1: 5, 2: 1, 3: 0}
    picks = {next(iter(rewards.choose_shards(4, 1, known) or {})) for _ in range(200)}
    assert picks == {1, 2}
    assert rewards.choose_shards(4, 5, known) == {1: 5}
    assert rewards.choose_shards(4, 6, known) == {1: 5, 2: 1}
    assert rewards.choose_shards(4, 7, known) is None


def test_refusals_come_from_a_fresh_read_only(moto_table, monkeypatch):
    rewards.reset_cache()
    rewards.remember_stock("r1", {0: 0, 1: 1})
    assert rewards.known_short("r1", 2) and not rewards.known_short("r1", 1)
    rewards.note_taken("r1", {1: 1})
    assert rewards.known_short("r1", 1)
    later = time.monotonic() + rewards.STOCK_REFUSAL_SECONDS + 0.1
    monkeypatch.setattr(rewards.time, "monotonic", lambda: later)
    assert not rewards.known_short("r1", 1)  # too old to refuse on: read the shards again
    assert not rewards.known_short("unknown", 1)
