"""A staff member with an authenticator signs in to the console with its code: without one the console shows the
API's message; with the code of their authenticator (RFC 6238, ``tests/support/totp.py``) they are in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.errors import CATALOGUE
from tests.browser.stack_cases import ok, staff_token
from tests.browser.test_console import expect
from tests.support.http import call
from tests.support.totp import authenticator

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]


def test_an_enrolled_agent_signs_in_with_the_authenticators_code(local_stack: Any, open_console):
    base = str(local_stack)
    username, password = f"agent-{uuid.uuid4().hex[:6]}", "two-step-pass-1"
    ok(call(base, "POST", "/v1/admin/staff", {"username": username, "password": password, "role": "agent"},
            token=staff_token(base, "admin")), 201)
    enrolment = ok(call(base, "POST", "/v1/staff/totp/enrolment", {"username": username, "password": password}), 201)
    # Confirmed with the previous step's code (accepted for drift), so the current step's is still unused.
    previous = authenticator(enrolment["secret"], datetime.now(UTC) - timedelta(seconds=30))
    ok(call(base, "POST", "/v1/staff/totp/confirmation", {"username": username, "password": password,
                                                           "code": previous}))

    watched = open_console("agent with an authenticator")
    page = watched.page
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    watched.allow(401)
    page.locator("form.sign-in button[type=submit]").click()
    expect(page.locator("form.sign-in .error")).to_have_text(CATALOGUE["mfa_required"].zh)
    page.locator("#totp").fill(authenticator(enrolment["secret"], datetime.now(UTC)))
    page.locator("form.sign-in button[type=submit]").click()
    expect(page.locator("#bar")).to_be_visible()
