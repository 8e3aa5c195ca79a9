"""The seat ledger's conditions (``chalicelib/core/capacity.py``) in moto: a seat is taken only while one is left
(and, before the release, only from the unreserved share for callers without priority); a seat is freed only if one
was taken; a day's counters are one Query."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.core import capacity
from chalicelib.core.dynamo.tx import Tx, TxCancelled

DAY = date(2026, 12, 7)


def _slot(key: str = "1030", day: date = DAY, scope: str = "TEST#s1") -> capacity.Slot:
    return capacity.Slot(scope, day, key)


def _take(slot: capacity.Slot, cap: int, **kw: object) -> bool:
    tx = Tx()
    counted = capacity.take_in(tx, slot, capacity=cap, **kw)  # type: ignore[arg-type]
    tx.commit()
    return counted


def _free(slot: capacity.Slot, counted_open: bool) -> None:
    tx = Tx()
    capacity.free_in(tx, slot, counted_open=counted_open)
    tx.commit()


def test_seats_are_taken_until_the_capacity_and_then_refused(moto_table):
    slot = _slot()
    for _ in range(3):
        _take(slot, 3)
    with pytest.raises(TxCancelled) as exc:
        _take(slot, 3)
    assert exc.value.failed == {capacity.LABEL}
    assert capacity.read_slot(slot) == capacity.Count(taken=3, taken_open=3)


def test_a_freed_seat_can_be_taken_again_and_a_free_seat_cannot_be_freed(moto_table):
    slot = _slot()
    with pytest.raises(TxCancelled) as exc:
        _free(slot, counted_open=True)  # never taken
    assert exc.value.failed == {"seat_freed"}
    counted = _take(slot, 1)
    _free(slot, counted)
    assert capacity.read_slot(slot) == capacity.Count(0, 0)
    with pytest.raises(TxCancelled):
        _free(slot, counted)
    _take(slot, 1)
    assert capacity.read_slot(slot).taken == 1


def test_reserved_seats_are_kept_for_priority_until_the_release(moto_table):
    slot = _slot()
    # capacity 3, 1 reserved: two open seats, then the reserved one is priority-only until the release
    assert _take(slot, 3, reserved=1, priority=False, released=False) is True
    assert _take(slot, 3, reserved=1, priority=False, released=False) is True
    with pytest.raises(TxCancelled):
        _take(slot, 3, reserved=1, priority=False, released=False)
    assert _take(slot, 3, reserved=1, priority=True, released=False) is False
    with pytest.raises(TxCancelled):  # full for priority too
        _take(slot, 3, reserved=1, priority=True, released=False)
    assert capacity.read_slot(slot) == capacity.Count(taken=3, taken_open=2)


def test_after_the_release_anyone_takes_the_reserved_seats(moto_table):
    slot = _slot()
    _take(slot, 2, reserved=1, released=False)
    with pytest.raises(TxCancelled):
        _take(slot, 2, reserved=1, released=False)
    _take(slot, 2, reserved=1, released=True)
    with pytest.raises(TxCancelled):
        _take(slot, 2, reserved=1, released=True)


def test_priority_seats_taken_first_leave_the_open_share_to_others(moto_table):
    slot = _slot()
    _take(slot, 3, reserved=1, priority=True, released=False)
    _take(slot, 3, reserved=1, priority=True, released=False)
    _take(slot, 3, reserved=1, priority=False, released=False)  # taken 3 of 3: the last one was open
    with pytest.raises(TxCancelled):
        _take(slot, 3, reserved=1, priority=True, released=False)


def test_a_slot_entirely_reserved_is_no_seat_for_others_before_the_release(moto_table):
    with pytest.raises(capacity.NoSeat):
        capacity.take_in(Tx(), _slot(), capacity=2, reserved=2, priority=False, released=False)
    with pytest.raises(capacity.NoSeat):
        capacity.take_in(Tx(), _slot(), capacity=0, priority=True)


def test_freeing_a_priority_seat_leaves_the_open_count(moto_table):
    slot = _slot()
    _take(slot, 3, reserved=1, released=False)
    counted = _take(slot, 3, reserved=1, priority=True, released=False)
    _free(slot, counted)
    assert capacity.read_slot(slot) == capacity.Count(taken=1, taken_open=1)


def test_the_seat_and_the_booking_commit_together_or_not_at_all(moto_table):
    from chalicelib.core.idempotency import IdempotencyItem

    slot = _slot()
    _take(slot, 1)
    tx = Tx()
    capacity.take_in(tx, slot, capacity=1)
    tx.put("booking", IdempotencyItem(pk="CUST#x", sk="M#X", request_hash="h", status=201))
    with pytest.raises(TxCancelled):
        tx.commit()
    with pytest.raises(IdempotencyItem.DoesNotExist):
        IdempotencyItem.get("CUST#x", "M#X")


def test_a_days_counters_are_one_query_by_slot_key(moto_table):
    for key, n in (("1000", 2), ("1030", 1)):
        for _ in range(n):
            _take(_slot(key), 5)
    _take(_slot("1000", day=date(2026, 12, 8)), 5)
    _take(_slot("1000", scope="TEST#other"), 5)
    assert capacity.read_day("TEST#s1", DAY) == {"1000": capacity.Count(2, 2), "1030": capacity.Count(1, 1)}
    assert capacity.read_day("TEST#s1", date(2026, 12, 9)) == {}


def test_open_to_tells_what_a_caller_may_take():
    count = capacity.Count(taken=2, taken_open=2)
    assert count.remaining(4) == 2
    assert count.open_to(4, reserved=2, priority=False, released=False) == 0
    assert count.open_to(4, reserved=2, priority=True, released=False) == 2
    assert count.open_to(4, reserved=2, priority=False, released=True) == 2
    assert capacity.Count(4, 1).open_to(4, reserved=1, priority=True, released=False) == 0


def test_a_counter_kept_in_its_owners_partition_is_read_with_the_owners_items(moto_table):
    from chalicelib.core.config import settings
    from chalicelib.core.dynamo.connection import shared_connection

    slot = capacity.Slot("EVENT#e1", DAY, "EVENT", partition="EV#e1")
    assert (slot.pk, slot.sk) == ("EV#e1", "SEATS#EVENT")
    assert capacity.count_of(slot, []) == capacity.Count()
    _take(slot, 2)
    raw = shared_connection().client.query(
        TableName=settings().table_name, KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "EV#e1"}})["Items"]
    assert capacity.count_of(slot, raw) == capacity.read_slot(slot) == capacity.Count(1, 1)
    assert capacity.read_day("EVENT#e1", DAY) == {}  # not in the scope's day partition


def test_the_full_check_passes_only_while_every_seat_is_taken(moto_table):
    slot = capacity.Slot("EVENT#e2", DAY, "EVENT", partition="EV#e2")

    def check() -> None:
        tx = Tx()
        capacity.full_check_in(tx, slot, capacity=1)
        tx.commit()

    with pytest.raises(TxCancelled) as exc:
        check()  # never taken: a seat is free
    assert exc.value.failed == {"seat_free"}
    counted = _take(slot, 1)
    check()
    _free(slot, counted)
    with pytest.raises(TxCancelled):
        check()
