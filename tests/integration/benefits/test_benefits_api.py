"""The benefits zone over the in-process API and DynamoDB Local: operators' configuration, the member's view
(eligible and locked entitlements, quota left), claims (tier, quota, idempotency), quota periods across day, week,
month and year boundaries on the Shanghai calendar, and the DynamoDB calls each endpoint makes."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.benefits import definitions
from chalicelib.core import clock
from tests.support.benefits_world import BenefitsWorld
from tests.support.clock import at
from tests.support.points_world import DynamoCalls

pytestmark = pytest.mark.integration


@pytest.fixture
def world(benefits_world: BenefitsWorld) -> BenefitsWorld:
    return benefits_world


# --- operators ------------------------------------------------------------------------------------------------


def test_admin_creates_lists_updates_disables_and_enables_a_benefit(world):
    bid = world.benefit("会员价专享", tiers=("silver", "gold"), per_period=1, period="day", valid_days=1,
                        kind="member_price", description="每日一次")
    assert bid.startswith("bn_")
    one = world.admin_call("GET", f"/v1/admin/benefits/{bid}")
    assert one["quota"] == {"per_period": 1, "period": "day"} and one["trigger"] == "claim"
    assert one["kind"] == "member_price" and one["status"] == "active" and one["tiers"] == ["silver", "gold"]
    listed = world.admin_call("GET", "/v1/admin/benefits")["items"]
    assert [b["benefit_id"] for b in listed] == [bid]
    changed = world.admin_call("PATCH", f"/v1/admin/benefits/{bid}",
                               {"quota": {"per_period": 3, "period": "week"}, "description": None})
    assert changed["quota"] == {"per_period": 3, "period": "week"} and changed["description"] is None
    assert changed["name"] == "会员价专享" and changed["ver"] == 2
    assert world.admin_call("POST", f"/v1/admin/benefits/{bid}/disable")["status"] == "disabled"
    assert world.admin_call("GET", "/v1/admin/benefits")["items"][0]["status"] == "disabled"
    assert world.admin_call("POST", f"/v1/admin/benefits/{bid}/enable")["status"] == "active"
    world.admin_call("GET", "/v1/admin/benefits/bn_nope", expect=404)
    world.admin_call("PATCH", "/v1/admin/benefits/bn_nope", {"name": "x"}, expect=404)


@pytest.mark.parametrize("body, field", [
    ({"tiers": ["diamond"]}, "tiers"),
    ({"tiers": []}, "tiers"),
    ({"quota": {"per_period": 1, "period": "fortnight"}}, "quota.period"),
    ({"quota": {"per_period": -1, "period": "day"}}, "quota.per_period"),
    ({"voucher_valid_days": 0}, "voucher_valid_days"),
    ({"trigger": "opening_gift"}, "quota.period"),  # a gift pack is once per lifetime
    ({"trigger": "birthday", "quota": {"per_period": 1, "period": "month"}}, "quota.period"),
    ({"trigger": "opening_gift", "quota": {"per_period": 21, "period": "lifetime"}}, "quota.per_period"),
    ({"kind": "cashback"}, "kind"),
])
def test_admin_input_is_validated(world, body, field):
    base = {"name": "x", "tiers": ["base"], "quota": {"per_period": 1, "period": "month"}, "voucher_valid_days": 7}
    status, out, _ = world.api.call("POST", "/v1/admin/benefits", {**base, **body}, token=world.admin)
    assert status == 400, out
    assert out["error"]["code"] == "validation_error"
    assert any(d["field"].startswith(field) for d in out["error"]["details"]), out


def test_members_cannot_configure_benefits(world):
    _cid, token = world.member()
    status, _out, _ = world.api.call("GET", "/v1/admin/benefits", token=token)
    assert status == 403


# --- the zone -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_my_tier_is_eligible_and_higher_tiers_are_locked_with_what_unlocks_them(world):
    ship = world.benefit("包邮券", tiers=("base", "silver"), per_period=2, period="month")
    price = world.benefit("会员价", tiers=("silver", "gold", "platinum"), per_period=1, period="day", valid_days=1)
    video = world.benefit("视频月卡", tiers=("gold", "platinum"), per_period=4, period="year",
                          kind="partner_membership")
    x10 = world.benefit("10 倍积分日", tiers=("platinum",), per_period=1, period="month", kind="points_multiplier")
    cid, token = world.member()

    zone = world.zone(token)
    assert zone["tier"]["code"] == "base"
    by_id = {b["benefit_id"]: b for b in zone["items"]}
    assert by_id[ship]["eligible"] is True
    assert by_id[ship]["quota"] == {"per_period": 2, "period": "month", "used": 0, "remaining": 2,
                                    "resets_at": "2026-12-01T00:00:00+08:00"}
    assert by_id[price]["eligible"] is False and by_id[price]["unlock_tier"]["code"] == "silver"
    assert by_id[video]["unlock_tier"]["code"] == "gold" and by_id[x10]["unlock_tier"]["code"] == "platinum"
    assert by_id[price]["quota"]["remaining"] == 0
    assert [b["benefit_id"] for b in zone["items"]] == [ship, price, video, x10]  # mine, then nearest upgrade first

    world.put_on_tier(cid, "gold")
    zone = world.zone(token)
    assert zone["tier"]["code"] == "gold"
    by_id = {b["benefit_id"]: b for b in zone["items"]}
    assert ship not in by_id  # only lower tiers get it: chosen per tier, not "more at each level"
    assert by_id[price]["eligible"] and by_id[video]["eligible"]
    assert by_id[x10]["eligible"] is False and by_id[x10]["unlock_tier"] == {"code": "platinum", "name": "铂金会员"}


def test_a_disabled_benefit_is_neither_shown_nor_claimable(world):
    bid = world.benefit()
    _cid, token = world.member()
    world.admin_call("POST", f"/v1/admin/benefits/{bid}/disable")
    assert world.zone_item(token, bid) is None
    _status, body, _ = world.claim(token, bid, expect=409)
    assert body["error"]["code"] == "benefit_not_available"


# --- claims ---------------------------------------------------------------------------------------------------


def test_a_claim_issues_a_voucher_and_counts_the_quota(world):
    bid = world.benefit("包邮券", per_period=2, period="month", valid_days=30, kind="free_shipping")
    _cid, token = world.member()
    _status, first, headers = world.claim(token, bid)
    assert first["benefit_id"] == bid and first["voucher_id"].startswith("v")
    assert first["expires_at"] == "2026-12-23T00:00:00+08:00"  # usable through 30 business days from today
    assert "Idempotent-Replayed" not in headers
    assert world.zone_item(token, bid)["quota"]["used"] == 1
    clock.set_now(at(2026, 11, 23, 10, 1))
    world.claim(token, bid)
    assert world.zone_item(token, bid)["quota"] == {"per_period": 2, "period": "month", "used": 2, "remaining": 0,
                                                    "resets_at": "2026-12-01T00:00:00+08:00"}
    _status, body, _ = world.claim(token, bid, expect=409)
    assert body["error"]["code"] == "quota_exhausted"
    mine = world.vouchers(token)
    assert len(mine) == 2 and {v["status"] for v in mine} == {"available"}
    assert mine[1]["voucher_id"] == first["voucher_id"]  # newest first
    assert mine[1]["kind"] == "free_shipping" and mine[1]["source"] == "claim"


def test_a_locked_benefit_is_tier_not_eligible_and_an_unknown_one_404(world):
    gold = world.benefit("金卡专享", tiers=("gold",), per_period=5, period="month")
    cid, token = world.member()
    _status, body, _ = world.claim(token, gold, expect=403)
    assert body["error"]["code"] == "tier_not_eligible"
    world.put_on_tier(cid, "gold")
    world.claim(token, gold)
    _status, body, _ = world.claim(token, "bn_does_not_exist", expect=404)
    assert body["error"]["code"] == "not_found"


def test_gift_benefits_are_not_claimable(world):
    gift = world.benefit("新人礼", tiers=("base",), per_period=1, period="lifetime", trigger="opening_gift")
    _cid, token = world.member()
    _status, body, _ = world.claim(token, gift, expect=409)
    assert body["error"]["code"] == "benefit_not_available"


def test_a_replayed_claim_answers_the_first_response_and_changes_nothing(world):
    bid = world.benefit(per_period=3, period="week")
    other = world.benefit("另一个", per_period=3, period="week")
    _cid, token = world.member()
    key = "claim-" + uuid.uuid4().hex
    _s, first, _h = world.claim(token, bid, key=key)
    status, again, headers = world.claim(token, bid, key=key, expect=201)
    assert again == first and headers.get("Idempotent-Replayed") == "true"
    assert world.zone_item(token, bid)["quota"]["used"] == 1
    assert len(world.vouchers(token)) == 1
    _s, body, _h = world.claim(token, other, key=key, expect=422)  # same key, another benefit
    assert body["error"]["code"] == "idempotency_key_reused"
    status, body, _ = world.api.call("POST", f"/v1/benefits/{bid}/claims", token=token)
    assert status == 400 and body["error"]["code"] == "idempotency_key_required"
    assert world.zone_item(token, other)["quota"]["used"] == 0


def test_a_replay_still_answers_after_the_quota_ran_out_or_the_tier_changed(world):
    bid = world.benefit(tiers=("base",), per_period=1, period="month")
    cid, token = world.member()
    _s, first, _h = world.claim(token, bid, key="k-1")
    world.put_on_tier(cid, "gold")
    _s, again, headers = world.claim(token, bid, key="k-1")
    assert again == first and headers.get("Idempotent-Replayed") == "true"


# --- quota periods on the Shanghai calendar ---------------------------------------------------------------------

BOUNDARIES = [
    # period, last instant of a period, first instant of the next (Asia/Shanghai), an instant still in the first
    ("day", at(2026, 11, 23, 23, 59, 59), at(2026, 11, 24, 0, 0, 0), at(2026, 11, 23, 0, 0, 0)),
    ("week", at(2026, 11, 29, 23, 59, 59), at(2026, 11, 30, 0, 0, 0), at(2026, 11, 23, 0, 0, 0)),  # Sun -> Mon
    ("month", at(2026, 11, 30, 23, 59, 59), at(2026, 12, 1, 0, 0, 0), at(2026, 11, 1, 0, 0, 0)),
    ("year", at(2026, 12, 31, 23, 59, 59), at(2027, 1, 1, 0, 0, 0), at(2026, 1, 1, 0, 0, 0)),
    ("week", at(2027, 1, 3, 23, 59, 59), at(2027, 1, 4, 0, 0, 0), at(2026, 12, 28, 0, 0, 0)),  # ISO 2026-W53
]


@pytest.mark.parametrize("period, last, first, start", BOUNDARIES,
                         ids=[f"{p}-{f.date()}" for p, _l, f, _s in BOUNDARIES])
def test_a_quota_resets_exactly_at_the_period_boundary_in_shanghai(world, period, last, first, start):
    bid = world.benefit(per_period=2, period=period, valid_days=1)
    _cid, token = world.member()
    clock.set_now(start)
    world.claim(token, bid)
    clock.set_now(last)
    world.claim(token, bid)
    _s, body, _h = world.claim(token, bid, expect=409)
    assert body["error"]["code"] == "quota_exhausted"
    assert world.zone_item(token, bid)["quota"]["remaining"] == 0
    clock.set_now(first)
    item = world.zone_item(token, bid)
    assert item["quota"]["used"] == 0 and item["quota"]["remaining"] == 2
    world.claim(token, bid)
    world.claim(token, bid)
    world.claim(token, bid, expect=409)


def test_the_shanghai_day_starts_before_utc_midnight(world):
    bid = world.benefit(per_period=1, period="day", valid_days=1)
    _cid, token = world.member()
    from datetime import UTC, datetime

    clock.set_now(datetime(2026, 11, 23, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    world.claim(token, bid)
    world.claim(token, bid, expect=409)
    clock.set_now(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))  # 00:00 on the 24th in Shanghai, still the 23rd in UTC
    world.claim(token, bid)


def test_a_lifetime_quota_never_resets(world):
    bid = world.benefit(per_period=1, period="lifetime", valid_days=10)
    _cid, token = world.member()
    world.claim(token, bid)
    clock.set_now(at(2030, 1, 1, 9, 0))
    world.claim(token, bid, expect=409)
    assert world.zone_item(token, bid)["quota"] == {"per_period": 1, "period": "lifetime", "used": 1,
                                                    "remaining": 0, "resets_at": None}


def test_lowering_a_quota_applies_to_the_current_period(world):
    bid = world.benefit(per_period=3, period="month")
    _cid, token = world.member()
    world.claim(token, bid)
    world.claim(token, bid)
    world.admin_call("PATCH", f"/v1/admin/benefits/{bid}", {"quota": {"per_period": 2, "period": "month"}})
    world.claim(token, bid, expect=409)


# --- calls per endpoint ---------------------------------------------------------------------------------------


def test_dynamodb_calls_per_endpoint(world):
    bid = world.benefit(per_period=5, period="day")
    _cid, token = world.member()
    world.zone(token)  # caches (benefit definitions, tier catalogue) warm, as in a busy Lambda
    with DynamoCalls().counting() as calls:
        world.zone(token)
    assert calls.log == ["Query"]
    with DynamoCalls().counting() as calls:
        world.claim(token, bid, key="calls-1")
    # the idempotency record is outside the bounded member read (it grows with the member's requests): its GetItem
    # comes first, so a replay is still one call
    assert calls.log == ["GetItem", "Query", "TransactWriteItems"]
    with DynamoCalls().counting() as calls:
        _s, _b, headers = world.claim(token, bid, key="calls-1")
    assert calls.log == ["GetItem"] and headers.get("Idempotent-Replayed") == "true"
    with DynamoCalls().counting() as calls:
        world.vouchers(token)
    assert calls.log == ["Query"]
    definitions.reset_cache()
    with DynamoCalls().counting() as calls:
        world.zone(token)
    assert calls.log == ["Query", "Query"]  # a cold definitions cache adds one Query
