"""An operator edits a reward through the admin API (DynamoDB Local): terms and stock change at once for members,
stock is never removed below what is unsold, bad input changes nothing, and the audit trail records the edit."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from chalicelib.core import clock
from chalicelib.core.calendar import business_day
from chalicelib.mall import reward_edits
from tests.support.mall_world import MallWorld, new_key

pytestmark = pytest.mark.integration

PATH = "/v1/admin/rewards/{}"


@pytest.fixture
def mall(api: Any) -> MallWorld:
    return MallWorld.make(api)


def patch(mall: MallWorld, reward_id: str, body: Any, english: bool = False) -> tuple[int, Any]:
    headers = {"accept-language": "en"} if english else None
    status, out, _ = mall.api.call("PATCH", PATH.format(reward_id), body, token=mall.admin, headers=headers)
    return status, out


def admin_view(mall: MallWorld, reward_id: str) -> dict[str, Any]:
    return dict(mall.get(PATH.format(reward_id), mall.admin))


@pytest.mark.slow
def test_an_edit_changes_the_terms_and_stock_members_see(mall: MallWorld):
    reward_id = mall.reward(points_cost=300, stock=10, stock_shards=4, per_member_limit=1)
    before = admin_view(mall, reward_id)
    assert before["stock_by_shard"] == [3, 3, 2, 2] and before["ver"] == 1 and before["paused"] is False
    status, out = patch(mall, reward_id, {"name": "新名字", "points_cost": 250, "per_member_limit": None,
                                          "stock_change": 6, "ver": 1})
    assert status == 200, out
    assert (out["name"], out["points_cost"], out["per_member_limit"], out["ver"]) == ("新名字", 250, None, 2)
    assert (out["stock_total"], out["stock_remaining"], sum(out["stock_by_shard"])) == (16, 16, 16)
    listed = mall.get(f"/v1/rewards/{reward_id}")
    assert (listed["name"], listed["points_cost"], listed["stock_remaining"]) == ("新名字", 250, 16)

    _cid, token = mall.member(points_held=1_000)
    status, body, _ = mall.redeem(token, reward_id, quantity=2)  # the limit of 1 is gone; the new price is charged
    assert status == 201 and body["points_spent"] == 500, body

    status, out = patch(mall, reward_id, {"stock_change": -14})
    assert status == 200 and out["stock_remaining"] == 0 and out["stock_total"] == 2, out
    assert mall.redeem(token, reward_id)[1]["error"]["code"] == "out_of_stock"


def test_removing_more_than_is_unsold_is_refused_in_both_languages_and_changes_nothing(mall: MallWorld):
    reward_id = mall.reward(stock=5, stock_shards=2)
    _cid, token = mall.member(points_held=1_000)
    assert mall.redeem(token, reward_id, quantity=2)[0] == 201
    before = admin_view(mall, reward_id)
    status, out = patch(mall, reward_id, {"stock_change": -4, "name": "不会改"})
    assert status == 409 and out["error"]["code"] == "stock_removal_exceeds_unsold", out
    assert "未做任何修改" in out["error"]["message"] and "only 3 unsold" in out["error"]["details"][0]["issue"]
    status, out = patch(mall, reward_id, {"stock_change": -4}, english=True)
    assert out["error"]["message"] == "Cannot remove more stock than is still unsold: nothing was changed"
    assert admin_view(mall, reward_id) == before


@pytest.mark.parametrize("body", [
    {}, {"ver": 1}, {"stock_change": 0}, {"points_cost": 0}, {"points_cost": None}, {"name": ""},
    {"paused": "yes"}, {"stock_change": 1.5}, {"per_member_limit": 0}, {"surprise": 1}, [1],
])
def test_bad_input_is_400_and_changes_nothing(mall: MallWorld, body: Any):
    reward_id = mall.reward(stock=5)
    before = admin_view(mall, reward_id)
    status, out = patch(mall, reward_id, body, english=True)
    assert status == 400 and out["error"]["code"] == "validation_error", out
    assert patch(mall, reward_id, body)[1]["error"]["message"] != out["error"]["message"]  # zh by default
    assert admin_view(mall, reward_id) == before


def test_an_edit_from_a_stale_version_and_of_an_unknown_reward_are_refused(mall: MallWorld):
    reward_id = mall.reward(stock=5)
    assert patch(mall, reward_id, {"stock_change": 1, "ver": 1})[0] == 200
    status, out = patch(mall, reward_id, {"stock_change": 1, "ver": 1})  # the same edit sent twice: applied once
    assert status == 409 and out["error"]["code"] == "reward_edit_conflict", out
    assert admin_view(mall, reward_id)["stock_remaining"] == 6
    assert patch(mall, "rwd_nope", {"paused": True})[0] == 404
    _cid, token = mall.member()
    status, out, _ = mall.api.call("PATCH", PATH.format(reward_id), {"paused": True}, token=token)
    assert status == 403, out


@pytest.mark.slow
def test_a_paused_reward_is_listed_unavailable_and_refused_until_resumed(mall: MallWorld):
    reward_id = mall.reward(stock=5)
    _cid, token = mall.member(points_held=1_000)
    assert patch(mall, reward_id, {"paused": True})[0] == 200
    assert mall.get(f"/v1/rewards/{reward_id}")["available"] is False
    status, body, _ = mall.redeem(token, reward_id)
    assert status == 409 and body["error"]["code"] == "reward_not_available", body
    assert patch(mall, reward_id, {"paused": False})[1]["available"] is True
    assert mall.redeem(token, reward_id)[0] == 201


def test_the_audit_trail_records_who_edited_what(mall: MallWorld):
    reward_id = mall.reward(points_cost=100, stock=5)
    assert patch(mall, reward_id, {"points_cost": 120, "stock_change": 3})[0] == 200
    patch(mall, reward_id, {"stock_change": -99})  # refused: leaves no record
    day = business_day(clock.now()).isoformat()
    trail = mall.get(f"/v1/admin/audit?day={day}&limit=100", mall.admin)["items"]
    edits = [r for r in trail if r["action"] == "edit_reward" and r["target"].get("reward_id") == reward_id]
    assert len(edits) == 1, trail
    rec = edits[0]
    assert rec["route"] == "PATCH /v1/admin/rewards/{reward_id}" and rec["target"] == {"reward_id": reward_id}
    assert json.dumps(rec["changes"], sort_keys=True) == json.dumps(
        {"after": {"points_cost": 120, "stock_total": 8}, "before": {"points_cost": 100, "stock_total": 5}},
        sort_keys=True)  # as the auditor reads it: whole numbers


def test_removal_is_spread_over_the_shards_that_hold_stock():
    assert reward_edits.removal_plan({0: 5, 1: 5, 2: 0, 3: 1}, 7) == {0: 3, 1: 3, 3: 1}
    assert reward_edits.removal_plan({0: 5, 1: -1}, 5) == {0: 5}
    assert reward_edits.removal_plan({0: 2, 1: 2}, 5) is None


def test_a_redemption_between_the_edits_read_and_its_write_is_never_oversold(mall: MallWorld, monkeypatch):
    """The edit plans its removal from what it read; a member redeems before it writes: the shard's condition
    refuses the stale plan, the edit plans again from a fresh read and finds too little unsold."""
    from chalicelib.mall import redeeming

    reward_id = mall.reward(stock=3, stock_shards=1)
    cid, _token = mall.member(points_held=1_000)
    plan, sold = reward_edits._plan_stock, []

    def plan_then_someone_redeems(remaining: dict[int, int], change: int) -> dict[int, int]:
        out = plan(remaining, change)
        if not sold:  # a thread of its own: outside this request (and its audit scope), as another process would be
            worker = threading.Thread(target=lambda: sold.append(redeeming.redeem(cid, reward_id, 1, new_key())))
            worker.start()
            worker.join()
        return out

    monkeypatch.setattr(reward_edits, "_plan_stock", plan_then_someone_redeems)
    status, out = patch(mall, reward_id, {"stock_change": -3})
    assert sold and sold[0].outcome == "created", sold
    assert status == 409 and out["error"]["code"] == "stock_removal_exceeds_unsold", out
    assert "only 2 unsold" in out["error"]["details"][0]["issue"]
    assert admin_view(mall, reward_id)["stock_by_shard"] == [2]
