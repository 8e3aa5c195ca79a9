"""Notification ids carry their item's sort key (``N#<created_at>#<id>``), exactly, for any UTC offset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chalicelib.core import clock, notifications


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(hours=8), timedelta(hours=-5, minutes=-30)])
def test_an_id_rebuilds_the_sort_key_of_its_time(offset: timedelta):
    at = clock.iso(datetime(2026, 12, 1, 12, 0, 0, 7000, tzinfo=timezone(offset)))
    notification_id = notifications.new_notification_id(at)
    assert notifications.key_of(notification_id) == f"N#{at}#{notification_id}"
    assert not notifications.is_old_id(notification_id)
    assert len(notification_id) <= 40


@pytest.mark.parametrize("at", [None, "2026-12-01", "2026-12-01T12:00:00+00:00", "not a time"])
def test_a_time_the_id_cannot_carry_exactly_gets_the_old_shape(at: str | None):
    notification_id = notifications.new_notification_id(at)
    assert notifications.is_old_id(notification_id) and notifications.key_of(notification_id) is None


def test_the_item_a_template_writes_has_the_keyed_id():
    item = notifications.notification_item("c_1", "refunded", {"transaction_id": "txn_1", "status": "refunded"})
    assert notifications.key_of(item.notification_id) == item.sk


@pytest.mark.parametrize("wrong", ["", "ntf_", "ntf_abc", "ntf_zzzzzzzzzz_0123456789abcdef",
                                   "ntf_1_0123456789abcdef_p9999", "ntf_1_0123456789abcdef_x8",
                                   "ntf_1_0123456789ABCDEF", "N#x#ntf_1_0123456789abcdef"])
def test_other_strings_name_no_key(wrong: str):
    assert notifications.key_of(wrong) is None
