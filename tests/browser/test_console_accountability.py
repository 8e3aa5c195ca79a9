"""Accountability in the console, in a real browser (Debian's chromium through Playwright) against the real local
stack: an admin's points adjustment over the approval threshold waits on the Approvals page; its maker trying to
approve it gets the API's refusal in the dialog, a second admin approves it with a reason and the member's balance
moves; the Audit page filtered by that member shows the adjustment and the approval; the day's hash chains verify.
Agents see neither page, supervisors the approvals only, auditors the audit trail only (and land on it). No page
logs a console error (the page fixture checks).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chalicelib.core.errors import CATALOGUE
from tests.browser.stack_cases import balance_of, member_with_points, ok, staff_token
from tests.browser.test_console import expect, no_sideways_scroll, sign_in
from tests.support.http import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]


@pytest.fixture(scope="module")
def base(local_stack: Any) -> str:
    return str(local_stack)


def new_staff(base: str, role: str) -> tuple[str, str, str]:
    """A new staff account made by the seeded admin: (staff ID, username, password)."""
    username, password = f"{role}-{uuid.uuid4().hex[:6]}", f"{role}-pass-{uuid.uuid4().hex[:6]}"
    made = ok(call(base, "POST", "/v1/admin/staff", {"username": username, "password": password, "role": role},
                   token=staff_token(base, "admin")), 201)
    return str(made["staff_id"]), username, password


def sign_in_as(page: Any, username: str, password: str) -> None:
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form.sign-in button[type=submit]").click()
    expect(page.locator("#bar")).to_be_visible()


def test_a_second_admin_approves_an_adjustment_its_maker_cannot_and_the_audit_trail_shows_both(base, open_console):
    customer_id, member = member_with_points(base, 10_000)
    before = balance_of(base, member)
    points = 800  # over the local stack's APPROVAL_THRESHOLD_POINTS (500): it waits for a second staff member
    waiting = ok(call(base, "POST", "/v1/admin/points/adjustments",
                      {"customer_id": customer_id, "delta": points, "reason": "大额补录"},
                      token=staff_token(base, "admin")), 202)
    approval_id = waiting["approval_id"]
    assert balance_of(base, member) == before  # nothing moves yet

    # The maker: the API refuses their own approval, and the dialog says so in the API's words.
    maker = open_console("the maker, approvals")
    maker.allow(403)
    page = maker.page
    sign_in(page, "admin")
    page.locator("#bar").get_by_role("link", name="审批", exact=True).click()
    row = page.locator(f'#approvals tr[data-approval-id="{approval_id}"]')
    expect(row).to_contain_text("积分调整")
    expect(row).to_contain_text("大额补录")
    expect(row).to_contain_text(customer_id)
    row.get_by_role("button", name="通过", exact=True).click()
    dialog = page.locator("dialog[open]")
    dialog.locator("#decision-reason").fill("我自己批")
    dialog.get_by_role("button", name="通过", exact=True).click()
    expect(dialog.locator("#dialog-error")).to_have_text(CATALOGUE["self_approval"].zh)
    dialog.get_by_role("button", name="返回", exact=True).click()
    expect(row).to_be_visible()
    assert balance_of(base, member) == before

    # A second admin, in English: the reason is required, then the change runs and the row leaves the queue.
    checker_id, username, password = new_staff(base, "admin")
    checker = open_console("the checker, approvals, in English", locale="en-US")
    page = checker.page
    sign_in_as(page, username, password)
    expect(page.locator("#bar nav a:visible")).to_contain_text(["Approvals", "Audit"])
    page.locator("#bar").get_by_role("link", name="Approvals", exact=True).focus()  # reachable by keyboard
    page.keyboard.press("Enter")
    row = page.locator(f'#approvals tr[data-approval-id="{approval_id}"]')
    row.get_by_role("button", name="Approve", exact=True).click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#decision-summary")).to_contain_text(f"{points:,} points")
    dialog.get_by_role("button", name="Approve", exact=True).click()
    expect(dialog.locator("#dialog-error")).to_have_text("Give a reason for the decision")
    dialog.locator("#decision-reason").fill("verified against the receipt")
    dialog.get_by_role("button", name="Approve", exact=True).click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(row).to_have_count(0)
    assert balance_of(base, member) == before + points

    page.get_by_role("link", name="Approved", exact=True).click()
    decided = page.locator(f'#approvals tr[data-approval-id="{approval_id}"]')
    expect(decided).to_contain_text(f"{username} ({checker_id})")
    expect(decided).to_contain_text("verified against the receipt")

    # The audit trail of that member: the adjustment asked for, then its approval, with who, why and when.
    page = maker.page
    page.locator("#bar").get_by_role("link", name="审计", exact=True).click()
    page.locator("#audit-by").select_option("member")
    page.locator("#audit-value").fill(customer_id)
    page.locator("#audit-form").get_by_role("button", name="查询", exact=True).click()
    asked = page.locator('#audit-table tr[data-action="post_adjustment"]')
    approved = page.locator('#audit-table tr[data-action="approve_request"]')
    expect(asked).to_have_count(1)
    expect(asked).to_contain_text("大额补录")
    expect(asked).to_contain_text("UTC+8")
    expect(approved).to_have_count(1)
    expect(approved).to_contain_text("verified against the receipt")
    expect(approved).to_contain_text(f"{username} ({checker_id})")
    expect(page.locator("#audit-table tbody tr").first).to_have_attribute("data-action", "approve_request")  # newest

    page.locator("#verify-form").get_by_role("button", name="校验该日", exact=True).click()
    verdict = page.locator("#verify-result")
    expect(verdict).to_have_attribute("data-ok", "true")
    expect(verdict).to_contain_text("完整：")


def test_agents_see_neither_page_supervisors_the_approvals_only_auditors_the_audit_only(base, open_console):
    agent = open_console("agent, accountability pages").page
    sign_in(agent, "agent")
    expect(agent.locator("#bar nav a:visible")).to_have_text(["工单队列", "补录积分"])
    for where in ("#/approvals", "#/audit"):
        agent.goto(f"{base}/console/{where}")
        expect(agent.locator("#not-allowed")).to_be_visible()
    status, body = call(base, "GET", "/v1/admin/audit/verify?day=2026-01-01", token=staff_token(base, "agent"))
    assert (status, body["error"]["code"]) == (403, "forbidden")

    _, username, password = new_staff(base, "supervisor")
    supervisor = open_console("supervisor, accountability pages").page
    sign_in_as(supervisor, username, password)
    expect(supervisor.locator("#bar nav a:visible")).to_have_text(["工单队列", "补录积分", "审批"])
    supervisor.locator("#bar").get_by_role("link", name="审批", exact=True).click()
    expect(supervisor.locator("main h1")).to_have_text("审批")
    supervisor.goto(f"{base}/console/#/audit")
    expect(supervisor.locator("#not-allowed")).to_be_visible()

    _, username, password = new_staff(base, "auditor")
    auditor = open_console("auditor at 200 % zoom", zoom=2).page
    sign_in_as(auditor, username, password)
    expect(auditor.locator("main h1")).to_have_text("审计")  # no queue to land on: the audit trail
    expect(auditor.locator("#bar nav a:visible")).to_have_text(["审计"])
    auditor.locator("#audit-by").select_option("day")
    auditor.locator("#audit-form").get_by_role("button", name="查询", exact=True).click()
    expect(auditor.locator("#audit-table tbody tr").first).to_be_visible()  # today's staff actions (the accounts)
    auditor.wait_for_load_state("networkidle")
    assert no_sideways_scroll(auditor)
    auditor.goto(f"{base}/console/#/approvals")
    expect(auditor.locator("#not-allowed")).to_be_visible()
