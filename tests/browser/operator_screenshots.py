"""The README's screenshots of the operators' pages from the real local stack (``screenshots.py`` runs this).

A dozen new members with one points balance (most consenting to marketing), a segment of that balance range, a
campaign with a 25% holdout launched to it, a few orders after it (conversions) and last month's close; then at
1280x800: ``docs/console-segment.png`` (the segment with a member's "why"), ``docs/console-campaign.png`` (its
results and the conversions chart) and ``docs/console-dashboard.png`` (the programme's health).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import VIEWPORT, launch
from tests.browser.stack_cases import ok, staff_token
from tests.support.http import call
from tests.support.local_stack import LOCAL_KEY, SEEDED_STAFF
from tests.support.phones import new_phone
from tests.support.sign_in import app_login

MEMBERS = 12


def order(base: str, phone: str, amount_fen: int) -> str:
    body = {"order_no": f"SHOT-{uuid.uuid4().hex[:12]}", "customer": {"phone": phone}, "amount_fen": amount_fen,
            "channel": "store", "paid_at": datetime.now(UTC).isoformat()}
    return str(ok(call(base, "POST", "/v1/integrations/orders", body, headers=LOCAL_KEY), 201)["customer_id"])


def wait_for(check: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (out := check()) and time.monotonic() < deadline:
        time.sleep(1)
    return out


def world(base: str) -> tuple[str, str]:
    admin = staff_token(base, "admin")
    amount = 200_000 + (uuid.uuid4().int % 90_000) * 100
    phones = [new_phone("136") for _ in range(MEMBERS)]
    tokens = []
    for n, phone in enumerate(phones):
        order(base, phone, amount)
        token = str(app_login(base, phone)["access_token"])
        ok(call(base, "PATCH", "/v1/me", {"consents": {"marketing": n % 4 != 3}}, token=token))
        tokens.append(token)
    balance = ok(call(base, "GET", "/v1/me/points", token=tokens[0]))["balance"]
    segment = ok(call(base, "POST", "/v1/admin/segments", {"name": "高积分新会员", "rule": {"all": [
        {"fact": "points_balance", "op": "between", "value": [balance, balance + 1000]},  # offer and orders too
        {"fact": "lifecycle", "op": "in", "value": ["new", "active"]}]}}, token=admin), 201)
    sid = segment["segment_id"]
    wait_for(lambda: ok(call(base, "GET", f"/v1/admin/segments/{sid}", token=admin))["size"] >= MEMBERS)
    made = ok(call(base, "POST", "/v1/admin/campaigns", {
        "name": "新会员首单回访", "segment_id": sid,
        "message": {"title": "感谢您加入", "body": "本周到店消费积分翻倍。"},
        "channels": ["in_app", "wechat"], "offer": {"kind": "points", "points": 200}, "holdout_percent": 25,
        "starts_at": datetime.now(UTC).isoformat(), "ends_at": "2030-01-01T00:00:00+08:00"}, token=admin), 201)
    cid = made["campaign_id"]
    ok(call(base, "POST", f"/v1/admin/campaigns/{cid}/launch", token=admin), 202)
    wait_for(lambda: ok(call(base, "GET", f"/v1/admin/campaigns/{cid}", token=admin))["status"] == "done")
    for phone in phones[:6]:
        order(base, phone, 8_800)

    def converted() -> bool:
        conversions = ok(call(base, "GET", f"/v1/admin/campaigns/{cid}", token=admin))["conversions"]
        return bool(conversions["treated"] + conversions["holdout"])
    wait_for(converted, timeout=30)
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    call(base, "POST", "/v1/admin/closes", {"month": last_month}, token=admin)
    wait_for(lambda: ok(call(base, "GET", f"/v1/admin/closes/{last_month}", token=admin))["status"] == "done")
    return sid, cid


def take(base: str, docs: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    sid, cid = world(base)
    shots = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
        page.goto(f"{base}/console/")
        page.locator("#username").fill("admin")
        page.locator("#password").fill(SEEDED_STAFF["admin"])
        page.locator("form.sign-in button[type=submit]").click()
        expect(page.locator("#bar")).to_be_visible()
        page.goto(f"{base}/console/#/segments/{sid}")
        expect(page.locator("#segment-members tbody tr").nth(MEMBERS - 1)).to_be_visible()
        page.locator("#segment-members button.why").first.click()
        expect(page.locator("#why-in")).to_be_visible()
        shots.append(docs / "console-segment.png")
        page.screenshot(path=str(shots[-1]))
        page.goto(f"{base}/console/#/campaigns/{cid}")
        expect(page.locator("#conversion-chart canvas")).to_have_count(1)
        page.wait_for_timeout(500)
        shots.append(docs / "console-campaign.png")
        page.screenshot(path=str(shots[-1]))
        page.goto(f"{base}/console/#/dashboard")
        expect(page.locator("#chart-rates canvas")).to_have_count(1)
        expect(page.locator("#chart-daily canvas")).to_have_count(1)
        expect(page.locator("#chart-surveys canvas")).to_have_count(1, timeout=30_000)  # the last one drawn
        page.wait_for_timeout(800)
        shots.append(docs / "console-dashboard.png")
        page.screenshot(path=str(shots[-1]), full_page=True)
        browser.close()
    return shots
