"""The operators' Month-end and Dashboard pages in chromium against the real local stack: an operator runs the close of
last month, reads its snapshot as the API has it (followed while the ledger pass runs), and downloads its CSV (UTF-8
with a BOM, for spreadsheets); the dashboard draws the programme's health with ECharts and its figures are the
API's. The dashboard reads the closes as one list (a month never closed is absent, not a 404): no refusal is
allowed on either page."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.browser.stack_cases import ok, staff_token
from tests.browser.test_console import expect, sign_in
from tests.support.http import call

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("console-browser")]


def zh_int(value: int) -> str:
    return f"{value:,}"


def zh_pct(rate: float | None, signed: bool = False) -> str:
    """A rate as the console's format.js writes it (zh-CN percent, at most one decimal)."""
    if rate is None:
        return "—"
    shown = Decimal(repr(rate * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{abs(shown):f}".removesuffix(".0")
    sign = "-" if shown < 0 else "+" if signed and shown > 0 else ""
    return f"{sign}{text}%"


def last_months(count: int) -> list[str]:
    """The dashboard's months: the last ``count`` Shanghai months, oldest first."""
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    index = now.year * 12 + now.month - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def uplift_text(m: dict[str, Any]) -> str:
    u = m["campaign_uplift"]
    return (f"{m['month']} Treated {zh_int(u['treated_conversions'])}/{zh_int(u['treated'])} "
            f"({zh_pct(u['treated_rate'])}), "
            f"Holdout {zh_int(u['holdout_conversions'])}/{zh_int(u['holdout'])} ({zh_pct(u['holdout_rate'])}), "
            f"Uplift {zh_pct(u['uplift'], signed=True)}")


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
    for chart in ("rates", "points", "liability", "expiry", "benefits", "plus", "surveys", "uplift"):
        expect(dashboard.page.locator(f"#chart-{chart} canvas")).to_have_count(1)
    health = ok(call(base, "GET", f"/v1/admin/health?from={month}&to={month}", token=admin))["months"][0]
    assert health["month"] == month
    expect(dashboard.page.locator("#chart-liability")).to_have_attribute("aria-label", "Points liability by month")
    expect(dashboard.page.locator("#kpi-outstanding")).to_have_text(zh_int(close["outstanding_points"]))
    months = last_months(6)
    shown = ok(call(base, "GET", f"/v1/admin/health?from={months[0]}&to={months[-1]}", token=admin))["months"]
    assert [m["month"] for m in shown] == months
    expect(dashboard.page.locator("#chart-uplift")).to_have_attribute(
        "aria-label", "Campaign uplift: " + "; ".join(uplift_text(m) for m in shown))
    expect(dashboard.page.locator("#chart-surveys")).to_have_attribute(
        "aria-label", re.compile("^CSAT / NPS: " + re.escape(f"{months[0]} CSAT satisfied "
                                                             f"{zh_int(shown[0]['csat']['satisfied'])}/"
                                                             f"{zh_int(shown[0]['csat']['answers'])} "
                                                             f"({zh_pct(shown[0]['csat']['rate'])})")))
