"""The tier a member holds today is one rule (``points.held_tier``), asked by every area that restricts by
tier: a gold member whose downgrade falls due today is treated as the lower tier by the zone, the mall and the
follow-up queue alike, before the nightly evaluation writes it to the profile."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core.dynamo import keys
from chalicelib.points import reading
from chalicelib.points.models import POINTS_SK, PointsStateItem
from tests.support.mall_world import MallWorld

pytestmark = pytest.mark.integration


@pytest.fixture
def mall(api: Any) -> MallWorld:
    return MallWorld.make(api)


def _downgrade_due_today(cid: str) -> None:
    """Stored tier gold, no spend in the last 12 months, evaluation today: the member holds the base tier now."""
    PointsStateItem(pk=keys.customer_pk(cid), sk=POINTS_SK).update(
        actions=[PointsStateItem.customer_id.set(cid),
                 PointsStateItem.tier_evaluation_on.set(reading.today().isoformat())])


@pytest.mark.slow
def test_a_downgrade_due_today_counts_in_the_mall_and_the_zone(mall: MallWorld):
    cid, token = mall.member(points_held=1000, tier="gold")
    gold_only = mall.reward(name="金卡专享", points_cost=10, stock=5, tiers=["gold", "platinum"])
    status, body, _ = mall.redeem(token, gold_only)
    assert status == 201, body  # gold today: admitted
    _downgrade_due_today(cid)
    assert mall.get("/v1/me", token)["tier"]["code"] == "base"
    assert mall.get("/v1/benefits", token)["tier"]["code"] == "base"
    status, body, _ = mall.redeem(token, gold_only)
    assert (status, body["error"]["code"]) == (403, "tier_not_eligible")
    assert mall.balance(token) == 990  # the refusal took nothing
