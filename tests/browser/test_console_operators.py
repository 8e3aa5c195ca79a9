"""The operators' pages of the console in a real browser (Debian's chromium through Playwright) against the real local
stack. An operator (role admin) signs in and sees the operator navigation; creates a benefit and a reward in the
Programme page and the member API shows them; approves a member-hosted event from the review queue; a refused form
shows the API's message with the input kept; builds a segment in the rule builder whose size is the API's; launches a
campaign to it behind a confirmation and reads its results (sent, suppressed by reason, the conversions chart). An
agent sees none of it and the API refuses them. No page logs a console error (the page fixture checks).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest

from chalicelib.core.errors import CATALOGUE
from tests.browser.stack_cases import member_with_points, ok, staff_token
from tests.browser.test_console import expect, no_sideways_scroll, sign_in
from tests.support.http import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]

NAV_ZH = ["仪表盘", "会员计划", "分群", "营销活动", "月结"]
NAV_EN = ["Dashboard", "Programme", "Segments", "Campaigns", "Month-end"]


def eventually(check: Any, timeout: float = 30.0, pause: float = 0.5) -> Any:
    """``check()``'s first truthy answer within ``timeout`` (caches and the stream take a few seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        out = check()
        if out or time.monotonic() > deadline:
            return out
        time.sleep(pause)


def reward_named(base: str, name: str) -> dict[str, Any] | None:
    cursor = None
    while True:
        page = ok(call(base, "GET", "/v1/rewards?limit=50" + (f"&cursor={cursor}" if cursor else "")))
        for item in page["items"]:
            if item["name"] == name:
                return dict(item)
        cursor = page.get("next_cursor")
        if not cursor:
            return None


@pytest.fixture(scope="module")
def base(local_stack: Any) -> str:
    return str(local_stack)


def operator(open_console: Any, label: str, locale: str = "zh-CN", zoom: int = 1) -> Any:
    watched = open_console(label, locale=locale, zoom=zoom)
    sign_in(watched.page, "admin")
    return watched


def test_an_operator_creates_a_benefit_and_a_reward_the_member_api_shows_them(base, open_console):
    page = operator(open_console, "operator, programme").page
    nav = page.locator("#bar nav a:visible")
    expect(nav).to_contain_text(NAV_ZH)
    tag = uuid.uuid4().hex[:6]
    _, member = member_with_points(base, 50_000)

    page.locator("#bar").get_by_role("link", name="会员计划").click()
    page.get_by_role("link", name="权益", exact=True).click()
    form = page.locator("#benefit-form")
    form.get_by_label("名称", exact=True).fill(f"生日礼 {tag}")
    for box in form.locator(".checks input[type=checkbox]").all():
        box.check()
    form.get_by_label("每周期次数", exact=True).fill("2")
    form.get_by_label("周期", exact=True).select_option("month")
    form.get_by_role("button", name="创建").click()
    expect(page.locator("#programme-benefits table")).to_contain_text(f"生日礼 {tag}")

    def in_zone() -> bool:
        zone = ok(call(base, "GET", "/v1/benefits", token=member))
        return any(item["name"] == f"生日礼 {tag}" for item in zone["items"])
    assert eventually(in_zone), "the new benefit is not in the member's benefits zone"

    page.get_by_role("link", name="积分商城", exact=True).click()
    form = page.locator("#reward-form")
    form.get_by_label("名称", exact=True).fill(f"帆布袋 {tag}")
    form.get_by_label("所需积分", exact=True).fill("120")
    form.get_by_label("库存", exact=True).fill("7")
    form.get_by_label("库存分片数", exact=True).fill("2")
    form.get_by_role("button", name="创建").click()
    expect(form.get_by_label("名称", exact=True)).to_have_value("")  # saved: the form is ready for the next one
    reward = eventually(lambda: reward_named(base, f"帆布袋 {tag}"))
    assert reward and reward["points_cost"] == 120 and reward["stock_remaining"] == 7


def test_a_refused_form_shows_the_apis_message_and_keeps_the_input(base, open_console):
    plan_id = f"p_{uuid.uuid4().hex[:8]}"
    admin = staff_token(base, "admin")
    ok(call(base, "POST", "/v1/admin/membership/plans",
            {"plan_id": plan_id, "name": "年卡", "price_fen": 9900, "period": "year"}, token=admin), 201)
    watched = operator(open_console, "operator, refused form")
    watched.allow(409)
    page = watched.page
    page.goto(f"{base}/console/#/programme/plus")
    form = page.locator("#plan-form")
    form.get_by_label("套餐编号", exact=True).fill(plan_id)
    form.get_by_label("名称", exact=True).fill("年卡（重复）")
    form.get_by_label("价格（分）", exact=True).fill("12800")
    form.get_by_role("button", name="创建").click()
    expect(form.get_by_role("alert")).to_contain_text(CATALOGUE["plan_exists"].zh)
    expect(form.get_by_label("套餐编号", exact=True)).to_have_value(plan_id)
    expect(form.get_by_label("名称", exact=True)).to_have_value("年卡（重复）")
    expect(form.get_by_label("价格（分）", exact=True)).to_have_value("12800")
    expect(page.locator("#programme-plus table")).to_contain_text("¥99.00")  # the existing plan, as yuan


def test_an_operator_approves_a_member_hosted_event(base, open_console):
    admin = staff_token(base, "admin")
    host_id, host = member_with_points(base, 10_000)
    ok(call(base, "PUT", f"/v1/admin/members/{host_id}/tier-floor", {"tier_code": "gold"}, token=admin))
    title = f"读书会 {uuid.uuid4().hex[:6]}"
    proposed = ok(call(base, "POST", "/v1/events", {"title": title, "venue": "静安店",
                                                    "starts_at": "2027-03-06T19:00:00+08:00",
                                                    "ends_at": "2027-03-06T21:00:00+08:00", "capacity": 8},
                       token=host), 201)
    assert proposed["status"] == "pending_approval"

    page = operator(open_console, "operator, events, in English", locale="en-US").page
    expect(page.locator("#bar nav a:visible")).to_contain_text(NAV_EN)
    page.goto(f"{base}/console/#/programme/events")
    row = page.locator(f'#review-queue tr[data-event-id="{proposed["event_id"]}"]')
    expect(row).to_contain_text("2027-03-06 19:00 UTC+8")
    row.get_by_role("button", name="Approve", exact=True).click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Approve the event?")
    dialog.get_by_role("button", name="Confirm", exact=True).click()
    expect(row).to_have_count(0)
    event = ok(call(base, "GET", f"/v1/events/{proposed['event_id']}", token=host))
    assert event["status"] == "approved"


def test_a_segment_built_in_the_console_has_the_apis_size_and_a_campaign_to_it_reports_its_results(
        base, open_console):
    amount = 100_000 + (uuid.uuid4().int % 90_000) * 100  # a balance no other member of the stack is likely to have
    members = [member_with_points(base, amount) for _ in range(3)]
    for n, (_, token) in enumerate(members):
        ok(call(base, "PATCH", "/v1/me", {"consents": {"marketing": n < 2}}, token=token))
    balances = sorted({ok(call(base, "GET", "/v1/me/points", token=token))["balance"] for _, token in members})
    value = ", ".join(str(b) for b in balances)
    tag = uuid.uuid4().hex[:6]

    watched = operator(open_console, "operator, segment and campaign")
    page = watched.page
    page.locator("#bar").get_by_role("link", name="分群").focus()  # the keyboard reaches the navigation
    page.keyboard.press("Enter")
    page.locator("#segment-name").fill(f"同积分会员 {tag}")
    condition = page.locator(".condition").first
    condition.locator(".cond-fact").select_option("points_balance")
    condition.locator(".cond-op").select_option("in")
    condition.locator(".cond-value").fill(value)
    page.locator("#segment-form").get_by_role("button", name="创建").click()
    expect(page.locator("#segment-title")).to_have_text(f"同积分会员 {tag}")
    segment_id = page.url.rsplit("/", 1)[1]

    size = page.locator("#segment-size")
    expect(size).to_have_attribute("data-size", "3", timeout=60_000)  # the rebuild, then the stream: live
    expect(size).to_have_attribute("data-rebuilding", "false")
    api_size = ok(call(base, "GET", f"/v1/admin/segments/{segment_id}", token=staff_token(base, "admin")))["size"]
    assert api_size == 3
    expect(size).to_contain_text("3 · 精确")
    rows = page.locator("#segment-members tbody tr")
    expect(rows).to_have_count(3)
    rows.first.get_by_role("button", name="为什么在此分群").click()
    expect(page.locator("#why-in")).to_have_text("是")
    expect(page.locator("#why")).to_contain_text(re.compile("|".join(str(b) for b in balances)))

    page.get_by_role("link", name="新建营销活动").click()
    form = page.locator("#campaign-form")
    expect(form.get_by_label("分群", exact=True)).to_have_value(segment_id)
    form.get_by_label("名称", exact=True).fill(f"回访 {tag}")
    form.get_by_label("消息标题", exact=True).fill("好久不见")
    form.get_by_label("消息内容", exact=True).fill("送您 100 积分，欢迎回来。")
    form.get_by_label("优惠", exact=True).select_option("points")
    form.get_by_label("赠送积分", exact=True).fill("100")
    form.get_by_label("对照组比例（%）", exact=True).fill("0")
    form.get_by_role("button", name="创建").click()
    expect(page.locator("#campaign-status")).to_have_text("草稿")
    campaign_id = page.url.rsplit("/", 1)[1]

    page.locator("#launch").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#launch-note")).to_contain_text(f"同积分会员 {tag}")
    expect(dialog.locator("#launch-note")).to_contain_text("3 位会员")
    dialog.get_by_role("button", name="发送", exact=True).click()
    expect(page.locator("#campaign-status")).to_have_text("已完成", timeout=90_000)
    admin = staff_token(base, "admin")
    result = ok(call(base, "GET", f"/v1/admin/campaigns/{campaign_id}", token=admin))
    assert (result["audience"], result["sent"], result["suppressed"]["no_consent"]) == (3, 2, 1)
    expect(page.locator("#campaign-sent")).to_have_text("2")
    expect(page.locator('#campaign-results [data-reason="no_consent"]')).to_have_text("1")
    chart = page.locator("#conversion-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart).to_have_attribute("aria-label", re.compile(r"^实验组 0/3 "))

    zoomed = operator(open_console, "operator at 200 % zoom", zoom=2).page
    for where in (f"#/segments/{segment_id}", f"#/campaigns/{campaign_id}", "#/programme/benefits"):
        zoomed.goto(f"{base}/console/{where}")
        expect(zoomed.locator("main h1").first).to_be_visible()
        zoomed.wait_for_load_state("networkidle")
        assert no_sideways_scroll(zoomed), where


def test_an_agent_cannot_open_the_operator_pages_and_the_api_refuses_them(base, open_console):
    page = open_console("agent, operator pages").page
    sign_in(page, "agent")
    expect(page.locator("#bar nav a:visible")).to_have_text(["工单队列", "补录积分"])
    for where in ("#/programme/benefits", "#/segments", "#/campaigns", "#/dashboard", "#/month-end", "#/staff"):
        page.goto(f"{base}/console/{where}")
        expect(page.locator("#not-allowed")).to_have_text("您的角色无权访问该页面")
    agent = staff_token(base, "agent")
    for path in ("/v1/admin/benefits", "/v1/admin/segments", "/v1/admin/segment-facts", "/v1/admin/staff"):
        status, body = call(base, "GET", path, token=agent)
        assert status == 403 and body["error"]["code"] == "forbidden", (path, status, body)
