// Staff accounts and roles (an admin cannot change their own), a new account, and the members' deletion requests.
import { call } from "./api.js";
import { h, mount, table, when } from "./dom.js";
import { apiForm, describe, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";

const ROLES = [["agent", "agent"], ["admin", "admin"]];

export function staffView(root, _arg, ctx) {
  const rowError = h("p", { class: "error", role: "alert", hidden: true, id: "staff-error" });
  async function change(account, patch) {
    rowError.hidden = true;
    try { await call("PATCH", `/v1/admin/staff/${encodeURIComponent(account.staff_id)}`, patch); } catch (err) {
      if (ctx.fail(err)) return;
      rowError.textContent = `${account.username}: ${describe(err, ctx)}`;
      rowError.hidden = false;
    }
    list.reload();
  }
  const list = liveBlock(async () => {
    const out = await call("GET", "/v1/admin/staff?limit=100");
    return table([
      [t("username_col"), (a) => a.username],
      [t("role"), (a) => h("select", { "aria-label": `${t("role")} ${a.username}`,
        onchange: (event) => change(a, { role: event.currentTarget.value }) },
      ROLES.map(([value]) => h("option", { value, selected: value === a.role }, t(`role_${value}`))))],
      [t("status"), (a) => (a.disabled ? t("disabled") : t("enabled"))],
      [t("created_at"), (a) => when(a.created_at)],
      ["", (a) => h("button", { type: "button", onclick: () => change(a, { disabled: !a.disabled }) },
        a.disabled ? t("enable") : t("disable"))],
    ], out.items);
  }, ctx);
  const form = apiForm({ id: "staff-form", ctx, label: t("create"),
    fields: [
      { name: "username", label: t("username"), required: true, maxlength: 64, pattern: "[A-Za-z0-9._\\-]+" },
      { name: "password", label: t("password"), type: "password", required: true, maxlength: 128 },
      { name: "role", label: t("role"), type: "select", options: ROLES, value: "agent" },
    ],
    submit: (payload) => call("POST", "/v1/admin/staff", payload), done: () => list.reload() });
  const deletions = liveBlock(async () => {
    const out = await call("GET", "/v1/agent/privacy/deletions");
    return table([
      [t("customer"), (d) => d.customer_id], [t("status"), (d) => d.status],
      [t("created_at"), (d) => when(d.requested_at)], [t("ends_at"), (d) => when(d.effective_at)],
      ["due", (d) => `${d.due_by || "—"}${d.overdue ? ` · ${t("overdue")}` : ""}`],
    ], out.items);
  }, ctx);
  mount(root, h("section", { class: "staff" }, h("h1", {}, t("nav_staff")),
    card(t("staff"), rowError, list.box), card(t("new_staff"), form), card(t("deletions"), deletions.box)));
  return null;
}
