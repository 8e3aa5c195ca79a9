"""The member beside a case, in a real browser against the real local stack: the 360 view's C2B section is shown (it
was not), a waitlisted registration reads as waitlisted (it read ``waitlist_position: null``), and times are
Shanghai's with their zone whatever the zone of the agent's browser (they were the browser's own)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.browser.stack_cases import failed_redemptions, ok, partner_reward, staff_token
from tests.browser.test_console import case_url, expect, sign_in
from tests.support.http import call
from tests.support.phones import new_phone
from tests.support.sign_in import app_login

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]

SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def world(local_stack: Any) -> dict[str, Any]:
    """A member with a failed redemption (a case), a C2B support of 3 units and a waitlisted registration for an
    event that starts at 19:30 in Shanghai (08:30 or 07:30 in New York: another day's hour, the day may differ)."""
    base = str(local_stack)
    admin = staff_token(base, "admin")
    tag = uuid.uuid4().hex[:6]
    case = failed_redemptions(base, [partner_reward(base, admin, f"会员礼盒 {tag}")])[0]
    other = app_login(base, new_phone("136"))["access_token"]
    proposal = ok(call(base, "POST", "/v1/product-requests",
                       {"title": f"便携咖啡机 {tag}", "description": "可以放进背包的手压咖啡机，十分钟出一杯",
                        "category": "家电"}, token=other), 201)
    ok(call(base, "POST", f"/v1/product-requests/{proposal['request_id']}/supports", {"quantity": 3},
            token=case.member_token), 201)
    day = (datetime.now(SHANGHAI) + timedelta(days=10)).date()
    starts = datetime(day.year, day.month, day.day, 19, 30, tzinfo=SHANGHAI)
    event = ok(call(base, "POST", "/v1/admin/events",
                    {"title": f"会员答谢会 {tag}", "venue": "上海店", "capacity": 1,
                     "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()},
                    token=admin), 201)
    first = ok(call(base, "POST", f"/v1/events/{event['event_id']}/registrations", token=other,
                    headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert first["status"] == "registered"
    waiting = ok(call(base, "POST", f"/v1/events/{event['event_id']}/registrations", token=case.member_token,
                      headers={"Idempotency-Key": uuid.uuid4().hex}), 201)
    assert waiting["status"] == "waitlisted"
    return {"base": base, "case": case, "tag": tag, "starts": starts}


@pytest.mark.parametrize(("locale", "words"), [
    ("en-US", {"c2b": "Product requests (C2B)", "waitlisted": "waitlisted"}),
    ("zh-CN", {"c2b": "C2B 产品需求", "waitlisted": "候补"}),
])
def test_the_member_panel_shows_c2b_a_waitlist_and_shanghai_times(world, open_console, locale, words):
    base, case, tag, starts = world["base"], world["case"], world["tag"], world["starts"]
    watched = open_console(f"member panel, {locale}, browser in New York", locale=locale,
                           timezone_id="America/New_York")
    page = watched.page
    sign_in(page, "agent")
    page.goto(case_url(base, case))
    panel = page.locator("#member-panel")

    c2b = panel.locator("section.panel", has_text=words["c2b"])
    expect(c2b).to_contain_text(f"便携咖啡机 {tag}")
    expect(c2b.locator("tbody tr").first).to_contain_text("3")

    registration = panel.locator("section.panel", has_text=f"会员答谢会 {tag}").locator("tbody tr").first
    expect(registration).to_contain_text(words["waitlisted"])
    expect(registration).to_contain_text(f"{starts:%Y-%m-%d} 19:30 UTC+8")
    expect(panel).not_to_contain_text("null")
    expect(page.locator("main")).not_to_contain_text("null")
    # The ledger's newest entry (the failed redemption's debit), shown in Shanghai's time with its zone.
    ledger = ok(call(base, "GET", "/v1/me/points/ledger", token=case.member_token))["items"]
    debited = datetime.fromisoformat(ledger[0]["created_at"]).astimezone(SHANGHAI)
    points = panel.locator("section.panel", has=page.locator("#member-balance"))
    expect(points.locator("tbody tr").first).to_contain_text(f"{debited:%Y-%m-%d %H:%M} UTC+8")
