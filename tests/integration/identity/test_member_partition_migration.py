"""``migrate_member_partition`` on DynamoDB Local: a table seeded in the old layout (growing kinds under the member's
``M#`` prefix) is moved to the ``H#`` keys with nothing lost, a second pass moves nothing, a run stopped halfway
resumes from its checkpoint, and the API reads either place meanwhile (``MEMBER_PARTITION_MIGRATING``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core import idempotency
from chalicelib.core.config import settings
from chalicelib.core.dynamo.connection import shared_connection
from chalicelib.identity import partition_migration
from tests.support.benefits_world import BenefitsWorld
from tests.support.clock import at, frozen_clock

OLD = ("M#IDEM#", "M#C2BS#", "M#C2BV#", "M#C2BGIFT#", "M#RLIM#", "M#QUOTA#", "M#BDAY#", "M#APPT#", "M#PLUSORDER#",
       "M#PLUSSAVE#")


@pytest.fixture
def world(api, monkeypatch: pytest.MonkeyPatch) -> Iterator[BenefitsWorld]:
    monkeypatch.setenv("MEMBER_PARTITION_MIGRATING", "1")
    with frozen_clock(at(2026, 11, 23, 10, 0)):
        yield BenefitsWorld.make(api)


def _put(cid: str, sk: str, **attrs: Any) -> None:
    item = {"pk": {"S": f"CUST#{cid}"}, "sk": {"S": sk}, **attrs}
    shared_connection().client.put_item(TableName=settings().table_name, Item=item)


def _count(prefixes: tuple[str, ...]) -> int:
    client, n, start = shared_connection().client, 0, None
    while True:
        kwargs: dict[str, Any] = {"TableName": settings().table_name}
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.scan(**kwargs)
        n += sum(1 for i in page["Items"] if i["pk"]["S"].startswith("CUST#") and i["sk"]["S"].startswith(prefixes))
        start = page.get("LastEvaluatedKey")
        if not start:
            return n


def _seed_old_layout(world: BenefitsWorld, members: int = 3) -> tuple[list[tuple[str, str]], str, int]:
    """Members with old-layout items of every moved kind; returns the members, a benefit, and the item count."""
    bid = world.benefit(per_period=3, period="month")
    seeded, n = [], 0
    for m in range(members):
        cid, token = world.member()
        seeded.append((cid, token))
        for k in range(4):
            _put(cid, f"M#IDEM#{m:02d}{k:030d}", request_hash={"S": "h"}, status={"N": "201"},
                 body={"S": json.dumps({"k": k})}, ttl={"N": "4102444800"})
            _put(cid, f"M#C2BS#r{k}", request_id={"S": f"r{k}"}, title={"S": "t"}, quantity={"N": "1"},
                 created_at={"S": "2026-01-01"}, updated_at={"S": f"2026-01-0{k + 1}"})
            _put(cid, f"M#C2BV#r{k}#p1", request_id={"S": f"r{k}"}, poll_id={"S": "p1"}, option_id={"S": "a"})
            _put(cid, f"M#RLIM#rw{k}", reward_id={"S": f"rw{k}"}, count={"N": "1"})
            n += 4
        for month in ("M2026-09", "M2026-10", "M2026-11"):  # two past periods and the current one (2 claims)
            _put(cid, f"M#QUOTA#{bid}#{cid}#{month}", benefit_id={"S": bid}, period_key={"S": month},
                 count={"N": "2"})
            n += 1
        for year in (2025, 2026):
            _put(cid, f"M#BDAY#{year}", issued={"S": "{}"}, vouchers={"L": []}, created_at={"S": "x"})
            n += 1
        _put(cid, "M#C2BGIFT#r1", issued={"S": "{}"}, vouchers={"L": []}, created_at={"S": "x"})
        n += 1
        for k, (status, day) in enumerate((("booked", 25), ("cancelled", 26), ("checked_in", 20))):
            _put(cid, f"M#APPT#apt_old{k}", **_appointment(cid, f"apt_old{k}", status, day))
            n += 1
        _put(cid, "M#PLUS", customer_id={"S": cid}, kind={"S": "paid"}, plan_id={"S": "plus_year"},
             started_at={"S": "2026-06-01T00:00:00+08:00"}, expires_at={"S": "2027-06-01T00:00:00+08:00"},
             year_start={"S": "2026-06-01T00:00:00+08:00"}, anchor_day={"N": "1"}, trial_used={"BOOL": False},
             ver={"N": "1"}, updated_at={"S": "x"})
        _put(cid, "M#PLUSORDER#po_old", order_id={"S": "po_old"}, customer_id={"S": cid}, plan_id={"S": "plus_year"},
             plan_name={"S": "Plus"}, period={"S": "year"}, amount_fen={"N": "9900"}, status={"S": "paid"},
             created_at={"S": "2026-06-01T00:00:00.000+00:00"}, paid_at={"S": "2026-06-01T00:00:00.000+00:00"})
        n += 1
        for k, (at_, fen) in enumerate((("2026-05-01T00:00:00.000+00:00", 500), ("2026-07-01T00:00:00.000+00:00", 120),
                                        ("2026-10-01T00:00:00.000+00:00", 30))):
            _put(cid, f"M#PLUSSAVE#{at_}#{k:08d}", customer_id={"S": cid}, kind={"S": "points_multiplier"},
                 saved_fen={"N": str(fen)}, ref={"S": f"o{k}"}, at={"S": at_})
            n += 1
    return seeded, bid, n


def _appointment(cid: str, apt: str, status: str, day: int) -> dict[str, Any]:
    return {"appointment_id": {"S": apt}, "customer_id": {"S": cid}, "store_id": {"S": "st_x"},
            "service_id": {"S": "sv_x"}, "slot_start": {"S": f"2026-11-{day:02d}T10:00:00+08:00"},
            "slot_end": {"S": f"2026-11-{day:02d}T10:30:00+08:00"}, "day": {"S": f"2026-11-{day:02d}"},
            "slot_key": {"S": "1000"}, "status": {"S": status}, "channel": {"S": "app"}, "priority": {"BOOL": False},
            "counted_open": {"BOOL": True}, "created_at": {"S": "2026-11-01"}, "updated_at": {"S": "2026-11-01"},
            "gsi1pk": {"S": f"APPTQ#st_x#2026-11-{day:02d}"}, "gsi1sk": {"S": f"x#{apt}"},
            "gsi2pk": {"S": f"APPT#{apt}"}, "gsi2sk": {"S": "APPT"}}


def _me_view(world: BenefitsWorld, token: str) -> tuple[Any, Any]:
    appointments = world.api.call("GET", "/v1/me/appointments?limit=20", token=token)[1]
    membership = world.api.call("GET", "/v1/me/membership", token=token)[1]
    return [(a["appointment_id"], a["status"]) for a in appointments["items"]], membership["savings"]


@pytest.mark.slow  # hundreds of requests: the slowest of the quick loop
def test_the_migration_moves_every_old_item_once_and_resumes_from_its_checkpoint(world, monkeypatch):
    members, bid, seeded = _seed_old_layout(world)
    assert _count(OLD) == seeded and _count(("H#",)) == 0
    before = _me_view(world, members[0][1])
    assert len(before[0]) == 3 and before[1]["total_fen"] == 150, before  # this membership year's two lines

    dry = partition_migration.migrate(dry_run=True)
    assert dry["status"] == "dry_run" and sum(dry["counts"].values()) == seeded
    assert _count(OLD) == seeded and _count(("H#",)) == 0  # a dry run moves nothing

    monkeypatch.setattr(partition_migration, "PAGE", 10)
    half = partition_migration.migrate(max_items=seeded // 2)
    assert half["status"] == "running"
    moved_so_far = _count(("H#",))
    assert 0 < moved_so_far < seeded and _count(OLD) + moved_so_far == seeded  # stopped halfway, nothing lost

    done = partition_migration.migrate()  # resumes from the checkpoint
    assert done["status"] == "done"
    assert _count(OLD) == 0 and _count(("H#",)) == seeded
    assert sum(v for k, v in done["counts"].items() if k.startswith(("moved:", "superseded:"))) == seeded

    partition_migration.CheckpointItem(partition_migration.CHECKPOINT_PK, partition_migration.CHECKPOINT_SK).delete()
    again = partition_migration.migrate()  # a whole second pass
    assert again["status"] == "done" and not again["counts"]
    assert _count(OLD) == 0 and _count(("H#",)) == seeded

    # the member sees the same after, with MEMBER_PARTITION_MIGRATING gone
    monkeypatch.delenv("MEMBER_PARTITION_MIGRATING")
    assert _me_view(world, members[0][1]) == before
    # the booked appointment still ahead is held: an overlapping booking is refused as before the migration
    from chalicelib.appointments.member_state import held_slots as _held
    from chalicelib.points import reading

    held = _held(reading.load_member(members[0][0], consistent=True))
    assert [h[2] for h in held] == ["apt_old0"]
    # the current period's two claims were carried to the counter the bounded read holds: one claim is left
    _cid, token = members[0]
    assert world.zone_item(token, bid)["quota"]["used"] == 2
    world.claim(token, bid)
    world.claim(token, bid, expect=409)


def test_while_migrating_the_api_reads_either_place(world):
    bid = world.benefit(per_period=3, period="month")
    cid, token = world.member()
    _put(cid, f"M#QUOTA#{bid}#{cid}#M2026-11", benefit_id={"S": bid}, period_key={"S": "M2026-11"}, count={"N": "2"})
    _put(cid, "M#C2BS#r1", request_id={"S": "r1"}, title={"S": "old"}, quantity={"N": "2"},
         created_at={"S": "2026-01-01"}, updated_at={"S": "2026-01-01"})
    assert world.zone_item(token, bid)["quota"]["used"] == 2  # the old layout's counter of this period
    status, body, _ = world.api.call("GET", "/v1/me/product-requests/supports", token=token)
    assert status == 200 and [s["request_id"] for s in body["items"]] == ["r1"], body
    _s, first, _h = world.claim(token, bid, key="k-old")  # the third claim: counted from the old counter
    world.claim(token, bid, expect=409)
    req = idempotency.request(f"CUST#{cid}", "POST /v1/benefits/{benefit_id}/claims", "k-old", {"benefit_id": bid})
    assert idempotency.get(req) is not None
    _s, replay, headers = world.claim(token, bid, key="k-old", expect=201)
    assert replay == first and headers.get("Idempotent-Replayed") == "true"
