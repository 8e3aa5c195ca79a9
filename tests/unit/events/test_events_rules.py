"""The events' pure rules: circles, the registration and check-in windows, waitlist order and positions, codes."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.events import rules
from tests.support.clock import at

START = at(2026, 12, 10, 14, 0)
END = START + timedelta(hours=3)


def test_an_audience_of_tiers_and_tags_needs_both():
    both = rules.Audience(tiers=("gold", "platinum"), tags=("parent", "tea"))
    assert both.includes("gold", {"tea"})
    assert not both.includes("gold", set())
    assert not both.includes("base", {"parent"})
    assert rules.Audience().includes("base", ())
    assert rules.Audience(tags=("parent",)).includes("base", ["parent", "x"])


def test_invite_only_without_an_audience_is_for_the_invited_alone():
    closed = rules.Audience(invite_only=True)
    assert not closed.includes("platinum", {"anything"})
    assert rules.visible(closed, "base", (), invited=True, registered=False, host=False)
    assert rules.visible(closed, "base", (), invited=False, registered=False, host=True)
    assert not rules.visible(closed, "base", (), invited=False, registered=False, host=False)
    # invite-only with an audience: the audience sees it (registering needs the invitation)
    assert rules.Audience(tiers=("gold",), invite_only=True).includes("gold", ())


def test_registration_closes_at_its_time_and_never_after_the_end():
    closes = START - timedelta(days=1)
    assert rules.registration_open("approved", closes, END, closes - timedelta(seconds=1))
    assert not rules.registration_open("approved", closes, END, closes)
    assert not rules.registration_open("pending_approval", closes, END, closes - timedelta(days=1))
    assert not rules.registration_open("approved", END + timedelta(days=1), END, END)


def test_check_in_opens_an_hour_before_the_start_and_closes_at_the_end():
    assert not rules.check_in_open(START, END, START - timedelta(hours=1, seconds=1))
    assert rules.check_in_open(START, END, START - timedelta(hours=1))
    assert rules.check_in_open(START, END, END)
    assert not rules.check_in_open(START, END, END + timedelta(seconds=1))


def test_positions_are_one_to_n_in_waitlist_order_with_no_gap_after_a_leave():
    first_come = [rules.wait_sk(rules.OPEN_GROUP, t) for t in (1, 2, 3, 4)]
    assert rules.positions(first_come) == {sk: n for n, sk in enumerate(first_come, start=1)}
    del first_come[1]  # the second leaves
    assert sorted(rules.positions(first_come).values()) == [1, 2, 3]
    assert rules.position(first_come[-1], first_come) == 3
    assert rules.position(rules.wait_sk(rules.OPEN_GROUP, 5), first_come) == 4  # a newcomer joins at the end
    # ticket numbers sort numerically (zero-padded), past 9 and 99
    assert rules.position(rules.wait_sk("1", 10), [rules.wait_sk("1", 9), rules.wait_sk("1", 100)]) == 2


def test_tiers_first_serves_the_priority_group_first_then_first_come():
    group = rules.waitlist_group("tiers_first", ("gold", "platinum"), "gold")
    assert group == rules.PRIORITY_GROUP
    assert rules.waitlist_group("tiers_first", ("gold",), "base") == rules.OPEN_GROUP
    assert rules.waitlist_group("first_come", ("gold",), "gold") == rules.OPEN_GROUP
    waiting = [rules.wait_sk("1", 1), rules.wait_sk("1", 2)]
    late_gold = rules.wait_sk(group, 3)
    assert rules.position(late_gold, waiting) == 1
    assert rules.positions([*waiting, late_gold])[waiting[0]] == 2


def test_codes_are_compared_as_salted_hashes_whatever_the_case_and_spaces():
    code = rules.new_code()
    assert len(code) == rules.CODE_LENGTH and set(code) <= set(rules.CODE_ALPHABET)
    stored = rules.hash_code("salt", code)
    assert code not in stored
    assert rules.code_matches("salt", stored, f" {code[:4].lower()} {code[4:]} ")
    assert not rules.code_matches("other", stored, code)
    assert not rules.code_matches("salt", stored, code[:-1])


def test_schedules_that_cannot_be():
    now = START - timedelta(days=3)
    assert rules.schedule_issue(START, END, None, now) is None
    assert rules.schedule_issue(START, START, None, now) == ("ends_at", "must be after starts_at")
    assert rules.schedule_issue(START, START + timedelta(days=8), None, now)[0] == "ends_at"
    assert rules.schedule_issue(START, END, None, START)[0] == "starts_at"
    assert rules.schedule_issue(START, END, END + timedelta(minutes=1), now)[0] == "registration_closes_at"


def test_hosting_needs_a_tier_at_least_the_minimum():
    assert rules.may_host(2, 2) and rules.may_host(3, 2) and not rules.may_host(1, 2)
