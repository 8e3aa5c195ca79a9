"""One-off grants over the in-process API and DynamoDB Local: the opening gift pack (in the enrolment transaction)
and birthday benefits (the scheduled job, reaching members through the ``BDAY#<MM>`` index, once a year)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.benefits import birthdays, definitions, vouchers
from chalicelib.core import clock
from chalicelib.identity import directory, merges
from chalicelib.identity.models import PROFILE_SK, CustomerItem
from tests.support.benefits_world import BenefitsWorld
from tests.support.clock import at
from tests.support.phones import new_phone
from tests.support.points_world import DynamoCalls
from tools.stack.run_job import scheduled_event

pytestmark = pytest.mark.integration


def _job():
    import app as application  # at use, not at collection

    return application.birthday_benefits_job


def run_birthday_job() -> dict:
    return _job()(scheduled_event("birthdays"), None)


@pytest.fixture
def world_time() -> datetime:
    return at(2026, 3, 1, 0, 20)


@pytest.fixture
def world(benefits_world: BenefitsWorld) -> BenefitsWorld:
    return benefits_world


# --- opening gift pack ----------------------------------------------------------------------------------------


def test_a_new_member_gets_the_opening_gift_pack_once(world):
    ship = world.benefit("新人包邮券", tiers=("base", "silver"), per_period=2, period="lifetime", valid_days=30,
                         trigger="opening_gift", kind="free_shipping")
    coupon = world.benefit("新人满减券", tiers=("base",), per_period=1, period="lifetime", valid_days=14,
                           trigger="opening_gift")
    gold_only = world.benefit("金卡礼", tiers=("gold",), per_period=1, period="lifetime", trigger="opening_gift")
    phone = new_phone()
    tokens = world.api.app_login(phone)
    assert tokens["new_member"] is True
    mine = world.vouchers(tokens["access_token"])
    assert sorted(v["benefit_id"] for v in mine) == sorted([ship, ship, coupon])
    assert {v["source"] for v in mine} == {"opening_gift"} and {v["status"] for v in mine} == {"available"}
    assert {v["expires_at"] for v in mine if v["benefit_id"] == coupon} == {"2026-03-15T00:00:00+08:00"}
    zone = {b["benefit_id"]: b for b in world.zone(tokens["access_token"])["items"]}
    assert zone[ship]["trigger"] == "opening_gift" and zone[ship]["quota"]["used"] == 2
    assert zone[ship]["quota"]["remaining"] == 0 and zone[gold_only]["eligible"] is False

    clock.set_now(at(2026, 3, 1, 0, 22))  # a minute later (a new SMS code may be sent), the same phone again
    again = world.api.app_login(phone)
    assert again["new_member"] is False and again["customer_id"] == tokens["customer_id"]
    assert len(world.vouchers(again["access_token"])) == 3


@pytest.mark.slow
def test_the_gift_pack_is_written_with_the_customer_and_costs_no_extra_call_when_warm(world):
    world.benefit("新人礼", tiers=("base",), per_period=1, period="lifetime", trigger="opening_gift")
    world.member()  # definitions cache warm
    with DynamoCalls().counting() as calls:
        customer = directory.create_customer(directory.Identity("app", "app", new_phone()), channel="app")
    assert calls.log == ["TransactWriteItems"]
    page = vouchers.list_mine(customer.customer_id, 10, None)
    assert [v["source"] for v in page["items"]] == ["opening_gift"]


def test_without_a_configured_pack_nothing_is_issued_and_later_packs_are_for_new_members_only(world):
    cid, token = world.member()
    assert world.vouchers(token) == []
    world.benefit("新人礼", tiers=("base",), per_period=1, period="lifetime", trigger="opening_gift")
    assert world.vouchers(token) == []  # existing members are not new members
    _cid2, token2 = world.member()
    assert len(world.vouchers(token2)) == 1
    assert cid != _cid2


def test_a_disabled_gift_is_no_longer_in_the_pack(world):
    gift = world.benefit("新人礼", tiers=("base",), per_period=1, period="lifetime", trigger="opening_gift")
    world.admin_call("POST", f"/v1/admin/benefits/{gift}/disable")
    _cid, token = world.member()
    assert world.vouchers(token) == []


# --- birthday benefits ----------------------------------------------------------------------------------------


def set_birthday(world: BenefitsWorld, token: str, birthday: str) -> None:
    status, body, _ = world.api.call("PATCH", "/v1/me", {"birthday": birthday, "consents": {"profiling": True}},
                                     token=token)
    assert status == 200, body


def birthday_vouchers(world: BenefitsWorld, token: str) -> list[dict]:
    return [v for v in world.vouchers(token) if v["source"] == "birthday"]


@pytest.mark.slow
def test_the_birthday_job_issues_in_the_birthday_month_once_a_year(world):
    coupon = world.benefit("生日礼券", tiers=("base", "gold"), per_period=1, period="year", valid_days=31,
                           trigger="birthday")
    gift = world.benefit("生日好礼", tiers=("gold",), per_period=2, period="year", valid_days=31, trigger="birthday")
    march_base, t1 = world.member()
    march_gold, t2 = world.member()
    april, t3 = world.member()
    _none, t4 = world.member()
    set_birthday(world, t1, "1990-03-15")
    set_birthday(world, t2, "1985-03-31")
    set_birthday(world, t3, "1992-04-01")
    world.put_on_tier(march_gold, "gold")
    clock.set_now(at(2026, 3, 1, 0, 20))

    with DynamoCalls().counting() as calls:
        first = run_birthday_job()
    assert "Scan" not in calls.ops
    assert first["issued"] == 2 and first["complete"] is True
    assert [v["benefit_id"] for v in birthday_vouchers(world, t1)] == [coupon]
    assert sorted(v["benefit_id"] for v in birthday_vouchers(world, t2)) == sorted([coupon, gift, gift])
    assert birthday_vouchers(world, t3) == [] and birthday_vouchers(world, t4) == []
    assert {v["expires_at"] for v in birthday_vouchers(world, t1)} == {"2026-04-01T00:00:00+08:00"}
    item = world.zone_item(t1, coupon)
    assert item["trigger"] == "birthday" and item["quota"]["used"] == 1 and item["quota"]["remaining"] == 0

    second = run_birthday_job()  # the same day, or any later day of the month: nothing twice
    assert second["issued"] == 0
    clock.set_now(at(2026, 3, 20, 0, 20))
    assert run_birthday_job()["issued"] == 0
    assert len(birthday_vouchers(world, t1)) == 1 and len(birthday_vouchers(world, t2)) == 3

    clock.set_now(at(2026, 4, 1, 0, 20))
    assert run_birthday_job()["issued"] == 1
    assert [v["benefit_id"] for v in birthday_vouchers(world, t3)] == [coupon]

    clock.set_now(at(2027, 3, 1, 0, 20))  # next year: again
    assert run_birthday_job()["issued"] == 2
    assert len(birthday_vouchers(world, t1)) == 2
    assert march_base and april


def test_a_birthday_set_during_the_month_is_served_by_the_next_run(world):
    world.benefit("生日礼券", tiers=("base",), per_period=1, period="year", trigger="birthday")
    _cid, token = world.member()
    clock.set_now(at(2026, 3, 1, 0, 20))
    assert run_birthday_job()["issued"] == 0
    clock.set_now(at(2026, 3, 12, 15, 0))
    set_birthday(world, token, "2000-03-02")
    clock.set_now(at(2026, 3, 12, 15, 20))
    assert run_birthday_job()["issued"] == 1
    assert len(birthday_vouchers(world, token)) == 1


@pytest.mark.slow
def test_erasing_and_setting_a_birthday_again_issues_nothing_twice_in_a_year(world):
    world.benefit("生日礼券", tiers=("base",), per_period=1, period="year", trigger="birthday")
    cid, token = world.member()
    set_birthday(world, token, "1990-03-15")
    assert run_birthday_job()["issued"] == 1
    status, body, _ = world.api.call("PATCH", "/v1/me", {"consents": {"profiling": False}}, token=token)
    assert status == 200, body
    profile = CustomerItem.get(f"CUST#{cid}", PROFILE_SK, consistent_read=True)
    assert profile.birthday is None and profile.gsi2pk is None  # out of the index with the birthday
    set_birthday(world, token, "1990-03-16")
    result = run_birthday_job()
    assert result["issued"] == 0 and result["already"] == 1
    assert len(birthday_vouchers(world, token)) == 1
    assert run_birthday_job()["already"] == 0  # the index moved on: not even read again this year


def test_without_birthday_benefits_the_job_writes_nothing(world):
    _cid, token = world.member()
    set_birthday(world, token, "1990-03-15")
    assert run_birthday_job()["note"] == "no active birthday benefit"
    world.benefit("生日礼券", tiers=("base",), per_period=1, period="year", trigger="birthday")
    definitions.reset_cache()
    assert run_birthday_job()["issued"] == 1  # configured later in the month: still served this month


def test_the_job_stops_taking_members_when_the_lambda_runs_out_of_time(world):
    world.benefit("生日礼券", tiers=("base",), per_period=1, period="year", trigger="birthday")
    _cid, token = world.member()
    set_birthday(world, token, "1990-03-15")

    class OutOfTime:
        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 1000

    assert birthdays.run(OutOfTime())["complete"] is False
    assert birthday_vouchers(world, token) == []
    assert birthdays.run(None)["issued"] == 1


def test_a_merged_away_profile_is_skipped(world):
    world.benefit("生日礼券", tiers=("base",), per_period=1, period="year", trigger="birthday")
    cid, token = world.member()
    set_birthday(world, token, "1990-03-15")
    CustomerItem(pk=f"CUST#{cid}", sk=PROFILE_SK).update(actions=[CustomerItem.merged_into.set("c_someone")])
    result = run_birthday_job()
    assert result["issued"] == 0 and result["skipped"] == 1


def test_index_keys_spread_a_month_over_shards():
    keys = {birthdays.index_keys(f"c_{i:020x}", "1990-03-15")[0] for i in range(200)}
    assert keys == {f"BDAY#03#{k}" for k in range(birthdays.SHARDS)}
    assert birthdays.index_keys("c_x", "1990-12-01")[1] == "Y0000#c_x"


@pytest.mark.slow
def test_a_merge_moves_the_birthday_index_with_the_birthday(world):
    world.benefit("生日礼券", tiers=("base",), per_period=1, period="year", trigger="birthday")
    absorbed_id, token = world.member()
    set_birthday(world, token, "1990-03-15")
    survivor_id = directory.create_customer(directory.Identity("wechat_mp", "wx", f"o-{absorbed_id}")).customer_id
    absorbed = directory.load_customer(absorbed_id)
    survivor = directory.load_customer(survivor_id)
    merges.merge(absorbed, survivor, reason="test")
    moved = CustomerItem.get(f"CUST#{survivor_id}", PROFILE_SK, consistent_read=True)
    assert moved.birthday == "1990-03-15" and moved.gsi2pk.startswith("BDAY#03#")
    assert CustomerItem.get(f"CUST#{absorbed_id}", PROFILE_SK, consistent_read=True).gsi2pk is None
    result = run_birthday_job()
    assert result["issued"] == 1 and result["skipped"] == 0
    assert vouchers.list_mine(survivor_id, 10, None)["items"][0]["source"] == "birthday"
