// The programme's health: rates by month (lines), active members and points issued / spent / expired per day (lines,
// the last DAYS days from GET /v1/admin/health/daily), points issued and redeemed by month, the points liability of
// the closed months and the latest close's 12-month expiry forecast (bars), benefit usage by tier, the Plus renewal
// funnel, CSAT (satisfied rate) and NPS by month, and campaign uplift by month (treated against holdout conversion
// rates of the campaigns whose measurement ended in the month), the last two from the health route. The closes come in one list (GET /v1/admin/closes?from=&to=): a month never closed
// is absent from it and is a gap in the liability chart; the latest done close is then read whole for its expiry
// forecast.
import { call } from "./api.js";
import { draw, seriesOption } from "./charts.js";
import { h, mount } from "./dom.js";
import { num, pct, shanghaiDay, shanghaiMonth, signedPct, yuan } from "./format.js";
import { describe } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

const MONTHS = 6;
const DAYS = 30;
const RATES = ["active_member_rate", "checkin_rate", "redemption_rate", "plus_renewal_rate", "event_attendance_rate"];

function rateLabel(key) { return t(`rate_${key}`); }

// A day's figures as text: the chart's accessible label.
function dayText(d) {
  return `${d.day} ${t("active_members")} ${num(d.active_members)}, ${t("issued")} ${num(d.points_issued)}, `
    + `${t("spent")} ${num(d.points_redeemed)}, ${t("expired")} ${num(d.points_expired)}`;
}

// A month's campaign uplift as text: the uplift chart's accessible label and tooltip.
function upliftText(m) {
  const u = m.campaign_uplift;
  return `${m.month} ${t("treated")} ${num(u.treated_conversions)}/${num(u.treated)} (${pct(u.treated_rate)}), `
    + `${t("holdout_group")} ${num(u.holdout_conversions)}/${num(u.holdout)} (${pct(u.holdout_rate)}), `
    + `${t("uplift")} ${signedPct(u.uplift)}`;
}

// A month's CSAT and NPS as text: the survey chart's accessible label.
function surveyText(m) {
  return `${m.month} ${t("csat_satisfied")} ${num(m.csat.satisfied)}/${num(m.csat.answers)} (${pct(m.csat.rate)}), `
    + `NPS ${m.nps.score === null ? "—" : num(m.nps.score)} (${num(m.nps.answers)})`;
}

function kpi(label, value, id) {
  return h("div", { class: "kpi" }, h("span", { class: "muted small" }, label), h("strong", { id }, value));
}

export function dashboardView(root, _arg, ctx) {
  const disposers = [];
  const chart = (id, title) => {
    const el = h("div", { class: "chart", id });
    return { el, panel: card(title, el) };
  };
  const rates = chart("chart-rates", t("health_rates"));
  const daily = chart("chart-daily", t("daily_series"));
  const points = chart("chart-points", `${t("issued")} / ${t("redeemed")}`);
  const liability = chart("chart-liability", t("liability"));
  const expiry = chart("chart-expiry", t("expiry_forecast"));
  const benefits = chart("chart-benefits", t("sec_benefits"));
  const plus = chart("chart-plus", t("sec_plus"));
  const surveys = chart("chart-surveys", "CSAT / NPS");
  const uplift = chart("chart-uplift", t("campaign_uplift"));
  const kpis = h("div", { class: "kpis", id: "kpis" }, h("p", { class: "muted" }, t("loading")));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  mount(root, h("section", { class: "dashboard" }, h("h1", {}, t("nav_dashboard")), error, kpis,
    h("div", { class: "charts" },
      [rates, daily, points, liability, expiry, benefits, plus, surveys, uplift].map((c) => c.panel))));

  const show = async (target, option, label) => disposers.push(await draw(target.el, option, label));

  async function load() {
    const first = shanghaiMonth(-(MONTHS - 1));
    const last = shanghaiMonth(0);
    const months = Array.from({ length: MONTHS }, (_, i) => shanghaiMonth(i - MONTHS + 1));
    const past = months.slice(0, -1);
    const [health, days, listed] = await Promise.all([
      call("GET", `/v1/admin/health?from=${first}&to=${last}`),
      call("GET", `/v1/admin/health/daily?from=${shanghaiDay(-(DAYS - 1))}&to=${shanghaiDay()}`),
      call("GET", `/v1/admin/closes?from=${past[0]}&to=${past[past.length - 1]}`),
    ]);
    const rows = health.months;
    const now = rows[rows.length - 1] || {};
    const byMonth = new Map(listed.items.map((c) => [c.month, c]));
    const closes = past.map((m) => byMonth.get(m) || null);
    const done = closes.filter((c) => c && c.status === "done");
    const latest = done.length ? await call("GET", `/v1/admin/closes/${done[done.length - 1].month}`) : null;
    kpis.replaceChildren(
      kpi(t("members"), num(now.members), "kpi-members"),
      kpi(rateLabel("active_member_rate"), pct(now.active_member_rate), "kpi-active"),
      kpi(t("issued"), num(now.points_issued), "kpi-issued"),
      kpi(t("redeemed"), num(now.points_redeemed), "kpi-redeemed"),
      kpi(t("outstanding_points"), latest ? num(latest.outstanding_points) : "—", "kpi-outstanding"),
      kpi(t("deferred_revenue"), latest ? yuan(latest.deferred_revenue_fen) : "—", "kpi-deferred"));
    const labels = rows.map((m) => m.month);
    await show(rates, seriesOption(labels, RATES.map((key) => ({ name: rateLabel(key), data: rows.map((m) => m[key]) })),
      { type: "line", format: (v) => pct(v) }), t("health_rates"));
    const perDay = days.days;
    await show(daily, {
      ...seriesOption(perDay.map((d) => d.day.slice(5)), [
        { name: t("issued"), data: perDay.map((d) => d.points_issued) },
        { name: t("spent"), data: perDay.map((d) => d.points_redeemed) },
        { name: t("expired"), data: perDay.map((d) => d.points_expired) },
        { name: t("active_members"), data: perDay.map((d) => d.active_members), yAxisIndex: 1 }], { type: "line" }),
      yAxis: [{ type: "value", name: t("points"), axisLabel: { formatter: (v) => num(v) } },
        { type: "value", name: t("active_members"), minInterval: 1, axisLabel: { formatter: (v) => num(v) } }],
      grid: { left: 64, right: 64, top: 56, bottom: 36 },
    }, `${t("daily_series")}: ${perDay.map(dayText).join("; ")}`);
    await show(points, seriesOption(labels, [{ name: t("issued"), data: rows.map((m) => m.points_issued) },
      { name: t("redeemed"), data: rows.map((m) => m.points_redeemed) }]), t("issued"));
    await show(liability, seriesOption(past, [
      { name: t("outstanding_points"), data: closes.map((c) => (c && c.status === "done" ? c.outstanding_points : null)) },
      { name: t("expired"), data: closes.map((c) => (c && c.status === "done" ? c.expired : null)) }]), t("liability"));
    const forecast = latest ? latest.expiring_by_month : [];
    await show(expiry, seriesOption(forecast.map((m) => m.month), [{ name: t("expiry_forecast"),
      data: forecast.map((m) => m.points) }]), t("expiry_forecast"));
    const tiers = now.benefit_usage_rate || [];
    await show(benefits, seriesOption(tiers.map((x) => x.tier), [{ name: t("conversion_rate"),
      data: tiers.map((x) => x.rate) }], { format: (v) => pct(v) }), t("sec_benefits"));
    await show(plus, seriesOption(labels, ["plus_started", "plus_renewed", "plus_lapsed", "plus_trials",
      "plus_trial_converted"].map((key) => ({ name: key.replace("plus_", ""), data: rows.map((m) => m[key]) }))),
    t("sec_plus"));
    await show(surveys, {
      ...seriesOption(labels, [{ name: t("csat_satisfied"), data: rows.map((m) => m.csat.rate) },
        { name: "NPS", data: rows.map((m) => m.nps.score), type: "line", yAxisIndex: 1 }]),
      yAxis: [{ type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => pct(v) } },
        { type: "value", min: -100, max: 100 }],
      grid: { left: 64, right: 56, top: 48, bottom: 36 },
    }, `CSAT / NPS: ${rows.map(surveyText).join("; ")}`);
    await show(uplift, {
      ...seriesOption(labels, [
        { name: t("treated"), data: rows.map((m) => m.campaign_uplift.treated_rate) },
        { name: t("holdout_group"), data: rows.map((m) => m.campaign_uplift.holdout_rate),
          label: { show: true, position: "top", formatter: (p) => signedPct(rows[p.dataIndex].campaign_uplift.uplift) } },
      ], { format: (v) => pct(v) }),
      tooltip: { trigger: "axis", renderMode: "richText", formatter: (ps) => upliftText(rows[ps[0].dataIndex]) },
    }, `${t("campaign_uplift")}: ${rows.map(upliftText).join("; ")}`);
  }

  load().catch((err) => {
    if (ctx.fail(err)) return;
    error.textContent = describe(err, ctx);
    error.hidden = false;
  });
  return () => { for (const dispose of disposers) dispose(); };
}
