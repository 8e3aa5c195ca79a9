"""The seat ledger: a counter item per slot, taken and freed inside the caller's transaction.

Capacity is a ledger, not a query. A slot's taken seats are one counter item, and every booking (an appointment, an
event registration, any later capacity) adds to its own ``Tx`` an update of that counter conditioned on there being
a seat left. The booking's own items commit with it or not at all, so the counter always equals what was booked,
whatever the number of processes racing for the last seat.

Items
    ``SEATS#<scope>#<day>`` / ``SEATS#<slot key>``: ``taken`` (every seat taken) and ``taken_open`` (the seats taken
    by callers without priority). One partition per scope and day, so a day's counters are one Query
    (``read_day``). A counter that was never taken does not exist: it reads as zero.

Reserved share
    ``reserved`` of a slot's ``capacity`` seats are kept for priority callers until ``released`` (the caller decides
    when: e.g. 24 h before the slot). Until then a caller without priority takes a seat only while
    ``taken_open < capacity - reserved`` (and ``taken < capacity``); a priority caller only needs ``taken < capacity``.
    After the release anyone takes any free seat. A seat is freed the way it was taken (``open`` says whether it
    counted in ``taken_open``).

Usage::

    tx = Tx()
    capacity.take_in(tx, capacity.Slot("APPT#st_1#sv_1", day, "1030"), capacity=4, reserved=1,
                     priority=False, released=False)
    ...the booking's own items...
    try:
        tx.commit()
    except TxCancelled as exc:
        if capacity.LABEL in exc.failed: ...full...
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.core.dynamo.items import Item
from chalicelib.core.dynamo.tx import Tx

PREFIX = "SEATS#"
LABEL = "seat"


class NoSeat(Exception):
    """The seat cannot be taken whatever the counter says (no seat open to this caller at all)."""


class SeatCounterItem(Item):
    """``SEATS#<scope>#<day>`` / ``SEATS#<slot key>``: the seats taken of one slot."""

    scope = UnicodeAttribute()
    day = UnicodeAttribute()
    slot_key = UnicodeAttribute()
    taken = NumberAttribute(default=0)
    taken_open = NumberAttribute(default=0)


@dataclass(frozen=True)
class Slot:
    """One slot's counter: ``scope`` (whose capacity: ``APPT#<store>#<service>``), its ``day`` and ``key``;
    ``partition``: keep the counter in that partition (its owner's) instead of the scope's day partition."""

    scope: str
    day: date
    key: str
    partition: str | None = None

    @property
    def pk(self) -> str:
        return self.partition or day_pk(self.scope, self.day)

    @property
    def sk(self) -> str:
        return f"{PREFIX}{self.key}"


@dataclass(frozen=True)
class Count:
    taken: int = 0
    taken_open: int = 0

    def remaining(self, capacity: int) -> int:
        return max(0, capacity - self.taken)

    def open_to(self, capacity: int, reserved: int, priority: bool, released: bool) -> int:
        """Seats this caller could take now: all free seats for priority (or after the release), else only the
        unreserved share's."""
        free = self.remaining(capacity)
        if priority or released:
            return free
        return max(0, min(free, capacity - reserved - self.taken_open))


def day_pk(scope: str, day: date) -> str:
    return f"{PREFIX}{scope}#{day.isoformat()}"


def _counter(slot: Slot) -> SeatCounterItem:
    return SeatCounterItem(pk=slot.pk, sk=slot.sk)


def take_in(tx: Tx, slot: Slot, *, capacity: int, reserved: int = 0, priority: bool = False,
            released: bool = True, label: str = LABEL) -> bool:
    """Add "take one seat of ``slot``" to ``tx``: fails on ``label`` when the slot is full for this caller.

    Returns whether the seat counts in the open (non-priority) share: pass it back to ``free_in``. Raises ``NoSeat``
    at once when no seat can be open to this caller (capacity 0, or every seat reserved and not yet released).
    """
    counter = _counter(slot)
    reserved = max(0, min(reserved, capacity))
    counts_open = not priority
    condition = SeatCounterItem.taken.does_not_exist() | (SeatCounterItem.taken < capacity)
    if capacity <= 0:
        raise NoSeat(slot)
    if counts_open and not released:
        open_seats = capacity - reserved
        if open_seats <= 0:
            raise NoSeat(slot)
        condition &= SeatCounterItem.taken_open.does_not_exist() | (SeatCounterItem.taken_open < open_seats)
    actions: list[Any] = [
        SeatCounterItem.taken.add(1),
        SeatCounterItem.scope.set(slot.scope),
        SeatCounterItem.day.set(slot.day.isoformat()),
        SeatCounterItem.slot_key.set(slot.key),
    ]
    if counts_open:
        actions.append(SeatCounterItem.taken_open.add(1))
    tx.update(label, counter, actions, condition)
    return counts_open


def free_in(tx: Tx, slot: Slot, *, counted_open: bool, label: str = "seat_freed") -> None:
    """Add "free one seat of ``slot``" to ``tx`` (taken as ``counted_open`` says), conditioned on ``taken > 0``."""
    condition = SeatCounterItem.taken > 0
    actions: list[Any] = [SeatCounterItem.taken.add(-1)]
    if counted_open:
        condition &= SeatCounterItem.taken_open > 0
        actions.append(SeatCounterItem.taken_open.add(-1))
    tx.update(label, _counter(slot), actions, condition)


def read_day(scope: str, day: date, consistent: bool = False) -> dict[str, Count]:
    """Every counter of ``scope`` on ``day``, by slot key: one Query (a day's counters are far below 1 MB)."""
    client = shared_connection().client
    kwargs: dict[str, Any] = {
        "TableName": settings().table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": day_pk(scope, day)}},
        "ConsistentRead": consistent,
    }
    out: dict[str, Count] = {}
    while True:
        page = client.query(**kwargs)
        for raw in page.get("Items", []):
            item = SeatCounterItem.from_raw_data(raw)
            out[item.slot_key] = Count(int(item.taken or 0), int(item.taken_open or 0))
        start = page.get("LastEvaluatedKey")
        if not start:
            return out
        kwargs["ExclusiveStartKey"] = start


def count_of(slot: Slot, raw_items: list[dict[str, Any]]) -> Count:
    """The counter of ``slot`` among raw items the caller already read (its owner's Query): zero if absent."""
    for raw in raw_items:
        if raw.get("pk", {}).get("S") == slot.pk and raw.get("sk", {}).get("S") == slot.sk:
            item = SeatCounterItem.from_raw_data(raw)
            return Count(int(item.taken or 0), int(item.taken_open or 0))
    return Count()


def full_check_in(tx: Tx, slot: Slot, *, capacity: int, label: str = "seat_free") -> None:
    """Add "every seat of ``slot`` is taken" to ``tx`` as a condition check (fails on ``label`` once one is free):
    for a caller that queues because the slot is full, so that a seat freed meanwhile is taken, not queued for."""
    tx.check(label, SeatCounterItem, slot.pk, slot.sk, SeatCounterItem.taken >= capacity)


def read_slot(slot: Slot, consistent: bool = True) -> Count:
    """One slot's counter (one GetItem)."""
    try:
        item = SeatCounterItem.get(slot.pk, slot.sk, consistent_read=consistent)
    except SeatCounterItem.DoesNotExist:
        return Count()
    return Count(int(item.taken or 0), int(item.taken_open or 0))
