"""The appointments' pure rules (``chalicelib/appointments/rules.py``) and the local stack's seeds (moto)."""

from __future__ import annotations

from datetime import date, datetime, time

from chalicelib.appointments import rules
from chalicelib.core.calendar import SHANGHAI

STORE = rules.Store.from_data({"store_id": "st", "name": "n", "city": "c", "address": "a", "opening_hours": [
    {"weekday": 1, "opens": "10:00", "closes": "12:00"}, {"weekday": 1, "opens": "07:00", "closes": "08:00"}],
    "closed_dates": ["2026-12-14"]})
SERVICE = rules.Service.from_data({"service_id": "sv", "store_id": "st", "name": "n", "duration_minutes": 40,
                                   "capacity": 2, "buffer_minutes": 5})


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


def test_slots_of_a_day_in_opening_order_with_buffers_and_none_past_closing():
    starts = [s.start.time() for s in rules.day_slots(STORE, SERVICE, date(2026, 12, 7))]
    assert starts == [time(7, 0), time(10, 0), time(10, 45)]  # 11:30 would end at 12:10
    assert rules.day_slots(STORE, SERVICE, date(2026, 12, 8)) == []  # Tuesday: closed
    assert rules.day_slots(STORE, SERVICE, date(2026, 12, 14)) == []  # a closed Monday


def test_a_slot_is_found_from_any_offset():
    found = rules.find_slot(STORE, SERVICE, datetime.fromisoformat("2026-12-06T23:00:00+00:00"))
    assert found is not None and found.start == sh(2026, 12, 7, 7, 0) and found.key == "0700"
    assert rules.find_slot(STORE, SERVICE, sh(2026, 12, 7, 10, 5)) is None


def test_windows_release_cut_off_and_overlaps():
    slot = rules.SlotTime(sh(2026, 12, 14, 10, 0), sh(2026, 12, 14, 10, 40))
    assert rules.booking_days(STORE, SERVICE, "base") == 7 and rules.booking_days(STORE, SERVICE, "gold") == 14
    assert rules.within_window(slot, sh(2026, 12, 7, 0, 0), 7)
    assert not rules.within_window(slot, sh(2026, 12, 6, 23, 59), 7)
    assert not rules.released(STORE, slot, sh(2026, 12, 13, 9, 59))
    assert rules.released(STORE, slot, sh(2026, 12, 13, 10, 0))
    assert rules.cancellable(STORE, slot.start, sh(2026, 12, 14, 7, 59))
    assert not rules.cancellable(STORE, slot.start, sh(2026, 12, 14, 8, 0))
    held = [(sh(2026, 12, 14, 10, 40), sh(2026, 12, 14, 11, 0), "a"), (sh(2026, 12, 14, 9, 30), sh(2026, 12, 14, 10, 1),
                                                                       "b")]
    assert rules.first_overlap(slot, held) == "b"
    assert rules.recent_no_shows(["2026-12-01", "2026-09-01"], date(2026, 12, 7), 90) == 1


def test_the_seeds_are_two_stores_with_two_services_open_every_day_and_idempotent(moto_table):
    from chalicelib.appointments import catalogue

    catalogue.reset_cache()
    catalogue.seed_defaults()
    catalogue.seed_defaults()
    catalogue.reset_cache()
    current = catalogue.current()
    assert len(current.stores) == 2
    for store in current.stores.values():
        assert len(current.services_of(store.store_id)) == 2
        assert sorted(h.weekday for h in store.opening_hours) == list(range(1, 8))
        assert {(h.opens, h.closes) for h in store.opening_hours} == {(time(10), time(20))}
