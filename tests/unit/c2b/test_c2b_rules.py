"""The C2B pure rules: shards, the headroom shared below a threshold, what the listings show, status moves."""

from __future__ import annotations

import pytest

from chalicelib.c2b import rules


@pytest.mark.parametrize("headroom", [0, 1, 7, 8, 9, 100, 12345])
def test_the_headroom_is_shared_exactly_and_never_negative(headroom: int):
    parts = rules.share(headroom)
    assert sum(parts) == headroom and min(parts) >= 0 and max(parts) - min(parts) <= 1
    assert len(parts) == rules.SHARDS


def test_a_negative_headroom_shares_nothing():
    assert rules.share(-5) == [0] * rules.SHARDS


def test_the_fast_path_keeps_at_least_one_unit_of_its_shards_headroom():
    assert rules.fits_fast(3, 2) and not rules.fits_fast(2, 2) and not rules.fits_fast(0, 1)
    assert rules.fits_fast(0, -3) and rules.fits_fast(0, 0)


def test_the_fast_path_can_never_reach_the_threshold():
    """Any sequence of fast-path moves keeps demand below the threshold (the invariant the slow path relies on)."""
    import random

    rng = random.Random(7)
    threshold = 50
    heads, demand = rules.share(threshold), 0
    for _ in range(2000):
        n, delta = rng.randrange(rules.SHARDS), rng.choice([1, 2, 3, -1])
        if delta < 0 and demand == 0:
            continue
        if rules.fits_fast(heads[n], delta):
            heads[n] -= delta
            demand += delta
            assert sum(heads) == threshold - demand and demand < threshold
        else:  # the slow path shares the rest out again (or crosses, which ends the loop)
            if demand + delta >= threshold:
                break
            demand += delta
            heads = rules.share(threshold - demand)


def test_a_member_always_counts_on_the_same_shard():
    assert rules.shard_of("c_1") == rules.shard_of("c_1")
    assert len({rules.shard_of(f"c_{n}") for n in range(200)}) == rules.SHARDS


@pytest.mark.parametrize(("value", "shown"), [(0, 0), (99, 99), (100, 100), (109, 100), (999, 990), (1000, 1000),
                                               (1099, 1000), (12345, 12300)])
def test_listings_show_counts_exactly_then_in_steps(value: int, shown: int):
    assert rules.listed(value) == shown


def test_the_popular_key_sorts_by_demand_as_a_string():
    keys = [rules.popularity_key(d, "2026-12-01", "pr_x") for d in (5, 40, 300)]
    assert sorted(keys) == keys


def test_status_moves():
    assert rules.may_move("threshold_reached", "under_review") and rules.may_move("in_production", "launched")
    assert not rules.may_move("open", "launched") and not rules.may_move("launched", "declined")
    assert not rules.may_move("open", "threshold_reached")  # demand reaches it, never an operator
    assert rules.phase_of("open") == rules.OPEN and rules.phase_of("accepted") == rules.REACHED
    assert rules.phase_of("declined") == rules.CLOSED
