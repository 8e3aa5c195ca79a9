"""The benefits zone's pure parts: voucher ids and validity, computed status, which tier unlocks a locked benefit,
how used quota is read from the member's items, and the operators' rules on triggers and gift sizes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.benefits import definitions, entitlements, vouchers
from chalicelib.benefits.models import VoucherItem
from chalicelib.core.errors import AppError
from chalicelib.points import programme, tiers
from chalicelib.points import public as points_door
from chalicelib.points.reading import MemberItems
from tests.support.clock import at


def benefit(**overrides) -> definitions.Benefit:
    values = {
        "benefit_id": "bn_1", "name": "包邮券", "description": None, "kind": "free_shipping", "trigger": "claim",
        "tiers": ("base",), "per_period": 2, "period": "month", "voucher_valid_days": 7, "status": "active",
        "ver": 1, "created_at": "2026-11-01T00:00:00.000+00:00",
    }
    return definitions.Benefit(**{**values, **overrides})


# --- vouchers ---------------------------------------------------------------------------------------------------


def test_a_voucher_is_valid_through_the_end_of_its_last_business_day():
    assert vouchers.expires_at(at(2026, 11, 23, 10, 0), 1) == at(2026, 11, 24, 0, 0)
    assert vouchers.expires_at(at(2026, 11, 23, 23, 59), 7) == at(2026, 11, 30, 0, 0)
    # 16:30 UTC is already the 24th in Shanghai: the validity counts from the Shanghai day
    assert vouchers.expires_at(datetime(2026, 11, 23, 16, 30, tzinfo=UTC), 1) == at(2026, 11, 25, 0, 0)
    with pytest.raises(ValueError):
        vouchers.expires_at(at(2026, 11, 23), 0)


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_voucher_ids_sort_by_issue_time_and_match_their_format(offset_ms: int, gap_ms: int):
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=offset_ms)
    first = vouchers.new_voucher_id(start)
    later = vouchers.new_voucher_id(start + timedelta(milliseconds=gap_ms))
    assert first < later
    assert vouchers.VOUCHER_ID.match(first) and vouchers.VOUCHER_ID.match(later)


def test_expired_is_computed_and_used_is_stored():
    voucher = vouchers.new_voucher("c_1", benefit_id="bn_1", name="x", kind="coupon", valid_days=1,
                                   source="claim", at=at(2026, 11, 23, 10))
    assert voucher.expires_at == "2026-11-24T00:00:00+08:00"
    assert vouchers.status_of(voucher, int(at(2026, 11, 23, 23, 59, 59).timestamp())) == "available"
    assert vouchers.status_of(voucher, int(at(2026, 11, 24, 0, 0).timestamp())) == "expired"
    voucher.status = "used"
    assert vouchers.status_of(voucher, int(at(2030, 1, 1).timestamp())) == "used"
    assert isinstance(voucher, VoucherItem) and voucher.sk == "V#" + voucher.voucher_id


@pytest.mark.parametrize("voucher_id", ["", "v1", "V019ab2c3d4e5a1b2c3d4e5", "v019ab2c3d4e5a1b2c3d4e5#x", "x" * 300])
def test_a_malformed_voucher_id_is_not_found_without_a_read(voucher_id: str):
    with pytest.raises(AppError) as err:
        vouchers._key("c_1", voucher_id)
    assert err.value.code == "not_found"


# --- the zone -----------------------------------------------------------------------------------------------------

CATALOGUE = tiers.DEFAULT_TIERS
BASE, SILVER, GOLD, PLATINUM = CATALOGUE


@pytest.mark.parametrize("held, for_tiers, unlock", [
    (BASE, ("gold", "platinum"), "gold"),
    (BASE, ("silver", "platinum"), "silver"),
    (SILVER, ("base",), None),  # only a lower tier: not shown at all
    (GOLD, ("base", "platinum"), "platinum"),
    (PLATINUM, ("gold",), None),
])
def test_the_lowest_higher_tier_unlocks_a_locked_benefit(held, for_tiers, unlock):
    found = entitlements._unlock_tier(benefit(tiers=for_tiers), held, CATALOGUE)
    assert (found.code if found else None) == unlock


def _raw(sk: str, **attrs: dict) -> dict:
    return {"pk": {"S": "CUST#c_1"}, "sk": {"S": sk}, **attrs}


def test_used_quota_comes_from_the_counter_of_the_current_period_and_from_the_gift_markers():
    items = MemberItems("c_1", None, None, [], others=[
        _raw("M#QUOTA#bn_1#c_1#M2026-11", count={"N": "2"}),
        _raw("M#QUOTA#bn_1#c_1#M2026-10", count={"N": "1"}),
        _raw("M#GIFTPACK", issued={"S": '{"bn_gift": 2}'}, created_at={"S": "x"}),
        _raw("M#BDAY#2026", issued={"S": '{"bn_bday": 1}'}, created_at={"S": "x"}),
        _raw("M#IDEM#abc", request_hash={"S": "h"}, status={"N": "201"}),
    ])
    state = entitlements.MemberBenefitState.from_items(items)
    now = at(2026, 11, 23, 10)
    assert state.used(benefit(), "c_1", now) == (2, "2026-12-01T00:00:00+08:00")
    assert state.used(benefit(), "c_1", at(2026, 12, 1, 0, 0))[0] == 0
    gift = benefit(benefit_id="bn_gift", trigger="opening_gift", period="lifetime")
    assert state.used(gift, "c_1", now) == (2, None)
    birthday = benefit(benefit_id="bn_bday", trigger="birthday", period="year", per_period=1)
    assert state.used(birthday, "c_1", now) == (1, "2027-01-01T00:00:00+08:00")
    assert state.used(birthday, "c_1", at(2027, 3, 1))[0] == 0


def test_used_quota_in_the_bounded_layout_comes_from_the_one_counter_that_holds_the_current_period():
    items = MemberItems("c_1", None, None, [], others=[
        _raw("M#QNOW#bn_1", period_key={"S": "M2026-11"}, count={"N": "2"}),
        _raw("M#BDAYNOW", issued={"S": '{"bn_bday": 1}'}, created_at={"S": "x"}, year={"N": "2026"}),
    ])
    state = entitlements.MemberBenefitState.from_items(items)
    now = at(2026, 11, 23, 10)
    assert state.used(benefit(), "c_1", now) == (2, "2026-12-01T00:00:00+08:00")
    assert state.used(benefit(), "c_1", at(2026, 12, 1, 0, 0))[0] == 0  # a counter of a past period counts nothing
    birthday = benefit(benefit_id="bn_bday", trigger="birthday", period="year", per_period=1)
    assert state.used(birthday, "c_1", now)[0] == 1
    assert state.used(birthday, "c_1", at(2027, 3, 1))[0] == 0


# --- operators' rules ---------------------------------------------------------------------------------------------


@pytest.fixture
def default_tiers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The programme's default settings, as the points area reads them and as its front door hands them out."""
    monkeypatch.setattr(programme, "current", lambda: programme.PointsConfig())
    monkeypatch.setattr(points_door, "current", lambda: programme.PointsConfig())


@pytest.mark.parametrize("overrides, field", [
    ({"tiers": ("diamond",)}, "tiers"),
    ({"tiers": ()}, "tiers"),
    ({"trigger": "opening_gift", "period": "month"}, "quota.period"),
    ({"trigger": "birthday", "period": "lifetime"}, "quota.period"),
    ({"trigger": "opening_gift", "period": "lifetime", "per_period": 21}, "quota.per_period"),
    ({"trigger": "sometimes"}, "trigger"),
])
def test_invalid_definitions_are_refused(default_tiers, overrides, field):
    with pytest.raises(AppError) as err:
        definitions._validate(benefit(**overrides), [])
    assert err.value.code == "validation_error" and err.value.details[0]["field"] == field


def test_gift_vouchers_of_all_active_gifts_together_are_capped(default_tiers):
    others = [benefit(benefit_id=f"bn_{i}", trigger="opening_gift", period="lifetime", per_period=5)
              for i in range(3)]
    definitions._validate(
        benefit(benefit_id="bn_new", trigger="opening_gift", period="lifetime", per_period=5), others
    )
    with pytest.raises(AppError):
        definitions._validate(benefit(benefit_id="bn_new", trigger="opening_gift", period="lifetime", per_period=6),
                           others)
    disabled = [*others[:2], benefit(benefit_id="bn_off", trigger="opening_gift", period="lifetime", per_period=20,
                                     status="disabled")]
    definitions._validate(benefit(benefit_id="bn_new", trigger="opening_gift", period="lifetime", per_period=10),
                       disabled)


def test_a_definition_survives_its_item():
    original = benefit(description="每月", tiers=("silver", "gold"))
    assert definitions.Benefit.from_item(original.to_item()) == original
