"""The console shows what members said of their service: a case resolved by an agent issues a survey, the member
answers it unhappily (through the API), the callback case is in the queue with the member's score, and the first
case's page shows its survey's score, first-contact answer and comment (chromium against the real local stack)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.stack_cases import failed_redemptions, ok, partner_reward, staff_token
from tests.browser.test_console import expect, sign_in
from tests.support.http import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]


def test_a_cases_survey_and_its_callback_are_shown_to_agents(local_stack: Any, open_console: Any):
    base = str(local_stack)
    admin, agent = staff_token(base, "admin"), staff_token(base, "agent")
    [case] = failed_redemptions(base, [partner_reward(base, admin, f"调查 {uuid.uuid4().hex[:6]}")])
    ok(call(base, "POST", f"/v1/agent/follow-ups/{case.case_id}/claim", token=agent))
    ok(call(base, "POST", f"/v1/agent/follow-ups/{case.case_id}/resolve", {"resolution": "completed_manually"},
            token=agent))
    [survey] = ok(call(base, "GET", "/v1/me/surveys", token=case.member_token))["items"]
    assert survey["subject"]["id"] == case.case_id
    answered = ok(call(base, "POST", f"/v1/me/surveys/{survey['survey_id']}/answers",
                       {"score": 1, "solved_first_contact": False, "comment": "等了三天"}, token=case.member_token,
                       headers={"Idempotency-Key": uuid.uuid4().hex}), 201)

    page = open_console("agent, surveys", locale="en-US").page
    sign_in(page, "agent")
    row = page.locator(f'tr.case-row[data-case-id="{answered["callback_case_id"]}"]')
    expect(row).to_contain_text("Survey callback")
    expect(row).to_contain_text("CSAT 1")
    page.goto(f"{base}/console/#/case/{quote(case.case_id, safe='')}")
    expect(page.locator("#case-survey-score")).to_have_text("CSAT 1")
    own = page.locator("section.panel", has_text="This case's survey")
    expect(own).to_contain_text("等了三天")
    expect(own).to_contain_text("No")
