// The operators' pages: one entry per navigation item, each with the roles that may open it (admins all of them;
// supervisors the approvals, auditors the audit trail: the roles the API admits to those routes). Any other role
// sees a refusal here, and the API refuses their calls anyway.
import { approvalsView } from "./approvals.js";
import { auditView } from "./audit.js";
import { campaignsView } from "./campaigns.js";
import { dashboardView } from "./dashboard.js";
import { h, mount } from "./dom.js";
import { t } from "./i18n.js";
import { monthEndView } from "./month_end.js";
import { programmeView } from "./programme.js";
import { segmentsView } from "./segments.js";
import { staffView } from "./staff.js";

const VIEWS = {
  dashboard: dashboardView,
  programme: programmeView,
  segments: segmentsView,
  campaigns: campaignsView,
  "month-end": monthEndView,
  staff: staffView,
  approvals: approvalsView,
  audit: auditView,
};

// Pages not listed here are the admins' only.
const ROLES = {
  approvals: ["supervisor", "admin"],
  audit: ["auditor", "admin"],
};

export const OPERATOR_PAGES = Object.keys(VIEWS);

export function mayOpen(page, role) {
  return (ROLES[page] || ["admin"]).includes(role);
}

// `args`: the hash's parts after the page's name (#/segments/<id> → [id]), still URI-encoded.
export function operatorView(root, page, args, ctx) {
  const me = ctx.me();
  if (!me || !mayOpen(page, me.role)) {
    mount(root, h("p", { class: "error", role: "alert", id: "not-allowed" }, t("not_allowed")));
    return null;
  }
  const [arg = "", ...rest] = args.map((part) => decodeURIComponent(part));
  return VIEWS[page](root, arg, ctx, rest) || null;
}
