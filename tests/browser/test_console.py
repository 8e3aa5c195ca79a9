"""The agents' console in a real browser (Debian's chromium through Playwright) against the real local stack.

Cases come from real failed partner redemptions (``stack_cases.py``); every check of money and stock goes through
the API. An agent signs in, finds the case in the queue, opens it (the phone masked), claims it (the phone shown),
a second agent (at 200 % zoom: nothing scrolls sideways) sees it claimed and is refused when claiming it too, the
first refunds it and the member's balance and the reward's stock are back. The keyboard moves in the queue and
claims; a group of cases of one cause is resolved in bulk with one note; an expired access token is refreshed, and a
session that cannot be returns to sign-in and then to the page the agent was on, where a back-fill claim is
approved. No page logs a console error.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any
from urllib.parse import quote

import pytest

from chalicelib.core.errors import CATALOGUE
from tests.browser.stack_cases import (
    FailedRedemption,
    balance_of,
    failed_redemptions,
    ok,
    partner_reward,
    staff_token,
    stock_of,
)
from tests.support.http import call
from tests.support.local_stack import SEEDED_STAFF

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]

STOCK = 5
POINTS = 300


def expect(target: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@pytest.fixture(scope="module")
def world(local_stack: Any) -> dict[str, Any]:
    """Two rewards, and one failed redemption of each by its own member (cases in the agents' queue)."""
    base = str(local_stack)
    admin = staff_token(base, "admin")
    tag = uuid.uuid4().hex[:6]
    rewards = [partner_reward(base, admin, f"视频会员月卡 {tag}-{n}", POINTS, STOCK) for n in (1, 2)]
    made = failed_redemptions(base, rewards)
    assert all(stock_of(base, r, STOCK - 1) == STOCK - 1 for r in rewards)
    return {"base": base, "cases": made, "tag": tag}


def sign_in(page: Any, username: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(SEEDED_STAFF[username])
    page.locator("form.sign-in button[type=submit]").click()
    expect(page.locator("#bar")).to_be_visible()


def member_no(base: str, customer_id: str) -> str:
    view = ok(call(base, "GET", f"/v1/agent/members/{customer_id}", token=staff_token(base, "agent")))
    return str(view["profile"]["member_no"])


def no_sideways_scroll(page: Any) -> bool:
    """The page fits its width (tables scroll inside their own panels)."""
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1"))


def case_url(base: str, case: FailedRedemption) -> str:
    return f"{base}/console/#/case/{quote(case.case_id, safe='')}"


def test_an_agent_claims_and_refunds_a_case_a_second_agent_sees_it_claimed(world, open_console):
    base, case = world["base"], world["cases"][0]
    agent = open_console("agent, in English", locale="en-US")
    page = agent.page
    sign_in(page, "agent")
    expect(page.locator("nav.tabs a.current")).to_have_text("Open")

    row = page.locator(f'tr.case-row[data-case-id="{case.case_id}"]')
    expect(row).to_contain_text(member_no(base, case.customer_id))
    expect(row).to_contain_text(f"视频会员月卡 {world['tag']}-1")
    expect(row).to_contain_text(f"{POINTS} points")
    expect(row.locator(".sla").first).to_have_class(re.compile(r"\bfine\b"))  # 15 minutes to respond
    row.locator("a.member-no").click()

    expect(page.locator("#case-title")).to_contain_text(f"{world['tag']}-1")
    expect(page.locator("#case-status")).to_have_text("open")
    expect(page.locator("#member-phone")).to_contain_text("****")
    expect(page.locator("#member-balance")).to_have_text(str(case.balance_before - POINTS))
    attempts = page.locator("section.panel", has_text="Attempts").locator("tbody tr")
    expect(attempts.first).to_contain_text("simulated partner failure")
    for label in ("Claim", "Release", "Retry", "Refund", "Complete manually", "Cancel", "Add note"):
        expect(page.get_by_role("button", name=label, exact=True)).to_be_visible()

    page.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#case-status")).to_contain_text("claimed")
    expect(page.locator("#member-phone")).to_have_text(re.compile(r"^1\d{10}$"))  # shown to the claimant only
    expect(page.get_by_role("button", name="Claim", exact=True)).to_be_disabled()

    second = open_console("second agent, in Chinese, at 200 % zoom", zoom=2)
    sign_in(second.page, "admin")
    expect(second.page.locator("#updated")).not_to_be_empty()  # the open queue has loaded: the case is not in it
    expect(second.page.locator(f'tr.case-row[data-case-id="{case.case_id}"]')).to_have_count(0)
    assert no_sideways_scroll(second.page)
    second.page.goto(case_url(base, case))
    expect(second.page.locator("#case-status")).to_contain_text("已认领")
    assert no_sideways_scroll(second.page)
    expect(second.page.locator("#member-phone")).to_contain_text("****")
    second.allow(409)
    second.page.get_by_role("button", name="认领", exact=True).click()
    expect(second.page.locator("#action-error")).to_have_text(CATALOGUE["case_claimed_by_other"].zh)
    expect(second.page.get_by_role("button", name="认领", exact=True)).to_be_enabled()  # usable again after

    page.get_by_role("button", name="Refund", exact=True).click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("Refund the points")
    dialog.locator("textarea[name=note]").fill("partner keeps failing; points returned")
    dialog.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("#case-status")).to_contain_text("resolved")
    expect(page.locator("#member-balance")).to_have_text(str(case.balance_before))
    expect(page.get_by_role("button", name="Refund", exact=True)).to_be_disabled()

    assert balance_of(base, case.member_token) == case.balance_before
    assert stock_of(base, case.reward_id, STOCK) == STOCK
    redemption = ok(call(base, "GET", f"/v1/me/redemptions/{case.redemption_id}", token=case.member_token))
    assert redemption["status"] == "refunded"


def test_keyboard_and_bulk_resolve_of_one_cause(world, open_console):
    base, case = world["base"], world["cases"][1]
    agent = open_console("agent, keyboard and bulk")
    page = agent.page
    sign_in(page, "agent")
    rows = page.locator("tr.case-row")
    expect(page.locator(f'tr.case-row[data-case-id="{case.case_id}"]')).to_be_visible()
    ids = [rows.nth(i).get_attribute("data-case-id") for i in range(rows.count())]
    expect(rows.first).to_have_attribute("aria-selected", "true")
    selected = page.locator("tr.case-row.selected")
    at = ids.index(case.case_id)
    for _ in range(at):
        page.keyboard.press("j")
    expect(selected).to_have_attribute("data-case-id", case.case_id)
    if len(ids) > 1:  # one step away and back
        away, back = ("k", "j") if at > 0 else ("j", "k")
        page.keyboard.press(away)
        expect(selected).to_have_attribute("data-case-id", ids[at - 1] if at > 0 else ids[1])
        page.keyboard.press(back)
        expect(selected).to_have_attribute("data-case-id", case.case_id)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(quote(case.case_id, safe="")) + "$"))
    expect(page.locator("#case-status")).to_have_text("待认领")
    page.keyboard.press("c")
    expect(page.locator("#case-status")).to_contain_text("已认领")

    page.goto(f"{base}/console/#/queue/mine")
    mine = page.locator(f'tr.case-row[data-case-id="{case.case_id}"]')
    expect(mine).to_be_visible()
    page.locator("#group-toggle").check()
    group = page.locator("tr.group", has_text="simulated partner failure").first
    expect(group).to_be_visible()
    group.get_by_role("button", name="批量处理").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("select[name=resolution]").select_option("refunded")
    dialog.locator("textarea[name=note]").fill("合作方故障，统一退回积分")
    dialog.get_by_role("button", name="确认", exact=True).click()
    expect(page.locator("#flash")).to_contain_text(re.compile(r"成功 [1-9]\d*，失败 0"))
    expect(mine).to_have_count(0)

    resolved = ok(call(base, "GET", f"/v1/agent/follow-ups/{case.case_id}", token=staff_token(base, "agent")))
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "refunded")
    assert resolved["resolution_note"] == "合作方故障，统一退回积分"
    assert balance_of(base, case.member_token) == case.balance_before
    assert stock_of(base, case.reward_id, STOCK) == STOCK


def test_an_expired_session_is_refreshed_or_returns_to_sign_in_and_back(world, open_console):
    base = world["base"]
    customer_id, member = world["cases"][0].customer_id, world["cases"][0].member_token
    order_no = f"UI-CLAIM-{uuid.uuid4().hex[:8]}"
    claim = ok(call(base, "POST", "/v1/me/points/claims", {"order_no": order_no, "amount_fen": 25_900,
                                                           "purchased_on": date.today().isoformat()},
                    token=member), 201)
    before = balance_of(base, member)

    agent = open_console("agent, expired session")
    page = agent.page
    agent.allow(401)  # the dead access tokens (and below, the dead refresh token)
    sign_in(page, "agent")
    page.evaluate("""() => { const s = JSON.parse(sessionStorage.getItem("console.session"));
        sessionStorage.setItem("console.session", JSON.stringify({...s, access_token: "expired"})); }""")
    page.goto(f"{base}/console/#/queue/all")
    expect(page.locator("#updated")).not_to_be_empty()  # refreshed with the refresh token: still signed in
    assert page.evaluate("() => JSON.parse(sessionStorage.getItem('console.session')).access_token") != "expired"

    page.evaluate("""() => sessionStorage.setItem("console.session", JSON.stringify(
        {access_token: "expired", refresh_token: "revoked", staff_id: "stf_gone", username: "agent"}))""")
    page.goto(f"{base}/console/#/claims")
    expect(page.locator("form.sign-in")).to_be_visible()
    expect(page.locator("form.sign-in")).to_contain_text("登录已过期")
    sign_in(page, "agent")
    expect(page).to_have_url(re.compile(r"#/claims$"))

    row = page.locator(f'tr[data-claim-id="{claim["claim_id"]}"]')
    expect(row).to_contain_text(order_no)
    expect(row).to_contain_text(customer_id)
    row.get_by_role("button", name="通过", exact=True).click()
    page.locator("dialog[open]").get_by_role("button", name="确认", exact=True).click()
    expect(row).to_have_count(0)
    assert balance_of(base, member) > before

    page.get_by_role("button", name="退出").click()
    expect(page.locator("form.sign-in")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('console.session')") is None
