"""The operators' Month-end and Dashboard pages in chromium against the real local stack: an operator runs the close of
last month, reads its snapshot as the API has it (followed while the ledger pass runs), and downloads its CSV (UTF-8
with a BOM, for spreadsheets); the dashboard draws the programme's health with ECharts and its figures are the
API's. The dashboard reads the closes as one list (a month never closed is absent, not a 404): no refusal is
allowed on either page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.stack_cases import ok, staff_token
from tests.browser.test_console import expect, sign_in
from tests.support.http import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]


def zh_int(value: int) -> str:
    return f"{value:,}"


def test_an_operator_closes_last_month_reads_it_downloads_its_csv_and_sees_the_dashboard(local_stack: Any,
                                                                                         open_console: Any):
    base = str(local_stack)
    admin = staff_token(base, "admin")
    watched = open_console("operator, month-end")
    page = watched.page
    sign_in(page, "admin")
    page.locator("#bar").get_by_role("link", name="月结").click()
    month = page.locator("#close-month").input_value()
    assert len(month) == 7 and month[4] == "-"
    page.get_by_role("button", name="执行月结").click()
    snapshot = page.locator("#close-snapshot")
    expect(snapshot).to_have_attribute("data-status", "done", timeout=120_000)
    close = ok(call(base, "GET", f"/v1/admin/closes/{month}", token=admin))
    assert close["status"] == "done"
    expect(snapshot).to_contain_text(zh_int(close["outstanding_points"]))
    expect(page.locator("#close-difference")).to_have_text(zh_int(close["reconciled"]["difference"]))
    fen = close["deferred_revenue_fen"]
    expect(snapshot).to_contain_text(f"¥{fen // 100:,}.{fen % 100:02d}")

    with page.expect_download() as download:
        page.get_by_role("button", name="下载 CSV").click()
    assert download.value.suggested_filename == f"points-close-{month}.csv"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and month.encode() in data

    dashboard = open_console("operator, dashboard", locale="en-US")
    sign_in(dashboard.page, "admin")
    dashboard.page.locator("#bar").get_by_role("link", name="Dashboard").click()
    for chart in ("rates", "points", "liability", "expiry", "benefits", "plus", "surveys"):
        expect(dashboard.page.locator(f"#chart-{chart} canvas")).to_have_count(1)
    health = ok(call(base, "GET", f"/v1/admin/health?from={month}&to={month}", token=admin))["months"][0]
    assert health["month"] == month
    expect(dashboard.page.locator("#chart-liability")).to_have_attribute("aria-label", "Points liability by month")
    expect(dashboard.page.locator("#kpi-outstanding")).to_have_text(zh_int(close["outstanding_points"]))
