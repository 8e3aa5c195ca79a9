"""The README's screenshots of the console, taken from the real local stack.

    .venv/bin/python -m tests.browser.screenshots            # starts a local stack on free ports
    TEST_LOCAL_STACK_URL=http://127.0.0.1:8000 .venv/bin/python -m tests.browser.screenshots   # or uses one

Makes three failed partner redemptions (``stack_cases.py``), then saves ``docs/console-queue.png`` (the open queue)
and ``docs/console-case.png`` (a claimed case with the member beside it, in English: the agent's switch), at
1280x800; then the operators' pages (``operator_screenshots.py``): a segment, a campaign and the dashboard.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

from tests.browser import operator_screenshots
from tests.browser.conftest import VIEWPORT, launch
from tests.browser.stack_cases import failed_redemptions, partner_reward, staff_token
from tests.support.local_stack import SEEDED_STAFF, external_stack, start_local_stack

DOCS = Path(__file__).resolve().parents[2] / "docs"


def take(base: str) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    admin = staff_token(base, "admin")
    tag = uuid.uuid4().hex[:4]
    rewards = [partner_reward(base, admin, name, cost) for name, cost in
               ((f"视频会员月卡 {tag}", 300), (f"咖啡兑换券 {tag}", 120), (f"音乐会员季卡 {tag}", 800))]
    cases = failed_redemptions(base, rewards)
    DOCS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
        page.goto(f"{base}/console/")
        page.locator("#username").fill("agent")
        page.locator("#password").fill(SEEDED_STAFF["agent"])
        page.locator("form.sign-in button[type=submit]").click()
        expect(page.locator(f'tr.case-row[data-case-id="{cases[-1].case_id}"]')).to_be_visible()
        queue = DOCS / "console-queue.png"
        page.screenshot(path=str(queue))
        page.locator("#lang").click()  # the case page in English (the agent's switch)
        page.goto(f"{base}/console/#/case/{quote(cases[0].case_id, safe='')}")
        page.get_by_role("button", name="Claim", exact=True).click()
        expect(page.locator("#case-status")).to_contain_text("claimed")
        page.locator("#note-text").fill("已电话联系会员，合作方仍在故障中")
        page.get_by_role("button", name="Add note", exact=True).click()
        expect(page.locator("section.panel", has_text="Notes").locator("tbody tr")).to_have_count(1)
        page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
        case = DOCS / "console-case.png"
        page.screenshot(path=str(case))
        browser.close()
    return [queue, case]


def main() -> int:
    stack = external_stack() or start_local_stack(Path(tempfile.mkdtemp(prefix="console-shots-")))
    try:
        for path in take(str(stack.url)) + operator_screenshots.take(str(stack.url), DOCS):
            print(path)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
