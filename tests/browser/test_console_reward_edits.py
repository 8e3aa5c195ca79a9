"""Editing a reward and the daily figures, in chromium against the real local stack. An operator adds stock to a
reward on the Programme page and the member API's catalogue shows it (and the Audit page names the edit in words); an
edit removing more stock than is unsold is refused with the API's message, the input kept and nothing changed; the
dashboard draws active members and points per day, the API's figures. No page logs a console error (the page
fixture checks)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.errors import CATALOGUE
from tests.browser.stack_cases import member_with_points, ok, staff_token
from tests.browser.test_console import expect, sign_in
from tests.browser.test_console_operators import eventually
from tests.support.http import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]


@pytest.fixture(scope="module")
def base(local_stack: Any) -> str:
    return str(local_stack)


def new_reward(base: str, stock: int) -> tuple[str, str]:
    name = f"保温杯 {uuid.uuid4().hex[:6]}"
    out = ok(call(base, "POST", "/v1/admin/rewards", {"name": name, "points_cost": 90, "stock": stock,
                                                       "stock_shards": 3, "fulfillment": "in_house"},
                  token=staff_token(base, "admin")), 201)
    return str(out["reward_id"]), name


def open_editor(page: Any, base: str, reward_id: str) -> Any:
    page.goto(f"{base}/console/#/programme/rewards")
    page.locator(f'button.edit-reward[data-reward="{reward_id}"]').click()
    form = page.locator("#reward-edit-form")
    expect(form).to_contain_text(reward_id)
    return form


def test_an_operator_adds_stock_the_catalogue_shows_it_and_the_audit_names_the_edit(base, open_console):
    reward_id, name = new_reward(base, stock=7)
    page = open_console("operator, reward edit").page
    sign_in(page, "admin")
    form = open_editor(page, base, reward_id)
    expect(form.locator("#reward-shards")).to_contain_text("3 · 2 · 2")
    form.get_by_label("所需积分", exact=True).fill("80")
    form.get_by_label("增减库存", exact=True).fill("5")
    form.get_by_role("button", name="保存").click()
    expect(page.locator("#reward-edit-form #reward-shards")).to_contain_text("未售出 12 / 累计投放 12")
    expect(page.locator("#reward-edit-form").get_by_label("增减库存", exact=True)).to_have_value("")

    def listed() -> dict[str, Any] | None:  # each worker process within its caches' bound (definitions: 5 s)
        item = ok(call(base, "GET", f"/v1/rewards/{reward_id}"))
        return item if (item["stock_remaining"], item["points_cost"]) == (12, 80) else None
    item = eventually(listed)
    assert item and item["name"] == name, item
    expect(page.locator("#programme-rewards table").first).to_contain_text(name)

    page.locator("#bar").get_by_role("link", name="审计").click()
    page.locator("#audit-by").select_option("day")
    page.get_by_role("button", name="查询").click()
    row = page.locator('#audit-table tr[data-action="edit_reward"]').filter(has_text=reward_id)
    expect(row).to_contain_text("编辑兑换商品")


def test_a_refused_edit_shows_the_apis_message_keeps_the_input_and_changes_nothing(base, open_console):
    reward_id, _name = new_reward(base, stock=4)
    watched = open_console("operator, refused reward edit")
    watched.allow(409)
    page = watched.page
    sign_in(page, "admin")
    form = open_editor(page, base, reward_id)
    form.get_by_label("名称", exact=True).fill("改了名字")
    form.get_by_label("增减库存", exact=True).fill("-9")
    form.get_by_role("button", name="保存").click()
    expect(form.get_by_role("alert")).to_contain_text(CATALOGUE["stock_removal_exceeds_unsold"].zh)
    expect(form.get_by_label("名称", exact=True)).to_have_value("改了名字")
    expect(form.get_by_label("增减库存", exact=True)).to_have_value("-9")
    admin = ok(call(base, "GET", f"/v1/admin/rewards/{reward_id}", token=staff_token(base, "admin")))
    assert (admin["stock_remaining"], admin["ver"]) == (4, 1) and admin["name"] != "改了名字"


def test_the_dashboard_draws_the_daily_series_the_api_answers(base, open_console):
    admin = staff_token(base, "admin")
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    first = (today - timedelta(days=29)).isoformat()
    before = ok(call(base, "GET", f"/v1/admin/health/daily?from={today}&to={today}", token=admin))["days"][0]
    member_with_points(base, 25_000)  # 250 points issued today, counted from the table's stream

    def counted() -> dict[str, Any] | None:
        day = ok(call(base, "GET", f"/v1/admin/health/daily?from={today}&to={today}", token=admin))["days"][0]
        return day if day["points_issued"] > before["points_issued"] else None
    day = eventually(counted, timeout=60)
    assert day, "the stream did not count today's earning"
    days = ok(call(base, "GET", f"/v1/admin/health/daily?from={first}&to={today}", token=admin))["days"]
    assert len(days) == 30 and days[-1]["day"] == today.isoformat()

    page = open_console("operator, daily dashboard", locale="en-US").page
    sign_in(page, "admin")
    page.locator("#bar").get_by_role("link", name="Dashboard").click()
    chart = page.locator("#chart-daily")
    expect(chart.locator("canvas")).to_have_count(1)
    label = chart.get_attribute("aria-label") or ""
    assert label.startswith("Active members and points per day (last 30 days): "), label
    assert label.count(";") == 29
    assert (f"{day['day']} Active members {day['active_members']:,}, Issued {day['points_issued']:,}, "
            f"Spent {day['points_redeemed']:,}, Expired {day['points_expired']:,}") in label
