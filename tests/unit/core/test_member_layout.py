"""The growing kinds' lists while a deployed table is migrated: pages read both places, in the current layout's
order, each item once, and a cursor that carries over (moto)."""

from __future__ import annotations

import pytest

from chalicelib.core.config import settings
from chalicelib.core.dynamo import member_layout
from chalicelib.core.dynamo.connection import shared_connection


def _put(sk: str) -> None:
    shared_connection().client.put_item(TableName=settings().table_name,
                                        Item={"pk": {"S": "CUST#c_1"}, "sk": {"S": sk}})


def _all_pages(limit: int) -> list[str]:
    out, cursor = [], None
    while True:
        page, cursor = member_layout.newest_page("c_1", "H#C2BS#", limit, cursor)
        out += [member_layout.current_sk(r) for r in page]
        if cursor is None:
            return out


@pytest.mark.parametrize("limit", [1, 2, 3, 10])
def test_pages_read_both_places_while_migrating_and_only_the_new_one_after(moto_table, monkeypatch, limit):
    for rid in ("r1", "r3", "r5"):
        _put(f"H#C2BS#{rid}")
    for rid in ("r2", "r4"):
        _put(f"M#C2BS#{rid}")  # not moved yet
    _put("M#POINTS")  # another kind: never listed
    monkeypatch.setenv("MEMBER_PARTITION_MIGRATING", "1")
    assert _all_pages(limit) == [f"H#C2BS#r{n}" for n in (5, 4, 3, 2, 1)]
    monkeypatch.delenv("MEMBER_PARTITION_MIGRATING")
    assert _all_pages(limit) == [f"H#C2BS#r{n}" for n in (5, 3, 1)]


def test_keys_of_the_two_layouts():
    assert member_layout.history_key("M#APPT#apt_1") == "H#APPT#apt_1"
    assert member_layout.old_key("H#IDEM#abc") == "M#IDEM#abc"
