// Month-end: run the close of a past Shanghai month, read its snapshot (followed while the pass runs), download
// its CSV (UTF-8 with BOM, for finance's spreadsheets).
import { API_ROOT, ApiError, call, session } from "./api.js";
import { h, mount, when } from "./dom.js";
import { num, pct, shanghaiMonth, yuan } from "./format.js";
import { describe } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

const FOLLOW_MS = 2000;

function snapshot(c) {
  const rows = [
    [t("status"), c.status], [t("outstanding_points"), num(c.outstanding_points)], [t("issued"), num(c.issued)],
    [t("redeemed"), num(c.redeemed)], [t("expired"), num(c.expired)], [t("reversed"), num(c.reversed)],
    [t("breakage_rate"), pct(c.breakage_rate)], [t("expected_redemption_rate"), pct(c.expected_redemption_rate)],
    [t("point_value"), yuan(c.point_value_fen)], [t("deferred_revenue"), yuan(c.deferred_revenue_fen)],
    [t("updated"), when(c.completed_at || c.requested_at)],
  ];
  const rec = c.reconciled;
  return h("div", { id: "close-snapshot", dataset: { status: c.status } },
    h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    rec ? h("div", {}, h("h3", {}, t("reconciled")), h("dl", {},
      h("dt", {}, t("ledger_sum")), h("dd", {}, num(rec.ledger_sum)),
      h("dt", {}, t("buckets_sum")), h("dd", {}, num(rec.buckets_sum)),
      h("dt", {}, t("difference")), h("dd", { id: "close-difference" }, num(rec.difference)))) : null,
    c.expiring_by_month ? h("div", {}, h("h3", {}, t("expiry_forecast")), h("dl", {},
      c.expiring_by_month.map((m) => [h("dt", {}, m.month), h("dd", {}, num(m.points))]))) : null);
}

// The CSV through fetch with the staff token (a plain link would carry none), saved as a file by the browser.
async function download(month) {
  const response = await fetch(new URL(`v1/admin/closes/${month}.csv`, API_ROOT), {
    headers: { Authorization: `Bearer ${session().access_token}` }, cache: "no-store" });
  if (!response.ok) throw new ApiError(response.status, "http_error", `HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = h("a", { href: url, download: `points-close-${month}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function monthEndView(root, arg, ctx) {
  let stopped = false;
  let timer = null;
  const month = h("input", { type: "month", id: "close-month", value: arg || shanghaiMonth(-1), required: true });
  const out = h("div", { id: "close-out" });
  const error = h("p", { class: "error", role: "alert", hidden: true, id: "close-error" });
  const csv = h("button", { type: "button", id: "close-csv", disabled: true }, t("download_csv"));

  const failed = (err) => {
    if (ctx.fail(err)) return;
    error.textContent = describe(err, ctx);
    error.hidden = false;
  };

  async function read() {
    clearTimeout(timer);
    error.hidden = true;
    try {
      const close = await call("GET", `/v1/admin/closes/${month.value}`);
      if (stopped) return;
      out.replaceChildren(snapshot(close));
      csv.disabled = close.status !== "done";
      if (close.status !== "done") timer = setTimeout(read, FOLLOW_MS);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) { out.replaceChildren(h("p", { class: "muted" }, t("no_close"))); return; }
      failed(err);
    }
  }

  const form = h("form", { id: "close-form", class: "toolbar", onsubmit: async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await call("POST", "/v1/admin/closes", { month: month.value });
      await read();
    } catch (err) { failed(err); }
  } }, h("label", { for: "close-month" }, t("month")), month,
  h("button", { type: "submit", class: "primary" }, t("run_close")),
  h("button", { type: "button", onclick: () => read() }, t("load")), csv);
  csv.addEventListener("click", () => download(month.value).catch(failed));
  mount(root, h("section", { class: "month-end" }, h("h1", {}, t("nav_month_end")), card(null, form, error), out));
  return () => { stopped = true; clearTimeout(timer); };
}
