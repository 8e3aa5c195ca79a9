// The staff audit trail (auditors and admins): by staff member, by member or by day, newest first and paged; who
// did what (labelled: audit_labels.js), to whom, why and when; and a day's hash chains verified (ok, or the first
// break).
import { call } from "./api.js";
import { actionLabel } from "./audit_labels.js";
import { h, mount, when } from "./dom.js";
import { shanghaiDay } from "./format.js";
import { describe } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";
import { staffDirectory, staffLabel } from "./staff_names.js";

const FILTERS = ["member", "actor", "day"];

function head(labels) {
  return h("thead", {}, h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label))));
}

function targetText(target) {
  return Object.entries(target || {}).map(([key, value]) => `${key}: ${value}`).join(" · ") || "—";
}

function row(record, known) {
  return h("tr", { dataset: { action: record.action } },
    h("td", {}, when(record.at)),
    h("td", {}, staffLabel(known, record.actor), h("br"), h("span", { class: "muted" }, t(`role_${record.role}`))),
    h("td", {}, h("span", { class: "action", title: record.action }, actionLabel(record.action)), h("br"),
      h("span", { class: "muted" }, record.route)),
    h("td", {}, targetText(record.target)),
    h("td", {}, record.member || "—"),
    h("td", {}, record.reason || "—"),
    h("td", {}, record.changes ? h("code", {}, JSON.stringify(record.changes)) : "—"));
}

function verifyText(out) {
  if (out.ok) return t("verify_ok", { records: out.records, chains: out.chains });
  const bad = out.first_bad || {};
  return t("verify_bad", { chain: bad.chain, seq: bad.seq, problem: t(`break_${bad.problem}`) });
}

// `arg`/`rest`: #/audit/<filter>/<value> opens the trail already filtered (a member's 360 view can link here).
export function auditView(root, arg, ctx, rest = []) {
  const directory = staffDirectory(ctx);
  const error = h("p", { class: "error", role: "alert", hidden: true, id: "audit-error" });
  const results = h("div", { class: "live", id: "audit-results" });
  const more = h("button", { type: "button", id: "audit-more", hidden: true }, t("more_rows"));
  let next = null;
  let query = "";

  const by = h("select", { id: "audit-by", name: "by" },
    FILTERS.map((f) => h("option", { value: f, selected: f === (FILTERS.includes(arg) ? arg : "member") },
      t(`audit_by_${f}`))));
  const value = h("input", { id: "audit-value", name: "value", required: true, maxlength: "64",
    value: rest[0] || "", list: "audit-staff" });
  const staffList = h("datalist", { id: "audit-staff" });
  const from = h("input", { id: "audit-from", name: "from", type: "date" });
  const to = h("input", { id: "audit-to", name: "to", type: "date" });
  const valueLabel = h("label", { for: "audit-value" });
  const shape = () => {
    const day = by.value === "day";
    value.type = day ? "date" : "text";
    valueLabel.textContent = t(`audit_value_${by.value}`);
    from.disabled = day;
    to.disabled = day;
  };
  by.addEventListener("change", () => { value.value = by.value === "day" ? shanghaiDay() : ""; shape(); });
  shape();
  directory.then((known) => staffList.replaceChildren(...[...known].map(([id, name]) => h("option", { value: id },
    name)))).catch(() => {});

  async function load(append) {
    error.hidden = true;
    more.disabled = true;
    try {
      const [out, known] = await Promise.all([
        call("GET", `/v1/admin/audit?${query}${append && next ? `&cursor=${encodeURIComponent(next)}` : ""}`),
        directory]);
      next = out.next_cursor || null;
      more.hidden = !next;
      const rows = out.items.map((record) => row(record, known));
      const body = results.querySelector("tbody");
      if (append && body) body.append(...rows);
      else if (!rows.length) results.replaceChildren(h("p", { class: "muted", id: "audit-empty" }, t("none")));
      else {
        results.replaceChildren(h("table", { id: "audit-table" },
          head([t("when_col"), t("who_col"), t("what"), t("target_col"), t("customer"), t("reason_col"), t("changes_col")]),
          h("tbody", {}, rows)));
      }
    } catch (err) {
      if (ctx.fail(err)) return;
      error.textContent = describe(err, ctx);
      error.hidden = false;
    } finally {
      more.disabled = false;
    }
  }

  const form = h("form", { class: "toolbar audit-filter", id: "audit-form", onsubmit: (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ [by.value]: value.value.trim(), limit: "50" });
    if (by.value !== "day" && from.value) params.set("from", from.value);
    if (by.value !== "day" && to.value) params.set("to", to.value);
    query = params.toString();
    next = null;
    load(false);
  } },
  h("label", { for: "audit-by" }, t("audit_by")), by, valueLabel, value, staffList,
  h("label", { for: "audit-from" }, t("from")), from, h("label", { for: "audit-to" }, t("to")), to,
  h("button", { type: "submit", class: "primary" }, t("audit_search")));
  more.addEventListener("click", () => load(true));

  const verifyDay = h("input", { id: "verify-day", type: "date", required: true, value: shanghaiDay() });
  const verdict = h("p", { id: "verify-result", role: "status" });
  const verify = h("form", { class: "toolbar", id: "verify-form", onsubmit: async (event) => {
    event.preventDefault();
    verdict.className = "";
    verdict.textContent = t("loading");
    try {
      const out = await call("GET", `/v1/admin/audit/verify?day=${encodeURIComponent(verifyDay.value)}`);
      verdict.dataset.ok = String(out.ok);
      verdict.className = out.ok ? "ok" : "error";
      verdict.textContent = `${out.day}: ${verifyText(out)}`;
    } catch (err) {
      if (ctx.fail(err)) return;
      delete verdict.dataset.ok;
      verdict.className = "error";
      verdict.textContent = describe(err, ctx);
    }
  } },
  h("label", { for: "verify-day" }, t("day_col")), verifyDay,
  h("button", { type: "submit" }, t("verify_day")));

  mount(root, h("section", { class: "audit" }, h("h1", {}, t("nav_audit")),
    card(t("audit_trail"), form, error, results, more), card(t("verify_chains"), verify, verdict)));
  if (rest[0]) form.requestSubmit();
  return null;
}
