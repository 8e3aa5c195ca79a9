// Maker-checker approvals (supervisors and admins): the changes waiting for a second staff member, approved or
// rejected with a reason in a dialog; the API's refusal (one's own: self_approval, already decided) is shown as is.
import { call } from "./api.js";
import { ask, flash, h, mount, when } from "./dom.js";
import { num, yuan } from "./format.js";
import { describe, liveBlock } from "./forms.js";
import { t } from "./i18n.js";
import { card } from "./ops_common.js";
import { staffDirectory, staffLabel } from "./staff_names.js";

const STATUSES = ["pending", "approved", "rejected"];

function head(labels) {
  return h("thead", {}, h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label))));
}

export function approvalsView(root, arg, ctx) {
  const status = STATUSES.includes(arg) ? arg : "pending";
  const directory = staffDirectory(ctx);

  async function decide(item, verb) {
    // Checked by `validate` (not the browser's bubble), so the dialog's own alert says what is missing.
    const reason = h("textarea", { name: "reason", id: "decision-reason", rows: "3", maxlength: "200",
      "aria-required": "true" });
    const amount = item.amount_fen === null || item.amount_fen === undefined ? "" : ` · ${yuan(item.amount_fen)}`;
    const data = await ask({
      title: t(verb === "approve" ? "approve_change" : "reject_change"),
      body: [h("p", { id: "decision-summary" },
        `${t(`kind_${item.kind}`)} · ${item.customer_id} · ${t("points_unit_n", { n: num(item.points) })}${amount}`),
      h("label", {}, t("decision_reason"), reason)],
      confirm: t(verb),
      validate: (values) => (String(values.reason || "").trim() ? null : t("decision_reason_needed")),
      onConfirm: (values) => call("POST", `/v1/agent/approvals/${encodeURIComponent(item.approval_id)}/${verb}`,
        { reason: String(values.reason).trim() }),
    }).catch((err) => { if (!ctx.fail(err)) flash(describe(err, ctx), "error"); return null; });
    if (data) {
      flash(`${t(verb === "approve" ? "approved" : "rejected")}: ${item.approval_id}`);
      list.reload();
    }
  }

  const list = liveBlock(async () => {
    const [out, known] = await Promise.all([call("GET", `/v1/agent/approvals?status=${status}&limit=100`),
      directory]);
    const who = (id) => staffLabel(known, id);
    if (!out.items.length) return h("p", { class: "muted", id: "no-approvals" }, t("no_approvals"));
    const decided = status !== "pending";
    return h("table", { id: "approvals" },
      head([t("created_at"), t("maker"), t("kind_col"), t("customer"), t("points"), t("amount"), t("reason_col"),
        ...(decided ? [t("decided_by"), t("decision_reason")] : [""])]),
      h("tbody", {}, out.items.map((a) => h("tr", { dataset: { approvalId: a.approval_id } },
        h("td", {}, when(a.created_at)), h("td", {}, who(a.maker)), h("td", {}, t(`kind_${a.kind}`)),
        h("td", {}, a.customer_id), h("td", { class: "num" }, num(a.points)),
        h("td", { class: "num" }, a.amount_fen === null || a.amount_fen === undefined ? "—" : yuan(a.amount_fen)),
        h("td", {}, a.reason, a.case_id ? h("span", { class: "muted" }, ` · ${a.case_id}`) : null),
        decided
          ? [h("td", {}, who(a.decided_by), h("br"), h("span", { class: "muted" }, when(a.decided_at))),
            h("td", {}, a.decision_reason || "—")]
          : h("td", { class: "row-actions" },
            h("button", { type: "button", class: "primary", onclick: () => decide(a, "approve") }, t("approve")),
            h("button", { type: "button", onclick: () => decide(a, "reject") }, t("reject")))))));
  }, ctx);

  const tabs = h("nav", { class: "tabs", "aria-label": t("nav_approvals") }, STATUSES.map((s) => h("a", {
    href: `#/approvals/${s}`, class: s === status ? "current" : null, "aria-current": s === status ? "page" : null,
  }, t(`approvals_${s}`))));
  mount(root, h("section", { class: "approvals" }, h("h1", {}, t("nav_approvals")), tabs,
    card(t(`approvals_${status}`), list.box)));
  return null;
}
