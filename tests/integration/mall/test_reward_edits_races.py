"""Reward edits racing redemptions over real HTTP (two worker processes on DynamoDB Local): stock removed and added
while members redeem the last units never oversells; every unit is accounted for (created + added - removed = sold +
left); a price edit racing redemptions charges each redemption one price or the other, never a shard below zero."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.http.principal import Principal
from chalicelib.identity import sessions, staff
from chalicelib.mall import rewards
from chalicelib.mall.models import STOCK_SK, StockShardItem
from chalicelib.points import earn_and_spend
from tests.support.aws import reset_app_caches
from tests.support.http import Http
from tests.support.mall_world import new_key
from tests.support.races import Auth, app_processes, member
from tests.support.threads import run_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # real processes racing


@pytest.fixture
def http(ddb_table: str) -> Iterator[Http]:
    reset_app_caches()
    with app_processes(workers=2) as server:
        try:
            yield server
        finally:
            reset_app_caches()


def admin() -> Auth:
    name = f"race-admin-{uuid.uuid4().hex[:8]}"
    staff_id = staff.create_staff(name, "race-admin-pass", "admin", rounds=4)
    token = sessions.issue(Principal(subject=name, role="admin", staff_id=staff_id))["access_token"]
    return {"authorization": f"Bearer {token}"}


def buyer(points: int) -> Auth:
    cid, auth = member()
    earn_and_spend.earn(cid, points, kind="adjustment", reference="edit-race-seed")
    return auth


def shards(reward_id: str) -> list[int]:
    reward = rewards.definition(reward_id, fresh=True)
    return [int(StockShardItem.get(rewards.shard_pk(reward_id, k), STOCK_SK, consistent_read=True).remaining)
            for k in range(reward.shards)]


def redeem(http: Http, auth: Auth, reward_id: str) -> tuple[int, Any]:
    return http.call("POST", "/v1/redemptions", {"reward_id": reward_id, "quantity": 1},
                     headers={**auth, "idempotency-key": new_key()})


def edit(http: Http, auth: Auth, reward_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    return http.call("PATCH", f"/v1/admin/rewards/{reward_id}", body, headers=auth)


def test_stock_removed_and_added_while_members_redeem_never_oversells(http: Http):
    stock, buyers = 40, 40
    reward_id = rewards.create_reward(name="边卖边改", points_cost=100, stock=stock, fulfillment="in_house",
                                      staff_id="test", stock_shards=4)
    operator = admin()
    people = [buyer(500) for _ in range(buyers)]

    def remove_until_refused() -> list[tuple[int, int, Any]]:
        """An operator removing 2 units at a time while the sale runs, until the API says nothing is left."""
        done = []
        while True:
            status, body = edit(http, operator, reward_id, {"stock_change": -2})
            done.append((-2, status, body))
            if status != 200:
                return done

    calls = ([lambda a=a: [("redeem", redeem(http, a, reward_id))] for a in people]
             + [lambda: [("edit", *e) for e in remove_until_refused()] for _ in range(2)]
             + [lambda: [("edit", 3, *edit(http, operator, reward_id, {"stock_change": 3}))]])
    results = [r for batch in run_all(calls, timeout=60) for r in batch]
    sales = [r[1] for r in results if r[0] == "redeem"]
    sold = sum(1 for status, _b in sales if status == 201)
    assert {status for status, _b in sales} <= {201, 409}, sales
    assert {body["error"]["code"] for status, body in sales if status == 409} <= {"out_of_stock"}
    edits = [(r[1], r[2], r[3]) for r in results if r[0] == "edit"]
    assert all(status == 200 or (status, body["error"]["code"]) == (409, "stock_removal_exceeds_unsold")
               for _d, status, body in edits), edits
    changed = sum(d for d, status, _b in edits if status == 200)
    left = shards(reward_id)
    assert min(left) >= 0, left
    assert stock + changed == sold + sum(left), (stock, changed, sold, left)
    assert rewards.definition(reward_id, fresh=True).stock_total == stock + changed
    assert sum(1 for d, status, _b in edits if d < 0 and status == 200) >= 2  # removals ran alongside the sales
    # what is left can still be sold, and no more
    more = run_all([lambda a=a: redeem(http, a, reward_id) for a in [buyer(500) for _ in range(sum(left) + 3)]])
    assert Counter(s for s, _b in more) == Counter({201: sum(left), 409: 3})
    assert shards(reward_id) == [0] * len(left)


def test_a_price_edit_racing_redemptions_charges_one_price_or_the_other(http: Http):
    reward_id = rewards.create_reward(name="改价", points_cost=100, stock=50, fulfillment="in_house",
                                      staff_id="test", stock_shards=2)
    operator = admin()
    people = [buyer(1_000) for _ in range(16)]
    calls = ([lambda a=a: redeem(http, a, reward_id) for a in people]
             + [lambda: edit(http, operator, reward_id, {"points_cost": 150})])
    results = run_all(calls, timeout=60)
    assert results[-1][0] == 200, results[-1]
    spent = [body["points_spent"] for status, body in results[:-1] if status == 201]
    assert len(spent) == 16 and set(spent) <= {100, 150}, results
    # once the edit has answered, every process charges the new price (its cached definition is refused)
    after = [redeem(http, a, reward_id) for a in [buyer(1_000) for _ in range(4)]]
    assert [(s, b["points_spent"]) for s, b in after] == [(201, 150)] * 4
    assert sum(shards(reward_id)) == 50 - 20
